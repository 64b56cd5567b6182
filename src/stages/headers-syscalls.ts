// <lkl/asm/syscalls.h>: one typed `static inline long lkl_sys_NAME(...)` per
// syscall of the lkl arch, calling lkl_syscall(__lkl__NR_NAME, params).
//
// Names and numbers come from the arch's generated unistd_64.h, the entry
// point of each from scripts/syscall.tbl, and the argument types from the
// kernel's own SYSCALL_DEFINEn(name, type, arg, ...) in the source tree.
import { prefixName, type Symbols } from './headers-prefix.js';

export interface SyscallDef {
  /** source file (relative to the tree) */
  file: string;
  /** [type, name] pairs as written in the kernel */
  args: [string, string][];
  /** is every enclosing #if known true (1), known false (0) or unknown (-1) */
  state: 1 | 0 | -1;
}

/** `#define __NR_name nr` lines of unistd_64.h, in number order. */
export function parseUnistd(text: string): { name: string; nr: number }[] {
  const out: { name: string; nr: number }[] = [];
  for (const m of text.matchAll(/^#define\s+__NR_(\w+)\s+(\d+)\s*$/gm)) out.push({ name: m[1]!, nr: Number(m[2]) });
  return out.sort((a, b) => a.nr - b.nr);
}

/** syscall name → entry point, from syscall.tbl (64-bit and common rows win over 32-bit ones). */
export function parseSyscallTbl(text: string): Map<string, string> {
  const rank = (abi: string) => (abi === 'common' || abi === '64' ? 0 : abi === '32' || abi === 'time32' ? 2 : 1);
  const best = new Map<string, { entry: string; r: number }>();
  for (const line of text.split('\n')) {
    const f = line.replace(/#.*/, '').trim().split(/\s+/);
    if (f.length < 3 || !/^\d+$/.test(f[0]!)) continue;
    const [, abi, name, entry] = f as [string, string, string, string | undefined];
    const r = rank(abi);
    const had = best.get(name);
    if (!had || r < had.r) best.set(name, { entry: entry ?? '', r });
  }
  return new Map([...best].map(([k, v]) => [k, v.entry]));
}

/** CONFIG_ symbols set in a .config (=y or =m count as set). */
export function parseConfig(text: string): Set<string> {
  const on = new Set<string>();
  for (const m of text.matchAll(/^(CONFIG_\w+)=(.*)$/gm)) if (m[2] !== 'n') on.add(m[1]!);
  return on;
}

/** Evaluate a preprocessor condition over CONFIG_ symbols: 1, 0 or -1 (unknown). */
export function evalCond(expr: string, config: Set<string> | null): 1 | 0 | -1 {
  if (!config) return -1;
  let e = expr.replace(/\/\*.*?\*\/|\/\/.*$/g, ' ');
  e = e.replace(/\b(?:defined|IS_ENABLED|IS_BUILTIN|IS_REACHABLE)\s*\(\s*(CONFIG_\w+)\s*\)|\bdefined\s+(CONFIG_\w+)|\b(CONFIG_\w+)\b/g,
    (_m, a?: string, b?: string, c?: string) => (config.has((a ?? b ?? c)!) ? '1' : '0'));
  if (!/^[\s01()!&|]*$/.test(e)) return -1;
  // tiny recursive-descent evaluator for ! && || ( ) over 0/1
  const toks = e.match(/[01()!]|&&|\|\|/g) ?? [];
  let i = 0;
  const prim = (): boolean => {
    const t = toks[i++];
    if (t === '!') return !prim();
    if (t === '(') {
      const v = or();
      i++;
      return v;
    }
    return t === '1';
  };
  const and = (): boolean => {
    let v = prim();
    while (toks[i] === '&&') {
      i++;
      v = prim() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (toks[i] === '||') {
      i++;
      v = and() || v;
    }
    return v;
  };
  if (toks.length === 0) return -1;
  return or() ? 1 : 0;
}

/** All SYSCALL_DEFINEn() in one C file, with the state of their #if nesting. */
export function parseSyscallDefines(file: string, text: string, config: Set<string> | null, out: Map<string, SyscallDef[]>): void {
  // the #if stack: each level is [value of this branch, was any earlier branch taken (or unknown)]
  const stack: { v: 1 | 0 | -1; taken: 1 | 0 | -1 }[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const state = (): 1 | 0 | -1 => (stack.some((s) => s.v === 0) ? 0 : stack.every((s) => s.v === 1) ? 1 : -1);
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!;
    const d = /^\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)$/.exec(line);
    if (d) {
      const [, kw, rest] = d as unknown as [string, string, string];
      const cond = (): 1 | 0 | -1 => {
        if (kw === 'ifdef') return evalCond(`defined(${rest.trim()})`, config);
        if (kw === 'ifndef') {
          const v = evalCond(`defined(${rest.trim()})`, config);
          return v === -1 ? -1 : v === 1 ? 0 : 1;
        }
        return evalCond(rest, config);
      };
      if (kw === 'ifdef' || kw === 'ifndef' || kw === 'if') {
        const v = cond();
        stack.push({ v, taken: v });
      } else if (kw === 'endif') stack.pop();
      else if (stack.length) {
        const top = stack[stack.length - 1]!;
        const v = kw === 'else' ? 1 : cond();
        // this branch runs only if no earlier one did
        top.v = top.taken === 1 ? 0 : top.taken === 0 ? v : v === 0 ? 0 : -1;
        top.taken = top.taken === 1 || v === 1 ? 1 : top.taken === 0 && v === 0 ? 0 : -1;
      }
      continue;
    }
    const m = /(?<![\w])SYSCALL_DEFINE([0-6])\s*\(/.exec(line);
    if (!m || /^\s*#/.test(line)) continue;
    // gather the macro's arguments up to the matching parenthesis
    let body = line.slice(m.index + m[0].length);
    let depth = 1;
    let k = li;
    let text2 = '';
    for (;;) {
      for (const ch of body) {
        if (ch === '(') depth++;
        else if (ch === ')' && --depth === 0) break;
        text2 += ch;
      }
      if (depth === 0 || ++k >= lines.length) break;
      text2 += ' ';
      body = lines[k]!;
    }
    const parts = text2.split(',').map((s) => s.replace(/\s+/g, ' ').trim());
    const name = parts.shift()!;
    const n = Number(m[1]);
    if (parts.length !== 2 * n) continue;
    const args: [string, string][] = [];
    for (let j = 0; j < n; j++) args.push([parts[2 * j]!, parts[2 * j + 1]!]);
    const list = out.get(name) ?? [];
    list.push({ file, args, state: state() });
    out.set(name, list);
  }
}

const C_SCALARS = /^(?:(?:const|volatile|signed|unsigned|char|short|int|long|void|_Bool)\s*)+$/;

/** Kernel-internal scalar types that have a uapi equivalent of another name. */
const KERNEL_TYPES: Record<string, string> = {
  uid_t: '__kernel_uid32_t',
  gid_t: '__kernel_gid32_t',
  qid_t: '__kernel_uid32_t',
  umode_t: '__kernel_mode_t',
  bool: 'int',
  key_serial_t: '__s32',
  u8: '__u8', u16: '__u16', u32: '__u32', u64: '__u64',
  s8: '__s8', s16: '__s16', s32: '__s32', s64: '__s64',
};

/** Map one kernel parameter type to the type used in the public wrapper. */
export function mapType(raw: string, sym: Symbols, opaque: Set<string> = new Set()): { type: string; tags: string[]; typedefs: string[] } {
  const tags: string[] = [];
  const typedefs: string[] = [];
  const t = raw.replace(/\b__user\b/g, ' ').replace(/\s+/g, ' ').replace(/\s*\*\s*/g, ' * ').trim();
  const star = t.indexOf('*');
  const base = (star < 0 ? t : t.slice(0, star)).trim();
  const ptr = star < 0 ? '' : t.slice(star).replace(/\s+/g, ' ').replace(/\* /g, '*').replace(/\*(?=const)/g, '* ').trim();
  const isConst = /\bconst\b/.test(base);
  const bare = base.replace(/\bconst\b/g, '').replace(/\s+/g, ' ').trim();
  const cst = isConst ? 'const ' : '';
  const asPtr = (b: string) => `${cst}${b} ${ptr}`.trim();
  let mapped: string | undefined;
  const tag = /^(struct|union|enum) (\w+)$/.exec(bare);
  if (tag) {
    if (sym.tags.has(tag[2]!) && !opaque.has(tag[2]!) && ptr) {
      tags.push(`${tag[1]} ${tag[2]}`);
      mapped = `${tag[1]} ${prefixName(tag[2]!)}`;
    }
  } else if (C_SCALARS.test(bare)) mapped = bare;
  else {
    const name = KERNEL_TYPES[bare] ?? bare;
    for (const cand of [`__kernel_${name}`, name]) {
      if (C_SCALARS.test(cand)) {
        mapped = cand;
        break;
      }
      if (sym.typedefs.has(cand)) {
        typedefs.push(cand);
        mapped = prefixName(cand);
        break;
      }
    }
  }
  if (mapped === undefined) return { type: ptr ? `${cst}void *` : 'long', tags, typedefs };
  return { type: ptr ? asPtr(mapped) : mapped, tags, typedefs };
}

export interface Wrapper {
  name: string;
  nr: number;
  /** C parameter list entries, e.g. "const char *filename" */
  params: string[];
  /** why no wrapper was made */
  skipped?: string;
  tags: string[];
  typedefs: string[];
  /** where the signature came from */
  from?: string;
}

/** Names a C library may define as macros: never used as wrapper parameter names. */
const RISKY_PARAM = new Set(['linux', 'unix', 'errno', 'major', 'minor', 'makedev', 'stdin', 'stdout', 'stderr']);

/** Decide each syscall's wrapper (or why there is none). */
export function planWrappers(
  calls: { name: string; nr: number }[],
  tbl: Map<string, string>,
  defs: Map<string, SyscallDef[]>,
  sym: Symbols,
  log: (s: string) => void,
  /** tags that are not the kernel's uapi: pointers to them stay void * */
  opaque: Set<string> = new Set(),
): Wrapper[] {
  const out: Wrapper[] = [];
  for (const { name, nr } of calls) {
    const entry = tbl.get(name);
    const w: Wrapper = { name, nr, params: [], tags: [], typedefs: [] };
    out.push(w);
    if (!entry) {
      w.skipped = 'not in scripts/syscall.tbl';
      continue;
    }
    if (entry === 'sys_ni_syscall') {
      w.skipped = 'not implemented (sys_ni_syscall)';
      continue;
    }
    const fn = entry.replace(/^sys_/, '');
    // prefer definitions in branches the .config compiles; one that is
    // configured out still gives the signature (the call returns -ENOSYS)
    const all = defs.get(fn) ?? [];
    const live = all.filter((d) => d.state !== 0);
    const cands = live.length ? live : all;
    if (cands.length === 0) {
      w.skipped = `no SYSCALL_DEFINE for ${entry}`;
      continue;
    }
    const sig = (d: SyscallDef) => d.args.map((a) => a[0]).join(',');
    const pick = cands.find((d) => d.state === 1) ?? cands[0]!;
    if (cands.some((d) => sig(d) !== sig(pick)) && !cands.some((d) => d.state === 1))
      log(`headers: ${name}: several SYSCALL_DEFINEs differ; using ${pick.file}`);
    w.from = pick.file;
    const used = new Set<string>();
    pick.args.forEach(([type, pname], i) => {
      const m = mapType(type, sym, opaque);
      w.tags.push(...m.tags);
      w.typedefs.push(...m.typedefs);
      let p = /^\w+$/.test(pname) && !RISKY_PARAM.has(pname) && !used.has(pname) ? pname : `arg${i + 1}`;
      used.add(p);
      const sep = m.type.endsWith('*') ? '' : ' ';
      w.params.push(`${m.type}${sep}${p}`);
    });
  }
  return out;
}

/** The C text of one wrapper. */
export function wrapperText(w: Wrapper): string {
  if (w.skipped) return `/* lkl_sys_${w.name} (${w.nr}): ${w.skipped} */\n`;
  const names = w.params.map((p) => /(\w+)$/.exec(p)![1]!);
  const vals = names.map((n) => `(long)${n}`);
  while (vals.length < 6) vals.push('0');
  const list = w.params.length ? w.params.join(', ') : 'void';
  return [
    `static inline long lkl_sys_${w.name}(${list})`,
    '{',
    `\tlong lkl_params[6] = { ${vals.join(', ')} };`,
    `\treturn lkl_syscall(${prefixName(`__NR_${w.name}`)}, lkl_params);`,
    '}',
    '',
  ].join('\n');
}
