// Platform stages: build one implementation of the hypercall interface (and its
// conformance suite) from platforms/<name> with that folder's Makefile.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../core/paths.js';
import type { Stage } from '../core/stage.js';
import { requireTools } from '../core/tools.js';

const TOOLS = ['gcc', 'make'];

/** platforms/posix → out/lib/libposix-platform.a and out/bin/conformance. */
export function posixPlatformStage(): Stage {
  const dir = path.join(repoRoot(), 'platforms/posix');
  return {
    id: 'platform-posix',
    version: 1,
    verb: 'building the posix platform',
    deps: [],
    inputs: () => ({ files: [dir, path.join(repoRoot(), 'platforms/common'), path.join(repoRoot(), 'hypercall')], tools: TOOLS }),
    artefacts: ['lib/libposix-platform.a', 'bin/conformance'],
    async run(ctx) {
      await requireTools(ctx.id, TOOLS);
      const build = await fs.mkdtemp(path.join(os.tmpdir(), 'lunik-posix-'));
      try {
        await ctx.exec('make', ['-C', dir, `O=${build}`, `-j${os.availableParallelism()}`, 'all']);
        await fs.mkdir(path.join(ctx.out, 'lib'), { recursive: true });
        await fs.mkdir(path.join(ctx.out, 'bin'), { recursive: true });
        await fs.copyFile(path.join(build, 'libposix-platform.a'), path.join(ctx.out, 'lib/libposix-platform.a'));
        await fs.copyFile(path.join(build, 'conformance'), path.join(ctx.out, 'bin/conformance'));
        await fs.chmod(path.join(ctx.out, 'bin/conformance'), 0o755);
      } finally {
        await fs.rm(build, { recursive: true, force: true });
      }
    },
  };
}

/**
 * platforms/hw → out/lib/libhw-platform.a and the image layout out/lib/hw.ld
 * (what baking an app for hw links against), plus two bootable PVH images:
 * out/boot/conformance.elf (the hypercall suite) and out/boot/selftest.elf
 * (the platform's own checks, test/hw.test.ts).
 */
export function hwPlatformStage(): Stage {
  const dir = path.join(repoRoot(), 'platforms/hw');
  return {
    id: 'platform-hw',
    version: 1,
    verb: 'building the hw platform',
    deps: [],
    inputs: () => ({ files: [dir, path.join(repoRoot(), 'platforms/common'), path.join(repoRoot(), 'hypercall')], tools: TOOLS }),
    artefacts: ['lib/libhw-platform.a', 'boot/conformance.elf', 'boot/selftest.elf'],
    async run(ctx) {
      await requireTools(ctx.id, TOOLS);
      const build = await fs.mkdtemp(path.join(os.tmpdir(), 'lunik-hw-'));
      try {
        await ctx.exec('make', ['-C', dir, `O=${build}`, `-j${Math.min(2, os.availableParallelism())}`, 'all']);
        await fs.mkdir(path.join(ctx.out, 'lib'), { recursive: true });
        await fs.mkdir(path.join(ctx.out, 'boot'), { recursive: true });
        await fs.copyFile(path.join(build, 'libhw-platform.a'), path.join(ctx.out, 'lib/libhw-platform.a'));
        await fs.copyFile(path.join(dir, 'hw.ld'), path.join(ctx.out, 'lib/hw.ld'));
        for (const img of ['conformance.elf', 'selftest.elf']) await fs.copyFile(path.join(build, img), path.join(ctx.out, 'boot', img));
      } finally {
        await fs.rm(build, { recursive: true, force: true });
      }
    },
  };
}
