// nunjucks templates with strict undefined checks; JSON schema validation naming unknown keys.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs/promises';
import path from 'node:path';
import { LunikError } from '../../src/core/errors.js';
import { renderFile, renderString } from '../../src/core/template.js';
import { loadJson } from '../../src/core/schema.js';
import { recipeSchema } from '../../src/recipe/schema.js';
import { tempDir } from '../helpers.js';

function thrown(fn: () => unknown): LunikError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, LunikError);
    return e as LunikError;
  }
  throw new Error('expected an error');
}

test('a template renders its variables', () => {
  assert.is(renderString('listen {{ port }};', { port: 80 }, 'nginx.conf.njk'), 'listen 80;');
});

test('a missing template variable is an error naming the template and position', () => {
  const e = thrown(() => renderString('a\nlisten {{ port }};', {}, 'nginx.conf.njk'));
  assert.is(e.code, 2);
  assert.match(e.message, /nginx\.conf\.njk:2:\d+: a variable used here is undefined/);
});

test('template files render from the repository', async () => {
  const dir = await tempDir('tpl');
  const f = path.join(dir, 't.njk');
  await fs.writeFile(f, '{{ title }}:{% for x in xs %}[{{ x }}]{% endfor %}');
  assert.is(renderFile(f, { title: 't', xs: [1, 2] }), 't:[1][2]');
  assert.throws(() => renderFile(f, {}), (e: unknown) => e instanceof LunikError && /t\.njk/.test(e.message));
});

const good = { name: 'demo', source: { dir: 'src' }, program: 'demo', cmdline: ['/demo'], ports: [80], memory: '32M' };

async function recipeFile(obj: unknown, raw?: string): Promise<string> {
  const dir = await tempDir('recipe');
  const f = path.join(dir, 'recipe.json');
  await fs.writeFile(f, raw ?? JSON.stringify(obj, null, 2));
  return f;
}

test('a valid recipe loads', async () => {
  const r = loadJson<{ name: string }>(await recipeFile(good), recipeSchema, 'build');
  assert.is(r.name, 'demo');
});

test('an unknown key is rejected by name with its line and column', async () => {
  const f = await recipeFile({ ...good, prots: [80] });
  const e = thrown(() => loadJson(f, recipeSchema, 'build'));
  assert.is(e.code, 2);
  assert.match(e.message, /recipe\.json:14:3: unknown key "prots" at the top level/);
  assert.match(e.fix ?? '', /ports/);
});

test('an unknown nested key and a missing key are both reported', async () => {
  const f = await recipeFile({ name: 'demo', source: { dir: 'x' }, verify: { http: { port: 80, path: '/', status: 200, colour: 'red' } } });
  const e = thrown(() => loadJson(f, recipeSchema, 'build'));
  const all = [e.message, ...e.context].join('\n');
  assert.match(all, /unknown key "colour" at \/verify\/http/);
  assert.match(all, /missing key "cmdline"/);
});

test('invalid JSON is reported with its position', async () => {
  const f = await recipeFile(null, '{\n  "name": "demo",,\n}');
  const e = thrown(() => loadJson(f, recipeSchema, 'build'));
  assert.match(e.message, /recipe\.json:2:\d+: invalid JSON/);
});

test.run();
