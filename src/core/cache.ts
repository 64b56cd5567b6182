// The content-addressed cache: entries keyed by a stage's input record, written atomically.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { du, exists, pidAlive, writeFileAtomic } from './fsutil.js';
import { HashMemo, hashTree, type Json, type TreeEntry } from './hash.js';

/** Everything a stage's key is computed from; kept in the entry so a miss can be explained. */
export interface KeyRecord {
  stage: string;
  version: number;
  files: Record<string, string>;
  config: Json;
  tools: Record<string, string>;
  env: Record<string, string>;
  facts: Record<string, string>;
  deps: Record<string, string>;
}

export interface EntryMeta {
  format: 1;
  stage: string;
  key: string;
  record: KeyRecord;
  /** Manifest of out/: every path with its kind and content hash. */
  outputs: Record<string, TreeEntry>;
  /** Notes the stage printed; replayed when the entry is used. */
  notes: string[];
  artefacts: string[];
  createdAt: string;
  durationMs: number;
}

export interface Entry {
  dir: string;
  out: string;
  log: string;
  meta: EntryMeta;
}

export type Lookup = { hit: Entry } | { miss: 'absent' } | { miss: 'corrupt'; reason: string };

/** A stage run in progress: its files live in a private temp dir until commit. */
export interface Pending {
  stage: string;
  key: string;
  dir: string;
  out: string;
  log: string;
}

const STAGE_ID = /^[a-z0-9][a-z0-9._-]*$/;
const META = 'meta.json';

export class Cache {
  readonly memo: HashMemo;

  constructor(readonly root: string) {
    this.memo = new HashMemo(path.join(root, 'hash-memo.json'));
  }

  private entriesDir(stage?: string): string {
    if (stage !== undefined && !STAGE_ID.test(stage)) throw new Error(`bad stage id ${JSON.stringify(stage)}`);
    return stage === undefined ? path.join(this.root, 'entries') : path.join(this.root, 'entries', stage);
  }

  entryDir(stage: string, key: string): string {
    return path.join(this.entriesDir(stage), key);
  }

  async open(): Promise<void> {
    await fs.mkdir(path.join(this.root, 'tmp'), { recursive: true });
    await this.memo.load();
    await this.sweep();
  }

  async close(): Promise<void> {
    await this.memo.save();
  }

  /** Remove temp dirs left by runs that died (their pid is gone). */
  async sweep(): Promise<void> {
    const tmp = path.join(this.root, 'tmp');
    for (const name of await fs.readdir(tmp).catch(() => [] as string[])) {
      const pid = Number(/-p(\d+)-/.exec(name)?.[1]);
      if (!pid || !pidAlive(pid)) await fs.rm(path.join(tmp, name), { recursive: true, force: true });
    }
  }

  /**
   * Find the entry for (stage, key). An entry whose metadata is unreadable or
   * whose outputs differ from its manifest is corrupt: it is removed and
   * reported as a miss, never used.
   */
  async lookup(stage: string, key: string): Promise<Lookup> {
    const dir = this.entryDir(stage, key);
    if (!(await exists(dir))) return { miss: 'absent' };
    const reason = await this.verify(dir, stage, key);
    if (reason) {
      await this.discard(dir);
      return { miss: 'corrupt', reason };
    }
    const meta = JSON.parse(await fs.readFile(path.join(dir, META), 'utf8')) as EntryMeta;
    return { hit: { dir, out: path.join(dir, 'out'), log: path.join(dir, 'log.txt'), meta } };
  }

  /** Why an entry cannot be trusted, or undefined if it can. */
  private async verify(dir: string, stage: string, key: string): Promise<string | undefined> {
    let meta: EntryMeta;
    try {
      meta = JSON.parse(await fs.readFile(path.join(dir, META), 'utf8')) as EntryMeta;
    } catch (e) {
      return `its ${META} is missing or unreadable (${(e as Error).message})`;
    }
    if (meta.format !== 1 || meta.stage !== stage || meta.key !== key || typeof meta.outputs !== 'object')
      return `its ${META} does not describe this entry`;
    const out = path.join(dir, 'out');
    let actual: Map<string, TreeEntry>;
    try {
      actual = await hashTree(out, out, this.memo);
    } catch (e) {
      return `its outputs cannot be read (${(e as Error).message})`;
    }
    const expected = Object.entries(meta.outputs);
    if (expected.length !== actual.size) return `it holds ${actual.size} output paths, its manifest lists ${expected.length}`;
    for (const [p, want] of expected) {
      const got = actual.get(p);
      if (!got) return `output ${p} is missing`;
      if (got.kind !== want.kind || got.value !== want.value) return `output ${p} was changed after it was stored`;
    }
    return undefined;
  }

  private async discard(dir: string): Promise<void> {
    const trash = path.join(this.root, 'tmp', `trash-p${process.pid}-${randomBytes(4).toString('hex')}`);
    await fs.rename(dir, trash).catch(() => undefined);
    await fs.rm(trash, { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
  }

  async begin(stage: string, key: string): Promise<Pending> {
    const dir = path.join(this.root, 'tmp', `${stage}-p${process.pid}-${randomBytes(6).toString('hex')}`);
    await fs.mkdir(path.join(dir, 'out'), { recursive: true });
    const log = path.join(dir, 'log.txt');
    await fs.writeFile(log, '');
    return { stage, key, dir, out: path.join(dir, 'out'), log };
  }

  /**
   * Seal a finished run: write its manifest and metadata, then rename the
   * whole directory into place in one step, so an entry is either complete
   * or absent.
   */
  async commit(p: Pending, meta: Omit<EntryMeta, 'format' | 'outputs' | 'stage' | 'key'>): Promise<Entry> {
    const outputs = Object.fromEntries(await hashTree(p.out, p.out, this.memo));
    const full: EntryMeta = { format: 1, stage: p.stage, key: p.key, outputs, ...meta };
    await writeFileAtomic(path.join(p.dir, META), JSON.stringify(full, null, 1));
    const dir = this.entryDir(p.stage, p.key);
    await fs.mkdir(path.dirname(dir), { recursive: true });
    try {
      await fs.rename(p.dir, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      // another run stored the same key first; its content is equivalent
      await fs.rm(p.dir, { recursive: true, force: true });
    }
    // the log of a run stays useful after the rename; point at the entry's copy
    return { dir, out: path.join(dir, 'out'), log: path.join(dir, 'log.txt'), meta: full };
  }

  async abort(p: Pending): Promise<void> {
    await fs.rm(p.dir, { recursive: true, force: true });
  }

  /** The most recently stored entry of a stage: what a miss is compared with. */
  async latest(stage: string): Promise<EntryMeta | undefined> {
    let best: { t: number; meta: EntryMeta } | undefined;
    const dir = this.entriesDir(stage);
    for (const key of await fs.readdir(dir).catch(() => [] as string[])) {
      try {
        const file = path.join(dir, key, META);
        const t = (await fs.stat(file)).mtimeMs;
        if (!best || t > best.t) best = { t, meta: JSON.parse(await fs.readFile(file, 'utf8')) as EntryMeta };
      } catch {
        // unreadable entries are skipped here and caught by lookup()
      }
    }
    return best?.meta;
  }

  async list(): Promise<{ stage: string; key: string; bytes: number; createdAt: string; dir: string }[]> {
    const rows = [];
    for (const stage of (await fs.readdir(this.entriesDir()).catch(() => [] as string[])).sort()) {
      for (const key of await fs.readdir(this.entriesDir(stage)).catch(() => [] as string[])) {
        const dir = this.entryDir(stage, key);
        let createdAt = '?';
        try {
          createdAt = (JSON.parse(await fs.readFile(path.join(dir, META), 'utf8')) as EntryMeta).createdAt;
        } catch {
          createdAt = 'corrupt';
        }
        rows.push({ stage, key, bytes: await du(dir), createdAt, dir });
      }
    }
    return rows;
  }

  /** Remove entries (of one stage, or all) and the work dirs that go with them. */
  async clean(stage?: string): Promise<number> {
    const rows = (await this.list()).filter((r) => stage === undefined || r.stage === stage);
    for (const r of rows) await this.discard(r.dir);
    const work = stage === undefined ? path.join(this.root, 'work') : path.join(this.root, 'work', stage);
    await fs.rm(work, { recursive: true, force: true });
    return rows.length;
  }

  /**
   * A persistent scratch directory for incremental work (e.g. a kernel build
   * tree), locked for this process until release() so that two lunik runs
   * never build in the same tree. A lock whose owner died is taken over.
   */
  async workDir(stage: string, workKey: string, waiting: (pid: number) => void): Promise<{ dir: string; release: () => Promise<void> }> {
    const dir = path.join(this.root, 'work', stage, workKey.slice(0, 16));
    await fs.mkdir(dir, { recursive: true });
    const lock = path.join(dir, '.lock');
    let told = false;
    for (;;) {
      try {
        await fs.writeFile(lock, String(process.pid), { flag: 'wx' });
        return { dir, release: () => fs.rm(lock, { force: true }) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = Number(await fs.readFile(lock, 'utf8').catch(() => '0'));
      if (!owner || !pidAlive(owner)) {
        // Take a dead owner's lock over by renaming it away: only one of two
        // racing runs can win the rename, so neither deletes the other's new lock.
        const stale = `${lock}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
        if (await fs.rename(lock, stale).then(() => true, () => false)) await fs.rm(stale, { force: true });
        continue;
      }
      if (!told) waiting(owner);
      told = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** What differs between the record of the last stored entry and the current one. */
export function explainMiss(prev: KeyRecord | undefined, cur: KeyRecord): string[] {
  if (!prev) return ['never built before'];
  const why: string[] = [];
  if (prev.version !== cur.version) why.push(`stage version ${prev.version} → ${cur.version}`);
  const diffMaps = (kind: string, a: Record<string, string>, b: Record<string, string>, show: boolean) => {
    for (const k of Object.keys(b).sort()) {
      if (!(k in a)) why.push(`${kind} ${k} added`);
      else if (a[k] !== b[k]) why.push(show ? `${kind} ${k}: ${a[k]} → ${b[k]}` : `${kind} ${k} changed`);
    }
    for (const k of Object.keys(a).sort()) if (!(k in b)) why.push(`${kind} ${k} removed`);
  };
  diffMaps('file', prev.files ?? {}, cur.files, false);
  diffMaps('tool', prev.tools ?? {}, cur.tools, true);
  diffMaps('env', prev.env ?? {}, cur.env, true);
  diffMaps('fact', prev.facts ?? {}, cur.facts, true);
  diffMaps('dependency', prev.deps ?? {}, cur.deps, false);
  diffJson('config', prev.config, cur.config, why);
  return why.length ? why : ['the entry was removed or found corrupt'];
}

function diffJson(at: string, a: unknown, b: unknown, why: string[]): void {
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) diffJson(`${at}.${k}`, ao[k], bo[k], why);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    why.push(`${at}: ${JSON.stringify(a) ?? 'unset'} → ${JSON.stringify(b) ?? 'unset'}`);
  }
}
