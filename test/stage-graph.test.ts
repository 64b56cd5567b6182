// A real two-stage graph (gcc compile, then run): cold, warm, one input changed,
// a run killed mid-stage, a corrupted entry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ROOT, tempDir, withTimeout } from './helpers.js';

const DRIVER = path.join(ROOT, 'test/fixtures/toy-graph.ts');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

interface Row {
  id: string;
  cached: boolean;
  key: string;
  out: string;
}

async function setup() {
  const dir = await tempDir('graph');
  await fs.copyFile(path.join(ROOT, 'test/fixtures/toy/hello.c'), path.join(dir, 'hello.c'));
  return { dir, cache: path.join(dir, 'cache') };
}

async function runGraph(dir: string, cache: string, extra: string[] = []): Promise<{ rows: Record<string, Row>; ms: number; stderr: string }> {
  const t0 = Date.now();
  const r = await execa(TSX, [DRIVER, dir, cache, ...extra], { timeout: 60_000, reject: false });
  const ms = Date.now() - t0;
  assert.is(r.exitCode, 0, `driver failed: ${r.stderr}`);
  const rows = Object.fromEntries((JSON.parse(r.stdout.trim().split('\n').pop()!) as Row[]).map((x) => [x.id, x]));
  return { rows, ms, stderr: r.stderr };
}

test(
  'cold run executes both stages; warm run none, in under 2 s; a changed source reruns both',
  withTimeout(120_000, async () => {
    const { dir, cache } = await setup();
    const cold = await runGraph(dir, cache);
    assert.is(cold.rows.compile.cached, false);
    assert.is(cold.rows.output.cached, false);
    assert.is(await fs.readFile(path.join(cold.rows.output.out, 'output.txt'), 'utf8'), 'hello from the toy stage\n');

    const warm = await runGraph(dir, cache);
    assert.is(warm.rows.compile.cached, true);
    assert.is(warm.rows.output.cached, true);
    assert.ok(warm.ms < 2000, `warm run took ${warm.ms} ms`);
    assert.not.match(warm.stderr, /\$ gcc/, 'no command ran');

    const src = path.join(dir, 'hello.c');
    await fs.writeFile(src, (await fs.readFile(src, 'utf8')).replace('toy stage', 'changed toy'));
    const changed = await runGraph(dir, cache, ['--explain']);
    assert.is(changed.rows.compile.cached, false);
    assert.is(changed.rows.output.cached, false);
    assert.match(changed.stderr, /compile: miss: file \S*hello\.c changed/);
    assert.is(await fs.readFile(path.join(changed.rows.output.out, 'output.txt'), 'utf8'), 'hello from the changed toy\n');

    // a config change (compiler flags) reruns both; going back reuses the first entries
    const flags = await runGraph(dir, cache, ['--cflags', '-O0']);
    assert.is(flags.rows.compile.cached, false);
    const back = await runGraph(dir, cache);
    assert.is(back.rows.compile.cached, true);
    assert.is(back.rows.compile.key, changed.rows.compile.key);
  }),
);

test(
  'a stage killed mid-run leaves no entry; the next run rebuilds it',
  withTimeout(120_000, async () => {
    const { dir, cache } = await setup();
    const child = execa(TSX, [DRIVER, dir, cache, '--hang'], { reject: false, all: true, detached: true, env: { LUNIK_TOY_HANG: '1' } });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('hang stage never started')), 60_000);
      child.all!.on('data', (d: Buffer) => {
        if (d.toString().includes('hang: started')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    const leftovers = await fs.readdir(path.join(cache, 'tmp'));
    assert.ok(leftovers.some((n) => n.startsWith('hang-')), 'the stage was writing into a temp dir');
    // kill the whole process group (tsx, node, sleep) as a crash or power loss would
    process.kill(-child.pid!, 'SIGKILL');
    await child;
    assert.is(await fs.readdir(path.join(cache, 'entries/hang')).catch(() => []).then((l) => l.length), 0, 'no entry for the killed stage');
    const compileEntries = await fs.readdir(path.join(cache, 'entries/compile'));
    assert.is(compileEntries.length, 1, 'the finished stage before it was kept');
    // the next run (the stage now finishes quickly) builds it, reusing compile, and sweeps the temp dir
    const next = await runGraph(dir, cache, ['--hang']);
    assert.is(next.rows.compile.cached, true);
    assert.is(next.rows.hang.cached, false);
    assert.is(await fs.readFile(path.join(next.rows.hang.out, 'partial'), 'utf8'), 'half-written');
    const stale = (await fs.readdir(path.join(cache, 'tmp'))).filter((n) => n.startsWith('hang-'));
    assert.is(stale.length, 0, `stale temp dir swept: ${stale} (killed: ${leftovers})`);
  }),
);

test(
  'a corrupted entry is detected and rebuilt, never used',
  withTimeout(120_000, async () => {
    const { dir, cache } = await setup();
    const first = await runGraph(dir, cache);
    const bin = path.join(first.rows.compile.out, 'hello');
    await fs.writeFile(bin, 'not a program');
    const second = await runGraph(dir, cache);
    assert.match(second.stderr, /compile: cache entry \w+ was corrupt \(output hello was changed after it was stored\); rebuilding/);
    assert.is(second.rows.compile.cached, false);
    assert.is(second.rows.compile.key, first.rows.compile.key);
    assert.is(second.rows.output.cached, true, 'its dependant has the same key and a sound entry');
    const { stdout } = await execa(path.join(second.rows.compile.out, 'hello'));
    assert.is(stdout, 'hello from the toy stage');
  }),
);

/** Whether process pid still runs (a zombie counts as gone). */
async function alive(pid: number): Promise<boolean> {
  const st = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return st !== '' && !/^\d+ \([^)]*\) Z/.test(st);
}

async function waitGone(pid: number, ms = 10_000): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (!(await alive(pid))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

test(
  "a stage command's timeout ends its whole process group, not only the command",
  withTimeout(60_000, async () => {
    const { dir, cache } = await setup();
    const pidFile = path.join(dir, 'child.pid');
    const r = await execa(TSX, [DRIVER, dir, cache, '--group'], { timeout: 50_000, reject: false, all: true, env: { LUNIK_TOY_TIMEOUT_MS: '1500', LUNIK_TOY_PIDFILE: pidFile } });
    assert.is.not(r.exitCode, 0);
    assert.match(String(r.all), /sh timed out after/);
    const pid = Number(await fs.readFile(pidFile, 'utf8'));
    assert.ok(await waitGone(pid), `the command's child ${pid} outlived the timeout`);
  }),
);

test(
  "SIGINT to lunik while a stage runs ends the stage's process group and fails it as interrupted",
  withTimeout(120_000, async () => {
    const { dir, cache } = await setup();
    const pidFile = path.join(dir, 'child.pid');
    const p = execa(TSX, [DRIVER, dir, cache, '--group'], { timeout: 110_000, reject: false, all: true, env: { LUNIK_TOY_PIDFILE: pidFile } });
    let out = '';
    p.all!.on('data', (d: Buffer) => (out += d.toString()));
    const t0 = Date.now();
    // the command wrote its child's pid, then "started" (the reporter echoes
    // the command line first, which says "started" too)
    while (!/^group \| started$/m.test(out)) {
      if (p.exitCode !== null || Date.now() - t0 > 90_000) assert.unreachable(`the stage command did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const pid = Number(await fs.readFile(pidFile, 'utf8'));
    // tsx runs the driver in a child process of its own: signal that process, as a kill would
    const driver = (await execa('pgrep', ['-f', `toy-graph.ts ${dir}`], { reject: false })).stdout.split('\n').filter(Boolean).map(Number);
    for (const d of driver) process.kill(d, 'SIGINT');
    const r = await p;
    assert.is.not(r.exitCode, 0);
    assert.match(String(r.all), /interrupted \(SIGINT\)/);
    assert.ok(await waitGone(pid), `the command's child ${pid} outlived the interrupt`);
  }),
);

test.run();

