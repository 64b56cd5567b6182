// lunik fs cp|ls|cat|tar: copy into and out of ext4 and vfat images through the
// kernel library (tools/lunik-fs), with no root, loop device or host mount.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { Cache } from '../core/cache.js';
import { LunikError, badInput } from '../core/errors.js';
import { cacheRoot } from '../core/paths.js';
import { makeReporter, type Reporter } from '../core/progress.js';
import { runStages } from '../core/runner.js';
import { suggest } from '../recipe/recipe.js';
import { fsToolStage } from '../stages/fs-tool.js';
import { DEFAULT_FRAGMENTS, kernelStage, resolveFragments } from '../stages/kernel.js';
import type { Command, Globals } from './command.js';

const SUBCOMMANDS = ['cp', 'ls', 'cat', 'tar'];
const TYPES = ['ext4', 'vfat'];
const USAGE = [
  'lunik fs cp [-L] SRC... DEST     (into or out of an image: IMAGE:/PATH on one side)',
  '       lunik fs ls IMAGE[:PATH]',
  '       lunik fs cat IMAGE:PATH...',
  '       lunik fs tar IMAGE[:PATH] [-o FILE]',
  '       IMAGE@N:PATH names partition N (from 1) of a GPT/MBR disk image',
].join('\n');

/** A path inside an image: IMAGE[@N]:PATH. */
export interface ImageRef {
  image: string;
  /** 1-based partition; 0 = the whole image is the file system. */
  part: number;
  path: string;
}

/** The image (and partition) an argument names: the text before its first ':'. */
function imageOf(arg: string): { image: string; part: number } {
  const colon = arg.indexOf(':');
  const left = colon < 0 ? arg : arg.slice(0, colon);
  const m = /^(.+)@([^@/]*)$/.exec(left);
  // a file that is really called "x@2" wins over "partition 2 of x"
  if (!m || existsSync(left)) return { image: left, part: 0 };
  if (!/^\d+$/.test(m[2]) || Number(m[2]) < 1) throw badInput('fs', `bad partition "${m[2]}" in ${arg}`, 'partitions are numbered from 1, as in IMAGE@1:/PATH');
  return { image: m[1], part: Number(m[2]) };
}

/** IMAGE[@N][:PATH] → the image, partition and absolute path inside it. */
export function parseImageRef(arg: string): ImageRef {
  const colon = arg.indexOf(':');
  const { image, part } = imageOf(arg);
  if (!image) throw badInput('fs', `no image in "${arg}"`, 'write image paths as IMAGE:/PATH, e.g. disk.img:/etc/passwd');
  const inner = colon < 0 ? '/' : arg.slice(colon + 1) || '/';
  return { image, part, path: inner.startsWith('/') ? inner : `/${inner}` };
}

/**
 * Does a cp argument name a path in an image? Yes when it has a ':' and the
 * text before it is an existing file (with or without @N), or when it has a
 * ':' and is not an existing host path (then the image is reported missing).
 */
export function isImageArg(arg: string): boolean {
  const colon = arg.indexOf(':');
  if (colon < 0) return false;
  const left = arg.slice(0, colon);
  const base = left.replace(/@\d+$/, '');
  const isFile = (p: string) => {
    try {
      return !statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  if (isFile(left) || isFile(base)) return true;
  return !existsSync(arg);
}

/** An absolute host path that keeps cp's "DIR/." (the directory's contents). */
function hostPath(arg: string): string {
  const abs = path.resolve(arg);
  return arg === '.' || arg.endsWith('/.') ? `${abs === '/' ? '' : abs}/.` : abs;
}

function checkImage(ref: ImageRef): void {
  let st;
  try {
    st = statSync(ref.image);
  } catch {
    throw badInput('fs', `image ${ref.image} does not exist`, 'check the path, or make an image first (e.g. truncate -s 64M IMAGE && mkfs.ext4 IMAGE)');
  }
  if (st.isDirectory()) throw badInput('fs', `${ref.image} is a directory, not an image file`, 'give a disk or file system image file');
}

/** Stage events only when something is built: a cached tool is silent. */
function quietReporter(verbose: boolean): Reporter {
  const inner = makeReporter(verbose);
  if (verbose) return inner;
  const started = new Set<string>();
  return {
    start(id, verb) {
      started.add(id);
      inner.start(id, verb);
    },
    line: (id, text) => inner.line(id, text),
    command: (id, text) => inner.command(id, text),
    note(id, text) {
      if (started.has(id)) inner.note(id, text);
    },
    end(id, outcome, ms, detail) {
      if (outcome !== 'cached') inner.end(id, outcome, ms, detail);
    },
    info: (text) => inner.info(text),
    close: () => inner.close(),
  };
}

/** Build (or reuse) tools/lunik-fs against the kernel library; its path. */
export async function fsToolPath(g: Globals): Promise<string> {
  const cache = new Cache(cacheRoot());
  await cache.open();
  const reporter = quietReporter(g.verbose);
  try {
    const run = await runStages([fsToolStage(kernelStage(await resolveFragments(DEFAULT_FRAGMENTS)))], { cache, reporter, verbose: g.verbose, explain: g.explain });
    return path.join(run.targets[0].out, 'bin/lunik-fs');
  } finally {
    reporter.close();
    await cache.close();
  }
}

/** lunik-fs's arguments for one command line (what the C program takes; see tools/lunik-fs/README.md). */
export function toolArgs(sub: string, args: string[], opts: { type?: string; output?: string; dereference?: boolean; verbose?: boolean }): string[] {
  const common = (ref: ImageRef) => [...(opts.verbose ? ['-v'] : []), ...(opts.type ? ['-t', opts.type] : []), ...(ref.part ? ['-p', String(ref.part)] : []), ref.image];
  const one = (what: string) => {
    if (args.length !== 1) throw badInput('fs', args.length ? `fs ${sub} takes one ${what}, not ${args.length}` : `missing ${what}`, `usage: lunik fs ${sub} ${what}`);
    const ref = parseImageRef(args[0]);
    checkImage(ref);
    return ref;
  };
  if (opts.output !== undefined && sub !== 'tar') throw badInput('fs', `--output is for fs tar, not fs ${sub}`, 'fs cat writes to stdout: redirect it');
  if (opts.dereference && sub !== 'cp') throw badInput('fs', `--dereference is for fs cp, not fs ${sub}`);
  switch (sub) {
    case 'ls': {
      const ref = one('IMAGE[:PATH]');
      return [...common(ref), 'ls', '--', ref.path];
    }
    case 'tar': {
      const ref = one('IMAGE[:PATH]');
      return [...common(ref), 'tar', ...(opts.output ? ['-o', path.resolve(opts.output)] : []), '--', ref.path];
    }
    case 'cat': {
      if (!args.length) throw badInput('fs', 'missing IMAGE:PATH', 'usage: lunik fs cat IMAGE:PATH...');
      const refs = args.map((a) => {
        if (!a.includes(':')) throw badInput('fs', `"${a}" names no file in an image`, 'write IMAGE:/PATH, e.g. disk.img:/etc/passwd');
        return parseImageRef(a);
      });
      for (const r of refs.slice(1))
        if (path.resolve(r.image) !== path.resolve(refs[0].image) || r.part !== refs[0].part) throw badInput('fs', 'fs cat reads from one image at a time', 'run it once per image');
      checkImage(refs[0]);
      return [...common(refs[0]), 'cat', '--', ...refs.map((r) => r.path)];
    }
    case 'cp': {
      if (args.length < 2) throw badInput('fs', args.length ? 'missing DEST' : 'missing SRC and DEST', 'usage: lunik fs cp SRC... DEST (an image path is IMAGE:/PATH)');
      const kinds = args.map(isImageArg);
      const srcImage = kinds[0];
      if (kinds.slice(0, -1).some((k) => k !== srcImage)) throw badInput('fs', 'the sources mix image paths and host paths', 'copy from one place at a time');
      const dstImage = kinds[kinds.length - 1];
      if (!srcImage && !dstImage) throw badInput('fs', 'neither the sources nor the destination is an image path', 'write image paths as IMAGE:/PATH, e.g. disk.img:/ for the root of disk.img');
      const refs = args.map((a, i) => (kinds[i] ? parseImageRef(a) : undefined));
      const imgs = refs.filter((r): r is ImageRef => !!r);
      for (const r of imgs.slice(1))
        if (path.resolve(r.image) !== path.resolve(imgs[0].image) || r.part !== imgs[0].part)
          throw badInput('fs', 'copying between two different images (or partitions) is not supported', 'copy out to a host directory first, then in');
      checkImage(imgs[0]);
      const paths = args.map((a, i) => (refs[i] ? `:${refs[i]!.path}` : hostPath(a)));
      return [...common(imgs[0]), 'cp', ...(opts.dereference ? ['-L'] : []), '--', ...paths];
    }
    default:
      throw badInput('fs', `unknown fs command "${sub}"${suggest(sub, SUBCOMMANDS)}`, `use one of: ${SUBCOMMANDS.join(', ')}`);
  }
}

export const fsCommand: Command = {
  name: 'fs',
  summary: 'copy into and out of ext4/vfat images through the kernel library (cp, ls, cat, tar); no root needed',
  usage: USAGE,
  options: {
    type: { type: 'string', short: 't', valueName: 'TYPE', description: 'the file system: ext4 or vfat (default: detected)' },
    output: { type: 'string', short: 'o', valueName: 'FILE', description: 'fs tar: write the archive to FILE instead of stdout' },
    dereference: { type: 'boolean', short: 'L', description: 'fs cp: copy what symbolic links point to, not the links' },
  },
  positionals: { min: 1, max: Number.MAX_SAFE_INTEGER, names: 'cp|ls|cat|tar ...' },
  async run({ values, positionals }, g) {
    const [sub, ...args] = positionals;
    const type = values.type as string | undefined;
    if (type !== undefined && !TYPES.includes(type)) throw badInput('fs', `unknown file system type "${type}"${suggest(type, TYPES)}`, `use --type ${TYPES.join(' or --type ')}, or leave it out to detect the type`);
    if (!SUBCOMMANDS.includes(sub)) throw badInput('fs', `unknown fs command "${sub}"${suggest(sub, SUBCOMMANDS)}`, `use one of: ${SUBCOMMANDS.join(', ')}`);
    if (sub === 'tar' && values.output === undefined && process.stdout.isTTY) throw badInput('fs', 'refusing to write a tar archive to a terminal', 'redirect it (> out.tar) or give -o FILE');
    const toolArgv = toolArgs(sub, args, { type, output: values.output as string | undefined, dereference: !!values.dereference, verbose: g.verbose });
    const bin = await fsToolPath(g);
    const r = await execa(bin, toolArgv, { stdio: 'inherit', reject: false });
    if (r.exitCode === undefined || r.signal) {
      if (r.signal === 'SIGPIPE') return 1;
      throw new LunikError({ where: 'fs', message: `lunik-fs ${r.signal ? `was killed by ${r.signal}` : 'could not be started'}`, fix: 'run again with --verbose to see the kernel log' });
    }
    return r.exitCode === 2 ? 2 : r.exitCode === 0 ? 0 : 1;
  },
};
