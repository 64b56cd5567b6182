// Apps and their recipes (apps/<name>/recipe.json), validated against the recipe schema.
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../core/errors.js';
import { repoRoot } from '../core/paths.js';
import { loadJson } from '../core/schema.js';
import { recipeSchema, type Recipe } from './schema.js';

export const PLATFORMS = ['posix', 'hw', 'uefi', 'xen'] as const;
export type Platform = (typeof PLATFORMS)[number];

export function parsePlatform(v: string | undefined, where: string, dflt: Platform = 'hw'): Platform {
  const p = v ?? dflt;
  if ((PLATFORMS as readonly string[]).includes(p)) return p as Platform;
  throw badInput(where, `unknown platform "${p}"${suggest(p, PLATFORMS)}`, `use --platform ${PLATFORMS.join(', --platform ')}`);
}

/** Where apps are found: LUNIK_APPS (a folder of app folders, searched first), then apps/. */
export function appsDirs(): string[] {
  const extra = process.env.LUNIK_APPS;
  return [...(extra ? [path.resolve(extra)] : []), path.join(repoRoot(), 'apps')];
}

function appDir(name: string): string | undefined {
  return appsDirs()
    .map((d) => path.join(d, name))
    .find((d) => fs.existsSync(path.join(d, 'recipe.json')));
}

export function listApps(): string[] {
  const names = new Set<string>();
  for (const dir of appsDirs()) {
    if (!fs.existsSync(dir)) continue;
    for (const n of fs.readdirSync(dir)) if (fs.existsSync(path.join(dir, n, 'recipe.json'))) names.add(n);
  }
  return [...names].sort();
}

/** Load and validate an app's recipe; an unknown app or key is bad input. */
export function loadRecipe(name: string, where: string): { recipe: Recipe; dir: string } {
  const apps = listApps();
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name) || !apps.includes(name))
    throw badInput(where, `unknown app "${name}"${suggest(name, apps)}`, apps.length ? `use one of: ${apps.join(', ')} (each is a folder in apps/ with a recipe.json)` : 'add apps/<name>/recipe.json (see docs/porting-an-app.md)');
  const dir = appDir(name)!;
  const recipe = loadJson<Recipe>(path.join(dir, 'recipe.json'), recipeSchema, where);
  if (recipe.name !== name) throw badInput(where, `${path.join(dir, 'recipe.json')} says "name": "${recipe.name}", but its folder is ${name}`, `make them the same`);
  return { recipe, dir };
}

/** " (did you mean X?)" when a close name exists. */
export function suggest(word: string, choices: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of choices) {
    const d = editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
