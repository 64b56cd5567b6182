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
    inputs: () => ({ files: [dir, path.join(repoRoot(), 'hypercall')], tools: TOOLS }),
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
