// The toolchain stage: a sysroot with lunik-cc.
//
//   bin/lunik-cc                 the compiler wrapper (toolchain/lunik-cc.njk)
//   include/                     musl's headers
//   lib/lunik.specs              gcc specs (toolchain/lunik.specs.njk)
//   lib/libc.a, crt1.o, …        musl (the libc stage)
//   lib/liblunik.a               runtime + kernel library (lkl.o) + liblkl,
//                                the same for every platform
//   lib/<platform>/libplatform.a one per platform, built against musl
//
// Everything here that calls libc is compiled against musl's headers; the
// platform keeps only its lhc_ and __lunik_host_ names global, so nothing of
// it can clash with an app's symbols.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../core/paths.js';
import type { Stage, StageContext } from '../core/stage.js';
import { renderFile } from '../core/template.js';
import { requireTools } from '../core/tools.js';
import { libcStage } from './libc.js';

const TOOLS = ['gcc', 'make'];
export const TOOLCHAIN_PLATFORMS = ['posix', 'hw'];

let gccInclude: Promise<string> | undefined;
/** gcc's own headers (stddef.h, stdarg.h, …), which musl expects beside its own. */
function gccIncludeDir(): Promise<string> {
  gccInclude ??= execa('gcc', ['-print-file-name=include']).then((r) => r.stdout.trim());
  return gccInclude;
}

/** Compile flags for code built against musl. */
async function muslFlags(sysroot: string): Promise<string[]> {
  return ['-nostdinc', '-isystem', path.join(sysroot, 'include'), '-isystem', await gccIncludeDir()];
}

const CFLAGS = ['-std=gnu11', '-O2', '-g', '-Wall', '-Wextra', '-Werror', '-ffunction-sections', '-fdata-sections'];

/**
 * One platform's library for apps: its objects linked -r into one, only
 * its interfaces left global (lhc_*, __lunik_host_*, and hw's PVH entry),
 * plus its linker script when it has one (lib/PLATFORM/platform.ld).
 */
async function buildPlatform(ctx: StageContext, name: string, sysroot: string): Promise<void> {
  const dir = path.join(repoRoot(), 'platforms', name);
  const build = await fs.mkdtemp(path.join(os.tmpdir(), `lunik-${name}-musl-`));
  try {
    const lib = path.join(build, `lib${name}-platform.a`);
    const members = ['--whole-archive', lib, '--no-whole-archive'];
    const keep = ['lhc_*', '__lunik_host_*'];
    if (name === 'hw') {
      // freestanding: no C library's headers at all; app.o starts musl
      await ctx.exec('make', ['-C', dir, `O=${build}`, `EXTRA_CFLAGS=-ffunction-sections -fdata-sections`, `-j${os.availableParallelism()}`, 'app']);
      members.push(path.join(build, 'app.o'));
      keep.push('hw_pvh_start');
    } else {
      const cc = ['gcc', ...(await muslFlags(sysroot))].join(' ');
      await ctx.exec('make', ['-C', dir, `O=${build}`, `CC=${cc}`, `EXTRA_CFLAGS=-ffunction-sections -fdata-sections`, `-j${os.availableParallelism()}`, lib]);
    }
    // one object, only the interfaces global (Solo5's rule for layers)
    const whole = path.join(build, 'platform.o');
    await ctx.exec('ld', ['-r', '-o', whole, ...members]);
    await ctx.exec('objcopy', ['--wildcard', ...keep.map((k) => `--keep-global-symbol=${k}`), whole]);
    const out = path.join(ctx.out, 'lib', name);
    await fs.mkdir(out, { recursive: true });
    await ctx.exec('ar', ['rcs', path.join(out, 'libplatform.a'), whole]);
    if (name === 'hw') await fs.copyFile(path.join(dir, 'hw.ld'), path.join(out, 'platform.ld'));
  } finally {
    await fs.rm(build, { recursive: true, force: true });
  }
}

async function buildLunikLib(ctx: StageContext, sysroot: string, kernel: string): Promise<void> {
  const build = await fs.mkdtemp(path.join(os.tmpdir(), 'lunik-runtime-'));
  try {
    const flags = [...CFLAGS, ...(await muslFlags(sysroot)), `-I${path.join(kernel, 'include')}`, `-I${path.join(repoRoot(), 'hypercall/include')}`];
    const members = [path.join(kernel, 'lib/lkl.o')];
    const sources = [
      ...(await fs.readdir(path.join(repoRoot(), 'liblkl'))).filter((n) => n.endsWith('.c')).sort().map((n) => path.join(repoRoot(), 'liblkl', n)),
      ...(await fs.readdir(path.join(repoRoot(), 'toolchain/runtime'))).filter((n) => n.endsWith('.c')).sort().map((n) => path.join(repoRoot(), 'toolchain/runtime', n)),
    ];
    for (const src of sources) {
      const o = path.join(build, `${path.basename(path.dirname(src))}-${path.basename(src, '.c')}.o`);
      await ctx.exec('gcc', [...flags, '-c', src, '-o', o]);
      members.push(o);
    }
    await ctx.exec('ar', ['rcs', path.join(ctx.out, 'lib/liblunik.a'), ...members]);
  } finally {
    await fs.rm(build, { recursive: true, force: true });
  }
}

export function toolchainStage(kernel: Stage): Stage {
  const libc = libcStage(kernel);
  const files = ['toolchain', 'liblkl', 'hypercall/include', 'src/stages/toolchain.ts', ...TOOLCHAIN_PLATFORMS.map((p) => `platforms/${p}`), 'platforms/common'];
  return {
    id: 'toolchain',
    version: 1,
    verb: 'making lunik-cc',
    deps: [libc, kernel],
    inputs: () => ({ files: files.map((f) => path.join(repoRoot(), f)), tools: TOOLS, config: { cflags: CFLAGS, platforms: TOOLCHAIN_PLATFORMS } }),
    artefacts: ['bin/lunik-cc', 'lib/liblunik.a'],
    async run(ctx) {
      await requireTools('toolchain', TOOLS);
      const sysroot = ctx.out;
      await fs.cp(ctx.deps[libc.id].out, sysroot, { recursive: true });
      await buildLunikLib(ctx, sysroot, ctx.deps[kernel.id].out);
      for (const p of TOOLCHAIN_PLATFORMS) await buildPlatform(ctx, p, sysroot);
      const pkg = JSON.parse(await fs.readFile(path.join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
      const gcc = (await execa('sh', ['-c', 'command -v gcc'])).stdout.trim();
      await fs.writeFile(path.join(sysroot, 'lib/lunik.specs'), renderFile('toolchain/lunik.specs.njk', {}, 'toolchain'));
      await fs.mkdir(path.join(sysroot, 'bin'), { recursive: true });
      const cc = path.join(sysroot, 'bin/lunik-cc');
      await fs.writeFile(cc, renderFile('toolchain/lunik-cc.njk', { version: pkg.version, gcc, defaultPlatform: 'posix', platforms: TOOLCHAIN_PLATFORMS }, 'toolchain'));
      await fs.chmod(cc, 0o755);
      // a first program proves the toolchain links and runs before anyone relies on it
      const probe = path.join(os.tmpdir(), `lunik-cc-probe-${process.pid}`);
      try {
        await ctx.exec(cc, ['-x', 'c', '-', '-o', probe], { input: 'int main(void) { return 0; }\n' });
      } finally {
        await fs.rm(probe, { force: true });
      }
    },
  };
}
