// Where things live: the repository (found from this bundle) and the cache.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  if (process.env.LUNIK_REPO) return path.resolve(process.env.LUNIK_REPO);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lunik') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the lunik repository above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

let root: string | undefined;
/** The lunik checkout this CLI belongs to. */
export function repoRoot(): string {
  return (root ??= findRepoRoot());
}

/** ${XDG_CACHE_HOME:-~/.cache}/lunik, or $LUNIK_CACHE when set (tests use it). */
export function cacheRoot(): string {
  if (process.env.LUNIK_CACHE) return path.resolve(process.env.LUNIK_CACHE);
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'lunik');
}
