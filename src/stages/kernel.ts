// The kernel stage: Debian's Linux 6.12 source + our arch-lkl port → the kernel library.
//
// The unpacked tree and the object files live in a persistent work directory
// (keyed by the Debian version and our patches), so a changed arch-lkl file
// rebuilds only what depends on it. The cache entry holds just the result:
// an install prefix with include/ and lib/.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { badInput, LunikError } from '../core/errors.js';
import { exists } from '../core/fsutil.js';
import { repoRoot } from '../core/paths.js';
import type { Stage, StageContext } from '../core/stage.js';
import { syncTree } from '../core/sync.js';
import { LINUX_SOURCE_PKG, LINUX_SOURCE_TARBALL, requireTools } from '../core/tools.js';
import { installLklHeaders } from './headers.js';
import { posixPlatformStage } from './platform.js';

export const KERNEL_TOOLS = ['gcc', 'make', 'flex', 'bison', 'bc', 'perl', 'libelf', 'xz', LINUX_SOURCE_PKG];
export const DEFAULT_FRAGMENTS = ['base', 'net', 'fs', 'virtio', 'pci'];

const configDir = () => path.join(repoRoot(), 'kernel/config');
const patchDir = () => path.join(repoRoot(), 'kernel/patches');

/** Fragment names (kernel/config/NAME.config) or paths to .config files → absolute paths. */
export async function resolveFragments(names: string[]): Promise<string[]> {
  const known = (await fs.readdir(configDir()).catch(() => [] as string[])).filter((n) => n.endsWith('.config')).map((n) => n.slice(0, -7));
  return Promise.all(
    names.map(async (n) => {
      if (n.includes('/') || n.endsWith('.config')) {
        const p = path.resolve(n);
        if (!(await exists(p))) throw badInput('kernel', `config fragment file ${n} does not exist`, 'give a fragment name or an existing file path');
        return p;
      }
      if (!known.includes(n)) throw badInput('kernel', `unknown config fragment "${n}"`, `use one of: ${known.join(', ')} (files in kernel/config/), or a path to a .config fragment`);
      return path.join(configDir(), `${n}.config`);
    }),
  );
}

/** The exact Debian version of the installed Linux source package. */
export async function linuxSourceVersion(): Promise<string> {
  const r = await execa('dpkg-query', ['-W', '-f', '${Version}', LINUX_SOURCE_PKG], { reject: false });
  if (r.exitCode !== 0 || !r.stdout.trim()) throw new LunikError({ where: 'kernel', message: `the Debian package ${LINUX_SOURCE_PKG} is not installed`, fix: "run 'npx lunik doctor --install' as root", code: 2 });
  return r.stdout.trim();
}

async function patchFiles(): Promise<string[]> {
  return (await fs.readdir(patchDir()).catch(() => [] as string[])).filter((n) => n.endsWith('.patch')).sort().map((n) => path.join(patchDir(), n));
}

/** One config line → [symbol, value], values normalised so "=n" and "is not set" compare equal. */
function parseConfigLine(line: string): [string, string] | undefined {
  const off = /^# (CONFIG_\w+) is not set/.exec(line);
  if (off) return [off[1], 'n'];
  const on = /^(CONFIG_\w+)=(.*)$/.exec(line.trim());
  return on ? [on[1], on[2]] : undefined;
}

/** Every symbol a fragment sets that Kconfig did not keep (unmet dependency, typo). */
export function droppedSymbols(fragmentText: string, dotConfig: string): string[] {
  const got = new Map<string, string>();
  for (const l of dotConfig.split('\n')) {
    const kv = parseConfigLine(l);
    if (kv) got.set(kv[0], kv[1]);
  }
  const out: string[] = [];
  for (const l of fragmentText.split('\n')) {
    const kv = parseConfigLine(l);
    if (!kv) continue;
    const [sym, want] = kv;
    const have = got.get(sym) ?? 'n';
    if (have !== want) out.push(`${sym}=${want} (Kconfig chose ${have === 'n' ? 'n' : have})`);
  }
  return out;
}

async function prepareTree(ctx: StageContext, version: string): Promise<{ src: string; clean: string[] }> {
  const src = path.join(ctx.work!, 'src');
  const stamp = path.join(src, '.lunik-unpacked');
  const fresh = !(await exists(stamp));
  if (fresh) {
    await fs.rm(src, { recursive: true, force: true });
    await fs.mkdir(src, { recursive: true });
    ctx.log(`unpacking ${LINUX_SOURCE_TARBALL} (${version})`);
    await ctx.exec('tar', ['-xf', LINUX_SOURCE_TARBALL, '--strip-components=1', '-C', src]);
    for (const p of await patchFiles()) {
      ctx.log(`applying ${path.basename(p)}`);
      await ctx.exec('patch', ['-p1', '--forward', '--batch', '-i', p], { cwd: src });
    }
    await fs.writeFile(stamp, version + '\n');
  }
  const arch = await syncTree(path.join(repoRoot(), 'arch-lkl'), path.join(src, 'arch/lkl'));
  const hc = await syncTree(path.join(repoRoot(), 'hypercall/include'), path.join(ctx.work!, 'hypercall-include'));
  const changed = arch.written.length + arch.removed.length + hc.written.length + hc.removed.length;
  ctx.log(`arch-lkl overlay: ${changed} file${changed === 1 ? '' : 's'} changed`);
  // A header that appears or disappears can shadow or unshadow another one
  // (e.g. a generic asm header), which make's dependency files cannot see.
  const moved = [...arch.added, ...arch.removed].filter((f) => f.startsWith('include/'));
  return { src, clean: moved.length > 0 && !fresh ? moved : [] };
}

async function configure(ctx: StageContext, src: string, build: string, make: string[], fragments: string[]): Promise<void> {
  const text = (await Promise.all(fragments.map((f) => fs.readFile(f, 'utf8')))).join('\n');
  const merged = path.join(build, 'lunik-fragments.config');
  const previous = await fs.readFile(merged, 'utf8').catch(() => undefined);
  if (previous !== text || !(await exists(path.join(build, '.config')))) {
    await fs.writeFile(merged, text);
    await ctx.exec('make', [...make, `KCONFIG_ALLCONFIG=${merged}`, 'allnoconfig'], { cwd: src });
  }
  const dropped = droppedSymbols(text, await fs.readFile(path.join(build, '.config'), 'utf8'));
  if (dropped.length) {
    await fs.rm(path.join(build, '.config'), { force: true }); // configure again next time
    throw new LunikError({
      where: 'kernel',
      message: `Kconfig did not keep ${dropped.length} setting${dropped.length > 1 ? 's' : ''} of the config fragments`,
      context: dropped.slice(0, 8),
      fix: 'enable what those options depend on in the same fragment, or fix the option names',
      code: 2,
    });
  }
}

/** The TypeScript that shapes the stage's outputs is an input too. */
const stageSources = () => ['kernel.ts', 'headers.ts', 'headers-prefix.ts', 'headers-syscalls.ts', 'headers-extra.ts', 'headers-legacy.ts'].map((f) => path.join(repoRoot(), 'src/stages', f));

export function kernelStage(fragmentPaths: string[]): Stage {
  const platform = posixPlatformStage();
  let version: string | undefined;
  const getVersion = async () => (version ??= await linuxSourceVersion());
  return {
    id: 'kernel',
    version: 1,
    verb: 'building the kernel library',
    deps: [platform],
    async inputs() {
      return {
        files: [path.join(repoRoot(), 'arch-lkl'), path.join(repoRoot(), 'hypercall/include'), path.join(repoRoot(), 'liblkl'), ...fragmentPaths, ...(await patchFiles()), ...stageSources()],
        tools: KERNEL_TOOLS,
        facts: { [LINUX_SOURCE_PKG]: await getVersion() },
        config: { fragments: fragmentPaths.map((f) => path.relative(repoRoot(), f)) },
      };
    },
    async workKey() {
      const patches = await Promise.all((await patchFiles()).map(async (p) => [path.basename(p), await fs.readFile(p, 'utf8')]));
      return { source: await getVersion(), patches };
    },
    artefacts: ['lib/liblkl.a', 'lib/lkl.o', 'include'],
    async run(ctx) {
      await requireTools('kernel', KERNEL_TOOLS);
      const v = await getVersion();
      ctx.note(`Linux source: Debian ${LINUX_SOURCE_PKG} ${v}`);
      const { src, clean } = await prepareTree(ctx, v);
      const build = path.join(ctx.work!, 'build');
      if (clean.length) {
        ctx.log(`arch headers added or removed (${clean.join(', ')}): building from a clean tree`);
        await fs.rm(build, { recursive: true, force: true });
      }
      await fs.mkdir(build, { recursive: true });
      const make = ['ARCH=lkl', `O=${build}`, `LHC_INCLUDE=${path.join(ctx.work!, 'hypercall-include')}`];
      await configure(ctx, src, build, make, fragmentPaths);
      await ctx.exec('make', [...make, `-j${os.availableParallelism()}`], { cwd: src });
      await packageLibrary(ctx, src, build, make, path.join(ctx.deps[platform.id].out, 'lib/libposix-platform.a'));
    },
  };
}

/**
 * The install prefix: include/ (lkl.h, lkl_host.h and the lkl_-prefixed uapi
 * headers with the syscall wrappers), lib/lkl.o (the kernel alone, for baking
 * with other platforms) and lib/liblkl.a (kernel + utilities + posix platform).
 */
async function packageLibrary(ctx: StageContext, src: string, build: string, make: string[], platformLib: string): Promise<void> {
  const lib = path.join(ctx.out, 'lib');
  const inc = path.join(ctx.out, 'include');
  await fs.mkdir(lib, { recursive: true });
  await fs.mkdir(inc, { recursive: true });
  await installLklHeaders({ src, build, prefix: ctx.out, exec: ctx.exec, log: ctx.log, makeArgs: make.filter((a) => !a.startsWith('O=')) });
  await fs.cp(path.join(repoRoot(), 'arch-lkl/api'), inc, { recursive: true });
  await fs.copyFile(path.join(build, 'lkl.o'), path.join(lib, 'lkl.o'));

  const objs = path.join(build, 'lunik-lib');
  await fs.rm(objs, { recursive: true, force: true });
  await fs.mkdir(objs, { recursive: true });
  const members: string[] = [path.join(build, 'lkl.o')];
  const utils = path.join(repoRoot(), 'liblkl');
  for (const f of (await fs.readdir(utils)).filter((n) => n.endsWith('.c')).sort()) {
    const o = path.join(objs, `liblkl-${f.replace(/\.c$/, '.o')}`);
    await ctx.exec('gcc', ['-std=gnu11', '-O2', '-g', '-fPIE', '-Wall', '-Wextra', '-Werror', `-I${inc}`, `-I${path.join(repoRoot(), 'hypercall/include')}`, '-c', path.join(utils, f), '-o', o]);
    members.push(o);
  }
  // the platform's objects join the archive as they are (ar x keeps their names)
  await ctx.exec('ar', ['x', platformLib], { cwd: objs });
  for (const n of (await fs.readdir(objs)).filter((n) => n.endsWith('.o') && !n.startsWith('liblkl-')).sort()) members.push(path.join(objs, n));
  await ctx.exec('ar', ['rcs', path.join(lib, 'liblkl.a'), ...members]);
}
