// Source stages: one Debian source package (musl, nginx, …) fetched with apt
// and unpacked with dpkg-source, Debian's own patches applied.
//
// The version is the newest one apt can fetch now, so a new Debian upload
// is a new cache key; the download itself is checked by apt against the
// signed archive.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { LunikError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fsutil.js';
import { cacheRoot } from '../core/paths.js';
import type { Stage } from '../core/stage.js';
import { requireTools } from '../core/tools.js';

const TOOLS = ['dpkg-source'];
const versions = new Map<string, Promise<string>>();

interface Memo {
  [pkgVersion: string]: { ok: boolean; at: number };
}
const MEMO_TTL_MS = 24 * 3600_000;
const memoFile = () => path.join(cacheRoot(), 'host/debian-sources.json');

async function readMemo(): Promise<Memo> {
  try {
    return JSON.parse(await fs.readFile(memoFile(), 'utf8')) as Memo;
  } catch {
    return {};
  }
}

/** The versions of pkg that apt knows, newest first. */
async function knownVersions(pkg: string): Promise<string[]> {
  const r = await execa('apt-cache', ['showsrc', '--only-source', pkg], { reject: false, stdin: 'ignore' });
  const vs = [...new Set([...r.stdout.matchAll(/^Version: (\S+)$/gm)].map((m) => m[1]))];
  const cmp = async (a: string, b: string) => ((await execa('dpkg', ['--compare-versions', a, 'gt', b], { reject: false })).exitCode === 0 ? -1 : 1);
  // insertion sort: a handful of versions, compared the way dpkg does
  const out: string[] = [];
  for (const v of vs) {
    let i = 0;
    while (i < out.length && (await cmp(out[i], v)) < 0) i++;
    out.splice(i, 0, v);
  }
  return out;
}

/** Whether apt can fetch version's .dsc now (a mirror may lack a suite's sources). */
async function fetchable(pkg: string, version: string): Promise<boolean> {
  const r = await execa('apt-get', ['source', '--print-uris', '-qq', `${pkg}=${version}`], { reject: false, stdin: 'ignore', timeout: 60_000 });
  const uri = /^'([^']+\.dsc)'/m.exec(r.stdout)?.[1];
  if (!uri) return false;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lunik-dsc-'));
  try {
    await fs.chmod(dir, 0o777);
    const got = await execa('/usr/lib/apt/apt-helper', ['download-file', uri, path.join(dir, 'probe.dsc')], { reject: false, stdin: 'ignore', timeout: 60_000 });
    return got.exitCode === 0;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The newest version of source package pkg that apt can fetch. apt's own
 * choice can name a suite whose sources this machine's mirror lacks (seen
 * here: security updates), so each candidate's .dsc is fetched once; the
 * answer is remembered for a day.
 */
export function debianSourceVersion(pkg: string, where = `source-${pkg}`): Promise<string> {
  let v = versions.get(pkg);
  if (!v) {
    v = (async () => {
      const candidates = await knownVersions(pkg);
      if (!candidates.length)
        throw new LunikError({
          where,
          message: `the Debian source package "${pkg}" cannot be found`,
          fix: "check the package name; if it is right, run 'npx lunik doctor --install' as root (it adds the deb-src entry) and 'apt-get update'",
          code: 2,
        });
      const memo = await readMemo();
      const now = Date.now();
      for (const c of candidates) {
        const k = `${pkg}=${c}`;
        const m = memo[k];
        const ok = m && now - m.at < MEMO_TTL_MS ? m.ok : await fetchable(pkg, c);
        if (!m || now - m.at >= MEMO_TTL_MS) {
          memo[k] = { ok, at: now };
          await writeFileAtomic(memoFile(), JSON.stringify(memo, null, 2) + '\n').catch(() => undefined);
        }
        if (ok) return c;
      }
      throw new LunikError({
        where,
        message: `no version of the Debian source package "${pkg}" can be fetched (tried ${candidates.join(', ')})`,
        fix: "run 'apt-get update' as root, check the network, then try again",
      });
    })();
    v.catch(() => versions.delete(pkg));
    versions.set(pkg, v);
  }
  return v;
}

/** Debian source package pkg, unpacked with Debian's patches: out/src/. */
export function debianSourceStage(pkg: string): Stage {
  const id = `source-${pkg}`;
  return {
    id,
    version: 1,
    verb: `fetching the ${pkg} source`,
    deps: [],
    async inputs() {
      return { tools: TOOLS, facts: { [`${pkg} (Debian source)`]: await debianSourceVersion(pkg, id) } };
    },
    artefacts: ['src'],
    async run(ctx) {
      await requireTools(id, TOOLS);
      const version = await debianSourceVersion(pkg, id);
      ctx.note(`${pkg} source: Debian ${version}`);
      const dl = await fs.mkdtemp(path.join(os.tmpdir(), `lunik-${pkg}-`));
      try {
        // apt runs the download as the unprivileged _apt user where it can
        await fs.chmod(dl, 0o777);
        await ctx.exec('apt-get', ['source', '--download-only', '-qq', `${pkg}=${version}`], { cwd: dl, timeoutMs: 15 * 60_000 });
        const dsc = (await fs.readdir(dl)).find((n) => n.endsWith('.dsc'));
        if (!dsc) throw new LunikError({ where: id, message: `apt fetched no .dsc for ${pkg}`, fix: "run 'apt-get update' as root and try again" });
        await ctx.exec('dpkg-source', ['--no-check', '-x', dsc, path.join(ctx.out, 'src')], { cwd: dl, timeoutMs: 15 * 60_000 });
      } finally {
        await fs.rm(dl, { recursive: true, force: true });
      }
    },
  };
}
