// The stage model: what a stage declares, and how its cache key is computed from that.
import path from 'node:path';
import { type KeyRecord } from './cache.js';
import { canonicalJson, hashTree, sha256, type HashMemo, type Json } from './hash.js';
import { repoRoot } from './paths.js';
import { toolVersion } from './tools.js';
import { LunikError } from './errors.js';

export interface StageInputs {
  /** Files or directories (hashed recursively) whose contents the stage reads. */
  files?: string[];
  /** Configuration values that change what the stage makes. */
  config?: Json;
  /** Host tools whose versions change what the stage makes (names from tools.ts). */
  tools?: string[];
  /** The declared environment: the only variables (besides PATH, HOME) its commands see. */
  env?: Record<string, string>;
  /** Other identifying facts, e.g. the exact Debian version of a source package. */
  facts?: Record<string, string>;
}

export interface ExecOptions {
  cwd?: string;
  /** Extra variables for this command only (on top of the declared env). */
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
}

export interface StageContext {
  id: string;
  /** Where the stage writes its outputs (becomes the cache entry's out/). */
  out: string;
  /** Persistent scratch directory, present when the stage declares a workKey. */
  work?: string;
  /** Results of the stages this one depends on, by id. */
  deps: Record<string, StageResult>;
  /** Run a command with the declared environment; output goes to the log. Throws on failure. */
  exec(file: string, args: string[], opts?: ExecOptions): Promise<{ stdout: string }>;
  /** A line for the stage's log (and the live view). */
  log(line: string): void;
  /** A note shown to the user now and replayed whenever the entry is reused. */
  note(text: string): void;
  verbose: boolean;
}

export interface Stage {
  /** Unique in a graph; a cache namespace. Lower-case, digits, '.', '_', '-'. */
  id: string;
  /** Bump when the run function changes what it makes. */
  version: number;
  /** Shown while it runs, e.g. "building". */
  verb: string;
  deps: Stage[];
  inputs(): StageInputs | Promise<StageInputs>;
  run(ctx: StageContext): Promise<void>;
  /** Paths inside out/ shown in the summary. */
  artefacts?: string[];
  /**
   * When set, the stage gets a persistent work dir keyed by this value, kept
   * across runs so that builds can be incremental (e.g. the kernel tree).
   */
  workKey?: () => Json | Promise<Json>;
}

export interface StageResult {
  id: string;
  key: string;
  /** The cache entry's out/ directory. */
  out: string;
  log: string;
  cached: boolean;
  durationMs: number;
  notes: string[];
  artefacts: string[];
}

/** Name a path for the key record: relative to the repo when inside it. */
function recordPath(p: string): string {
  const rel = path.relative(repoRoot(), p);
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel.split(path.sep).join('/');
}

/** Build the canonical record of a stage's inputs, and its key. */
export type ToolResolver = (name: string) => Promise<string | undefined>;

export async function keyRecord(stage: Stage, depKeys: Record<string, string>, memo: HashMemo, resolveTool: ToolResolver = toolVersion): Promise<{ record: KeyRecord; key: string }> {
  const inputs = await stage.inputs();
  const files: Record<string, string> = {};
  for (const f of inputs.files ?? []) {
    const abs = path.resolve(f);
    let tree;
    try {
      tree = await hashTree(abs, path.dirname(abs), memo);
    } catch (e) {
      throw new LunikError({ where: stage.id, message: `input ${recordPath(abs)} cannot be read: ${(e as Error).message}`, code: 1 });
    }
    const prefix = recordPath(path.dirname(abs));
    for (const [rel, entry] of tree) {
      const name = prefix === '' || prefix === '.' ? rel : `${prefix}/${rel}`;
      files[name] = `${entry.kind}:${entry.value}`;
    }
  }
  const tools: Record<string, string> = {};
  for (const t of inputs.tools ?? []) {
    const v = await resolveTool(t);
    if (v === undefined)
      throw new LunikError({ where: stage.id, message: `missing host tool ${t}`, fix: "run 'npx lunik doctor --install' as root", code: 2 });
    tools[t] = v;
  }
  const record: KeyRecord = {
    stage: stage.id,
    version: stage.version,
    files,
    config: inputs.config ?? null,
    tools,
    env: inputs.env ?? {},
    facts: inputs.facts ?? {},
    deps: depKeys,
  };
  return { record, key: sha256(canonicalJson(record)) };
}

/** Keys of every stage reachable from targets, in dependency order (no stage is run). */
export async function graphKeys(order: Stage[], memo: HashMemo, resolveTool: ToolResolver = toolVersion): Promise<Map<string, { record: KeyRecord; key: string }>> {
  const keys = new Map<string, { record: KeyRecord; key: string }>();
  for (const s of order) keys.set(s.id, await keyRecord(s, Object.fromEntries(s.deps.map((d) => [d.id, keys.get(d.id)!.key])), memo, resolveTool));
  return keys;
}
