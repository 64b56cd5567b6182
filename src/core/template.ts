// nunjucks templates for every generated text file; an undefined variable is an error.
import fs from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { LunikError } from './errors.js';
import { repoRoot } from './paths.js';

let env: nunjucks.Environment | undefined;

function environment(): nunjucks.Environment {
  env ??= new nunjucks.Environment(new nunjucks.FileSystemLoader(repoRoot(), { noCache: true }), {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  return env;
}

/** Render a template file (absolute, or relative to the repository). */
export function renderFile(file: string, vars: Record<string, unknown>, where = 'template'): string {
  const abs = path.resolve(repoRoot(), file);
  const rel = path.relative(repoRoot(), abs);
  const name = rel.startsWith('..') ? abs : rel;
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw new LunikError({ where, message: `template ${name} cannot be read: ${(e as NodeJS.ErrnoException).code}`, code: 2 });
  }
  return renderString(text, vars, name, where);
}

/** Render template text; name is used in error messages. */
export function renderString(text: string, vars: Record<string, unknown>, name: string, where = 'template'): string {
  try {
    // nunjucks takes the template's name (for its error messages) as a third argument its types omit
    const render = environment().renderString.bind(environment()) as unknown as (t: string, v: object, o: { path: string }) => string;
    return render(text, vars, { path: name });
  } catch (e) {
    throw templateError(name, e, where);
  }
}

function templateError(name: string, e: unknown, where: string): LunikError {
  // nunjucks reports "(file) [Line L, Column C]\n  message"
  const raw = (e as Error).message ?? String(e);
  const pos = /\[Line (\d+), Column (\d+)\]/.exec(raw);
  const msg = raw.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('(') && !l.startsWith('Template render error')).pop() ?? raw;
  const undef = /attempted to output null or undefined value/.test(raw);
  return new LunikError({
    where,
    message: `${name}${pos ? `:${pos[1]}:${pos[2]}` : ''}: ${undef ? 'a variable used here is undefined' : msg}`,
    fix: undef ? 'pass the variable to the template, or give it a default with the |default filter' : 'correct the template syntax',
    code: 2,
  });
}
