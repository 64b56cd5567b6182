// The stage graph for one app on one platform.
import { appStage, bakeStage, rootfsStage, type App } from './app.js';
import { DEFAULT_FRAGMENTS, kernelStage, resolveFragments } from './kernel.js';
import { toolchainStage } from './toolchain.js';
import type { Stage } from '../core/stage.js';

export async function toolchainTarget(): Promise<Stage> {
  return toolchainStage(kernelStage(await resolveFragments(DEFAULT_FRAGMENTS)));
}

/** The bake stage of app for platform (everything it needs hangs off it). */
export async function appTarget(app: App, platform: string): Promise<Stage> {
  const toolchain = await toolchainTarget();
  return bakeStage(app, platform, appStage(app, toolchain), rootfsStage(app), toolchain);
}
