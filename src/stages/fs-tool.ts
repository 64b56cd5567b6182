// The fs-tool stage: tools/lunik-fs (a C program using only the public kernel
// library API) compiled and linked against the kernel stage's install prefix.
import fs from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../core/paths.js';
import type { Stage } from '../core/stage.js';
import { requireTools } from '../core/tools.js';

const TOOLS = ['gcc'];
const toolDir = () => path.join(repoRoot(), 'tools/lunik-fs');

/** kernel stage → out/bin/lunik-fs. */
export function fsToolStage(kernel: Stage): Stage {
  return {
    id: 'fs-tool',
    version: 1,
    verb: 'building lunik-fs',
    deps: [kernel],
    inputs: () => ({ files: [toolDir(), path.join(repoRoot(), 'src/stages/fs-tool.ts')], tools: TOOLS }),
    artefacts: ['bin/lunik-fs'],
    async run(ctx) {
      await requireTools(ctx.id, TOOLS);
      const prefix = ctx.deps[kernel.id].out;
      const sources = (await fs.readdir(toolDir())).filter((n) => n.endsWith('.c')).sort().map((n) => path.join(toolDir(), n));
      const bin = path.join(ctx.out, 'bin/lunik-fs');
      await fs.mkdir(path.dirname(bin), { recursive: true });
      await ctx.exec('gcc', ['-std=gnu11', '-O2', '-g', '-Wall', '-Wextra', '-Werror', `-I${path.join(prefix, 'include')}`, ...sources, path.join(prefix, 'lib/liblkl.a'), '-lpthread', '-o', bin]);
    },
  };
}
