// Loads JSON files (recipes, config), validates them against a JSON schema and
// reports problems as file:line:col with the offending key named.
import fs from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { LunikError } from './errors.js';

const ajv = new Ajv({ allErrors: true, strict: true });
const compiled = new WeakMap<object, ReturnType<typeof ajv.compile>>();

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `${line}:${col}`;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(err: ErrorObject, schemaAt: (p: string) => Record<string, unknown> | undefined): { msg: string; key?: string; fix?: string } {
  const at = err.instancePath ? `at ${err.instancePath}` : 'at the top level';
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String(err.params.additionalProperty);
      const props = Object.keys((schemaAt(err.schemaPath)?.properties as object) ?? {});
      return { msg: `unknown key "${key}" ${at}`, key, fix: props.length ? `remove it, or use one of: ${props.join(', ')}` : 'remove it' };
    }
    case 'required':
      return { msg: `missing key "${err.params.missingProperty}" ${at}`, fix: `add "${err.params.missingProperty}"` };
    case 'enum':
      return { msg: `${at}: must be one of ${(err.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { msg: `${at}: ${err.message}` };
  }
}

/**
 * Parse and validate a JSON file. Unknown keys (additionalProperties: false
 * in the schema) are rejected by name; every problem is an exit-2 error.
 */
export function loadJson<T>(file: string, schema: object, where: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new LunikError({ where, message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, code: 2 });
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length || !tree) {
    const e = errors[0];
    throw new LunikError({ where, message: `${file}:${e ? lineCol(text, e.offset) : '1:1'}: invalid JSON: ${e ? printParseErrorCode(e.error) : 'empty file'}`, fix: 'correct the JSON syntax', code: 2 });
  }
  const value = getNodeValue(tree) as unknown;
  return validate<T>(value, schema, where, { file, text, tree });
}

/** Validate a value already in memory (source gives positions when known). */
export function validate<T>(value: unknown, schema: object, where: string, source?: { file: string; text: string; tree: Node }): T {
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = ajv.compile(schema)));
  if (check(value)) return value as T;
  const schemaAt = (schemaPath: string) => {
    let node: unknown = schema;
    for (const seg of pointerToPath(schemaPath.replace(/^#/, '')).slice(0, -1)) node = (node as Record<string, unknown>)?.[seg as string];
    return node as Record<string, unknown> | undefined;
  };
  const lines: string[] = [];
  let first: ReturnType<typeof describe> | undefined;
  for (const err of check.errors ?? []) {
    const d = describe(err, schemaAt);
    first ??= d;
    let pos = '';
    if (source) {
      const p = pointerToPath(err.instancePath);
      const node = d.key !== undefined ? findNodeAtLocation(source.tree, [...p, d.key])?.parent?.children?.[0] : findNodeAtLocation(source.tree, p);
      pos = `${source.file}:${lineCol(source.text, node?.offset ?? 0)}: `;
    }
    lines.push(`${pos}${d.msg}`);
  }
  throw new LunikError({ where, message: lines[0] ?? 'invalid', context: lines.slice(1), fix: first?.fix, code: 2 });
}
