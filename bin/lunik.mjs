#!/usr/bin/env node
// Launcher: rebuilds dist/lunik.mjs when a source under src/ is newer, then runs it.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, 'dist/lunik.mjs');

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const src = path.join(root, 'src');
const inputs = () => Math.max(newestMtime(src), statSync(path.join(root, 'scripts/build.mjs')).mtimeMs);
if (existsSync(src) && (!existsSync(out) || inputs() > statSync(out).mtimeMs)) {
  const { bundle } = await import(pathToFileURL(path.join(root, 'scripts/build.mjs')).href);
  await bundle({ quiet: true });
}
const { main } = await import(pathToFileURL(out).href);
process.exitCode = await main(process.argv.slice(2));
