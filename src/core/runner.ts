// Runs a stage graph: keys first, then each missing stage in dependency order, via execa.
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { execa } from 'execa';
import { explainMiss, type Cache } from './cache.js';
import { LunikError } from './errors.js';
import { du, formatBytes, formatDuration } from './fsutil.js';
import type { Reporter } from './progress.js';
import { graphKeys, type ExecOptions, type Stage, type StageContext, type StageResult } from './stage.js';
import { canonicalJson, sha256 } from './hash.js';

export interface RunOptions {
  cache: Cache;
  reporter: Reporter;
  verbose?: boolean;
  /** Say why each stage that runs was not found in the cache. */
  explain?: boolean;
}

/** Stages in dependency order, each once. */
export function topoOrder(targets: Stage[]): Stage[] {
  const order: Stage[] = [];
  const state = new Map<string, { stage: Stage; done: boolean }>();
  const visit = (s: Stage, trail: string[]) => {
    const seen = state.get(s.id);
    if (seen) {
      if (seen.stage !== s) throw new Error(`two different stages share the id ${s.id}`);
      if (!seen.done) throw new Error(`stage cycle: ${[...trail, s.id].join(' → ')}`);
      return;
    }
    state.set(s.id, { stage: s, done: false });
    for (const d of s.deps) visit(d, [...trail, s.id]);
    state.get(s.id)!.done = true;
    order.push(s);
  };
  for (const t of targets) visit(t, []);
  return order;
}

/** The environment every command starts from; a stage adds only what it declares. */
function baseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TERM: 'dumb',
  };
}

const COMPILER_DIAG = /^\S+:\d+:(\d+:)? (fatal )?error:|: (multiple definition of|undefined reference to) |^\S*\bld(\.bfd)?: (cannot find|error)/;
const ERROR_LINE = /(^|[\s:])(fatal error|error|Error|ERROR)(\s*:|\s+\d+\b)|undefined reference|No rule to make target/;

export interface RunResult {
  /** Every stage of the graph, in the order it was visited. */
  all: StageResult[];
  /** The requested stages. */
  targets: StageResult[];
}

export async function runStages(targets: Stage[], opts: RunOptions): Promise<RunResult> {
  const { cache, reporter } = opts;
  const results = new Map<string, StageResult>();
  const order = topoOrder(targets);
  const keys = await graphKeys(order, cache.memo);
  for (const stage of order) {
    const { record, key } = keys.get(stage.id)!;
    const found = await cache.lookup(stage.id, key);
    if ('hit' in found) {
      const { meta } = found.hit;
      for (const n of meta.notes) reporter.note(stage.id, n);
      if (opts.verbose) {
        const log = await fs.readFile(found.hit.log, 'utf8').catch(() => '');
        for (const l of log.split('\n').filter(Boolean)) reporter.line(stage.id, l);
      }
      reporter.end(stage.id, 'cached', 0, key.slice(0, 12));
      results.set(stage.id, { id: stage.id, key, out: found.hit.out, log: found.hit.log, cached: true, durationMs: 0, notes: meta.notes, artefacts: meta.artefacts });
      continue;
    }
    if (found.miss === 'corrupt') reporter.note(stage.id, `cache entry ${key.slice(0, 12)} was corrupt (${found.reason}); rebuilding`);
    if (opts.explain) reporter.note(stage.id, `miss: ${explainMiss((await cache.latest(stage.id))?.record, record).join('; ')}`);
    results.set(stage.id, await runOne(stage, key, record, results, opts));
  }
  return { all: [...results.values()], targets: targets.map((t) => results.get(t.id)!) };
}

async function runOne(stage: Stage, key: string, record: import('./cache.js').KeyRecord, results: Map<string, StageResult>, opts: RunOptions): Promise<StageResult> {
  const { cache, reporter } = opts;
  const pending = await cache.begin(stage.id, key);
  const logStream = createWriteStream(pending.log, { flags: 'a' });
  const notes: string[] = [];
  const started = Date.now();
  const declaredEnv = { ...baseEnv(), ...((await stage.inputs()).env ?? {}) };
  const workLease = stage.workKey ? await cache.workDir(stage.id, sha256(canonicalJson(await stage.workKey())), (pid) => reporter.note(stage.id, `waiting for another lunik run (pid ${pid}) to finish with the work tree`)) : undefined;
  const work = workLease?.dir;
  const log = (line: string) => {
    logStream.write(line + '\n');
    reporter.line(stage.id, line);
  };
  const ctx: StageContext = {
    id: stage.id,
    out: pending.out,
    work,
    deps: Object.fromEntries(stage.deps.map((d) => [d.id, results.get(d.id)!])),
    verbose: !!opts.verbose,
    log,
    note(text) {
      notes.push(text);
      logStream.write(`note: ${text}\n`);
      reporter.note(stage.id, text);
    },
    exec: (file, args, o) => execLogged(stage.id, file, args, { ...o, env: { ...declaredEnv, ...(o?.env ?? {}) } }, logStream, reporter, pending.log),
  };
  reporter.start(stage.id, stage.verb);
  try {
    await stage.run(ctx);
  } catch (e) {
    await workLease?.release();
    await closeStream(logStream);
    const kept = path.join(cache.root, 'logs', `${stage.id}.log`);
    await fs.mkdir(path.dirname(kept), { recursive: true });
    await fs.copyFile(pending.log, kept).catch(() => undefined);
    await cache.abort(pending);
    reporter.end(stage.id, 'failed', Date.now() - started);
    if (e instanceof LunikError) throw e.at(e.where === 'lunik' ? stage.id : e.where, { log: kept });
    throw new LunikError({ where: stage.id, message: (e as Error).message, log: kept, context: (e as Error).stack?.split('\n').slice(1, 4).map((s) => s.trim()) });
  }
  await workLease?.release();
  await closeStream(logStream);
  const durationMs = Date.now() - started;
  const entry = await cache.commit(pending, { record, notes, artefacts: stage.artefacts ?? [], createdAt: new Date().toISOString(), durationMs });
  reporter.end(stage.id, 'built', durationMs);
  return { id: stage.id, key, out: entry.out, log: entry.log, cached: false, durationMs, notes, artefacts: stage.artefacts ?? [] };
}

function closeStream(s: WriteStream): Promise<void> {
  return new Promise((resolve) => s.end(resolve));
}

/** A stage command may run this long unless it says otherwise (a fresh kernel build takes minutes, never an hour). */
const DEFAULT_TIMEOUT_MS = 60 * 60_000;

/**
 * Stage commands run in process groups of their own, so that a timeout or
 * an interrupt ends make *and* the compilers it started. While any runs,
 * SIGINT/SIGTERM to lunik end those groups first; the stage then fails as
 * interrupted, and its temporary output is dropped like any failure's.
 */
const liveGroups = new Set<number>();
let interrupted: NodeJS.Signals | undefined;
function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}
function onSignal(sig: NodeJS.Signals): void {
  interrupted = sig;
  for (const pid of liveGroups) killGroup(pid, 'SIGTERM');
  setTimeout(() => liveGroups.forEach((pid) => killGroup(pid, 'SIGKILL')), 3000).unref();
}
function track(pid: number): () => void {
  if (liveGroups.size === 0) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  liveGroups.add(pid);
  return () => {
    liveGroups.delete(pid);
    if (liveGroups.size === 0) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  };
}

/** Run one command with exactly the given environment, teeing its output into the stage log. */
async function execLogged(id: string, file: string, args: string[], o: ExecOptions & { env: Record<string, string> }, logStream: WriteStream, reporter: Reporter, logPath: string): Promise<{ stdout: string }> {
  const shown = [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  reporter.command(id, shown);
  logStream.write(`$ ${shown}\n`);
  const child = execa(file, args, {
    cwd: o.cwd,
    env: o.env,
    extendEnv: false,
    input: o.input,
    stdin: o.input === undefined ? 'ignore' : 'pipe',
    buffer: false,
    reject: false,
    detached: true,
  });
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timedOut = false;
  const untrack = child.pid ? track(child.pid) : () => undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid) {
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid!, 'SIGKILL'), 5000).unref();
    }
  }, timeoutMs);
  const tail: string[] = [];
  let stdout = '';
  const pump = (stream: NodeJS.ReadableStream | null, isOut: boolean) =>
    new Promise<void>((resolve) => {
      if (!stream) return resolve();
      const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
      rl.on('line', (line) => {
        if (isOut && stdout.length < 16 << 20) stdout += line + '\n';
        logStream.write(line + '\n');
        reporter.line(id, line);
        tail.push(line);
        if (tail.length > 2000) tail.shift();
      });
      rl.on('close', resolve);
    });
  const [r] = await Promise.all([child, pump(child.stdout, true), pump(child.stderr, false)]).finally(() => {
    clearTimeout(timer);
    untrack();
  });
  if (interrupted) throw new LunikError({ where: id, message: `interrupted (${interrupted}): ${shown.slice(0, 200)}`, log: logPath, code: 1 });
  if (r.exitCode !== 0 || r.failed) {
    // a compiler's or linker's own diagnostic beats make's "*** Error 2" echo
    const diag = tail.findIndex((l) => COMPILER_DIAG.test(l));
    const firstErr = diag >= 0 ? diag : tail.findIndex((l) => ERROR_LINE.test(l));
    // keep the "In function ..." line that names where a diagnostic is
    const from = firstErr > 0 && /in function/i.test(tail[firstErr - 1]) ? firstErr - 1 : firstErr;
    const context = firstErr >= 0 ? tail.slice(from, from + 4) : tail.slice(-6);
    const how = timedOut ? `timed out after ${formatDuration(timeoutMs)}` : (r as { code?: string }).code === 'ENOENT' ? 'could not be started (not found)' : r.signal ? `was killed by ${r.signal}` : `failed with exit code ${r.exitCode}`;
    throw new LunikError({ where: id, message: `${path.basename(file)} ${how}: ${shown.slice(0, 300)}`, context, log: logPath, code: 1 });
  }
  return { stdout };
}

/** The closing lines: what ran, what was reused, and the artefacts with their sizes. */
export async function printSummary(reporter: Reporter, run: RunResult, wallMs: number): Promise<void> {
  const all = run.all.length;
  const built = run.all.filter((r) => !r.cached).length;
  reporter.info(`done: ${all} stage${all === 1 ? '' : 's'}, ${built} built, ${all - built} cached, in ${formatDuration(wallMs)}`);
  for (const r of run.targets)
    for (const a of r.artefacts) {
      const p = path.join(r.out, a);
      reporter.info(`  ${p} (${formatBytes(await du(p))})`);
    }
}
