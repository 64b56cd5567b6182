// Content hashing: canonical JSON, files and trees, with a stat memo so warm runs stay fast.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './fsutil.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (value === undefined) return 'null';
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k])).join(',') + '}';
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Remembers file hashes by (size, mtime, ctime, inode), like git's index, so
 * that a warm build does not re-read large inputs. Any change to the file's
 * metadata invalidates its entry.
 */
export class HashMemo {
  private entries = new Map<string, { stamp: string; hash: string }>();
  private dirty = false;

  constructor(private readonly file?: string) {}

  async load(): Promise<void> {
    if (!this.file) return;
    try {
      const data = JSON.parse(await fs.readFile(this.file, 'utf8')) as Record<string, [string, string]>;
      for (const [p, [stamp, hash]] of Object.entries(data)) this.entries.set(p, { stamp, hash });
    } catch {
      // a missing or unreadable memo only costs re-hashing
    }
  }

  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    const out: Record<string, [string, string]> = {};
    for (const [p, e] of this.entries) out[p] = [e.stamp, e.hash];
    await writeFileAtomic(this.file, JSON.stringify(out));
    this.dirty = false;
  }

  async hashFile(file: string): Promise<string> {
    const abs = path.resolve(file);
    const st = await fs.stat(abs, { bigint: true });
    const stamp = `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`;
    const known = this.entries.get(abs);
    if (known && known.stamp === stamp) return known.hash;
    const hash = await sha256File(abs);
    this.entries.set(abs, { stamp, hash });
    this.dirty = true;
    return hash;
  }
}

export interface TreeEntry {
  /** "file", "exec" (a file with an executable bit), "link" or "dir" */
  kind: 'file' | 'exec' | 'link' | 'dir';
  /** content hash for files, target for links, "" for directories */
  value: string;
}

/**
 * Hash every entry below root (or root itself if it is a file). Keys are
 * paths relative to base, with '/' separators, sorted.
 */
export async function hashTree(root: string, base: string, memo: HashMemo): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  async function walk(p: string): Promise<void> {
    const st = await fs.lstat(p);
    const rel = path.relative(base, p).split(path.sep).join('/') || '.';
    if (st.isSymbolicLink()) {
      out.set(rel, { kind: 'link', value: await fs.readlink(p) });
    } else if (st.isDirectory()) {
      const names = (await fs.readdir(p)).sort();
      if (names.length === 0) out.set(rel, { kind: 'dir', value: '' });
      for (const n of names) await walk(path.join(p, n));
    } else if (st.isFile()) {
      out.set(rel, { kind: st.mode & 0o111 ? 'exec' : 'file', value: await memo.hashFile(p) });
    }
  }
  await walk(root);
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
