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

export const KERNEL_TOOLS = ['gcc', 'make', 'flex', 'bison', 'bc', 'perl', 'libelf', 'xz', LINUX_SOURCE_PKG];
export const DEFAULT_FRAGMENTS = ['base', 'net', 'fs'];

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

async function prepareTree(ctx: StageContext, version: string): Promise<string> {
  const src = path.join(ctx.work!, 'src');
  const stamp = path.join(src, '.lunik-unpacked');
  if (!(await exists(stamp))) {
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
  return src;
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

export function kernelStage(fragmentPaths: string[]): Stage {
  let version: string | undefined;
  const getVersion = async () => (version ??= await linuxSourceVersion());
  return {
    id: 'kernel',
    version: 1,
    verb: 'building the kernel library',
    deps: [],
    async inputs() {
      return {
        files: [path.join(repoRoot(), 'arch-lkl'), path.join(repoRoot(), 'hypercall/include'), ...fragmentPaths, ...(await patchFiles())],
        tools: KERNEL_TOOLS,
        facts: { [LINUX_SOURCE_PKG]: await getVersion() },
        config: { fragments: fragmentPaths.map((f) => path.relative(repoRoot(), f)) },
      };
    },
    async workKey() {
      const patches = await Promise.all((await patchFiles()).map(async (p) => [path.basename(p), await fs.readFile(p, 'utf8')]));
      return { source: await getVersion(), patches };
    },
    artefacts: ['lib/liblkl.a', 'include'],
    async run(ctx) {
      await requireTools('kernel', KERNEL_TOOLS);
      const v = await getVersion();
      ctx.note(`Linux source: Debian ${LINUX_SOURCE_PKG} ${v}`);
      const src = await prepareTree(ctx, v);
      const build = path.join(ctx.work!, 'build');
      await fs.mkdir(build, { recursive: true });
      const make = ['ARCH=lkl', `O=${build}`, `LHC_INCLUDE=${path.join(ctx.work!, 'hypercall-include')}`];
      await configure(ctx, src, build, make, fragmentPaths);
      await ctx.exec('make', [...make, `-j${os.availableParallelism()}`], { cwd: src });
      await packageLibrary(ctx, build);
    },
  };
}

/** The install prefix: include/ (public API) and lib/liblkl.a. */
async function packageLibrary(ctx: StageContext, build: string): Promise<void> {
  const lib = path.join(ctx.out, 'lib');
  const inc = path.join(ctx.out, 'include');
  await fs.mkdir(lib, { recursive: true });
  await fs.mkdir(inc, { recursive: true });
  await ctx.exec('ar', ['rcs', path.join(lib, 'liblkl.a'), path.join(build, 'lkl.o')]);
  await fs.cp(path.join(repoRoot(), 'arch-lkl/api'), inc, { recursive: true });
}
