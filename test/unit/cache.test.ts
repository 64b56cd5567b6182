// Cache keys (stability, sensitivity), atomic entries, corrupt-entry detection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Cache, explainMiss } from '../../src/core/cache.js';
import { HashMemo } from '../../src/core/hash.js';
import { graphKeys, type Stage } from '../../src/core/stage.js';
import { topoOrder } from '../../src/core/runner.js';
import { tempDir } from '../helpers.js';

/** a → b, and c on its own; each reads its own file and config. */
async function graph(dir: string, cfg: { a?: number; b?: number } = {}) {
  const mk = (id: string, deps: Stage[], config: object, tools: string[] = []): Stage => ({
    id,
    version: 1,
    verb: 'testing',
    deps,
    inputs: () => ({ files: [path.join(dir, `${id}.txt`)], config: config as never, tools }),
    run: async () => {},
  });
  const a = mk('a', [], { level: cfg.a ?? 1 }, ['cc']);
  const b = mk('b', [a], { level: cfg.b ?? 1 });
  const c = mk('c', [], {});
  return topoOrder([b, c]);
}

async function keysOf(order: Stage[], tools: Record<string, string> = { cc: '12.2.0' }) {
  const m = await graphKeys(order, new HashMemo(), async (t) => tools[t]);
  return Object.fromEntries([...m].map(([id, v]) => [id, v.key]));
}

async function setup() {
  const dir = await tempDir('keys');
  for (const id of ['a', 'b', 'c']) await fs.writeFile(path.join(dir, `${id}.txt`), `content of ${id}\n`);
  return dir;
}

test('same inputs give the same keys', async () => {
  const dir = await setup();
  const k1 = await keysOf(await graph(dir));
  const k2 = await keysOf(await graph(dir));
  assert.equal(k1, k2);
  assert.match(k1.a, /^[0-9a-f]{64}$/);
  assert.not.equal(k1.a, k1.c);
});

test('one changed input byte re-keys exactly that stage and its dependants', async () => {
  const dir = await setup();
  const before = await keysOf(await graph(dir));
  await fs.writeFile(path.join(dir, 'a.txt'), 'content of A\n');
  const after = await keysOf(await graph(dir));
  assert.not.equal(after.a, before.a);
  assert.not.equal(after.b, before.b, 'b depends on a');
  assert.equal(after.c, before.c, 'c is independent');
});

test('one changed config value re-keys only that stage (and dependants)', async () => {
  const dir = await setup();
  const before = await keysOf(await graph(dir));
  const after = await keysOf(await graph(dir, { b: 2 }));
  assert.equal(after.a, before.a);
  assert.not.equal(after.b, before.b);
  assert.equal(after.c, before.c);
});

test('a changed tool version re-keys the stages that use the tool', async () => {
  const dir = await setup();
  const before = await keysOf(await graph(dir));
  const after = await keysOf(await graph(dir), { cc: '12.3.0' });
  assert.not.equal(after.a, before.a);
  assert.not.equal(after.b, before.b);
  assert.equal(after.c, before.c);
});

test('explainMiss names what changed', async () => {
  const dir = await setup();
  const order = await graph(dir);
  const r1 = (await graphKeys(order, new HashMemo(), async () => '1')).get('a')!.record;
  await fs.writeFile(path.join(dir, 'a.txt'), 'x');
  const r2 = (await graphKeys(await graph(dir, { a: 3 }), new HashMemo(), async () => '2')).get('a')!.record;
  const why = explainMiss(r1, r2).join('\n');
  assert.match(why, /a\.txt changed/);
  assert.match(why, /tool cc: 1 → 2/);
  assert.match(why, /config\.level: 1 → 3/);
});

test('commit is atomic: an aborted or unfinished entry is never found', async () => {
  const root = await tempDir('atomic');
  const cache = new Cache(root);
  await cache.open();
  const p = await cache.begin('s', 'k1');
  await fs.writeFile(path.join(p.out, 'f'), 'data');
  assert.equal(await cache.lookup('s', 'k1'), { miss: 'absent' }, 'not visible before commit');
  const e = await cache.commit(p, { record: {} as never, notes: ['n'], artefacts: ['f'], createdAt: 'now', durationMs: 1 });
  assert.equal(await fs.readFile(path.join(e.out, 'f'), 'utf8'), 'data');
  const hit = await cache.lookup('s', 'k1');
  assert.ok('hit' in hit);
  const p2 = await cache.begin('s', 'k2');
  await cache.abort(p2);
  assert.equal(await cache.lookup('s', 'k2'), { miss: 'absent' });
});

test('a corrupt entry is detected, removed and reported as a miss', async () => {
  const root = await tempDir('corrupt');
  const cache = new Cache(root);
  await cache.open();
  const store = async (key: string) => {
    const p = await cache.begin('s', key);
    await fs.writeFile(path.join(p.out, 'f'), 'good');
    return cache.commit(p, { record: {} as never, notes: [], artefacts: [], createdAt: 'now', durationMs: 1 });
  };
  // changed output
  let e = await store('k1');
  await fs.appendFile(path.join(e.out, 'f'), '!');
  let r = await cache.lookup('s', 'k1');
  assert.ok('miss' in r && r.miss === 'corrupt', JSON.stringify(r));
  assert.match((r as { reason: string }).reason, /output f was changed/);
  assert.equal(await cache.lookup('s', 'k1'), { miss: 'absent' }, 'the corrupt entry is gone');
  // half-written metadata
  e = await store('k2');
  await fs.writeFile(path.join(e.dir, 'meta.json'), '{"format": 1, "sta');
  r = await cache.lookup('s', 'k2');
  assert.ok('miss' in r && r.miss === 'corrupt');
  // extra file
  e = await store('k3');
  await fs.writeFile(path.join(e.out, 'intruder'), 'x');
  r = await cache.lookup('s', 'k3');
  assert.ok('miss' in r && r.miss === 'corrupt');
  // missing output
  e = await store('k4');
  await fs.rm(path.join(e.out, 'f'));
  r = await cache.lookup('s', 'k4');
  assert.ok('miss' in r && r.miss === 'corrupt');
});

test.run();
