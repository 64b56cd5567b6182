// The lkl_/LKL_ prefix for the kernel's uapi headers. Every identifier the
// headers define (macros, typedefs, enum constants, inline functions, and
// struct/union/enum tags) is renamed in every header, and so are the few
// field names that C libraries #define as macros, so the result compiles in
// one translation unit with the C library's own headers.
//
// Works on tokens (comments, strings and #include lines are left alone), in
// two passes: collect the names from all headers, then rewrite each header.

export type Kind = 'ws' | 'nl' | 'cmt' | 'str' | 'id' | 'num' | 'punct';
export interface Tok {
  k: Kind;
  s: string;
}

/** Split C source into tokens whose concatenation is the source itself. */
export function lex(src: string): Tok[] {
  const out: Tok[] = [];
  const n = src.length;
  let i = 0;
  const isId = (c: string) => /[A-Za-z0-9_$]/.test(c);
  while (i < n) {
    const c = src[i]!;
    const d = src[i + 1];
    let j = i + 1;
    let k: Kind = 'punct';
    if (c === '\n') k = 'nl';
    else if (c === '\\' && (d === '\n' || (d === '\r' && src[i + 2] === '\n'))) {
      k = 'ws'; // line continuation: the logical line goes on
      j = d === '\n' ? i + 2 : i + 3;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      k = 'ws';
      while (j < n && /[ \t\r\f\v]/.test(src[j]!)) j++;
    } else if (c === '/' && d === '*') {
      k = 'cmt';
      const e = src.indexOf('*/', i + 2);
      j = e < 0 ? n : e + 2;
    } else if (c === '/' && d === '/') {
      k = 'cmt';
      while (j < n && src[j] !== '\n') j++;
    } else if (c === '"' || c === "'") {
      k = 'str';
      while (j < n && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      if (src[j] === c) j++;
    } else if (/[A-Za-z_$]/.test(c)) {
      k = 'id';
      while (j < n && isId(src[j]!)) j++;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(d ?? ''))) {
      k = 'num';
      while (j < n && (isId(src[j]!) || src[j] === '.' || (/[+-]/.test(src[j]!) && /[eEpP]/.test(src[j - 1]!)))) j++;
    }
    out.push({ k, s: src.slice(i, j) });
    i = j;
  }
  return out;
}

/** The prefixed form: O_CREAT → LKL_O_CREAT, stat → lkl_stat, __u32 → __lkl__u32. */
export function prefixName(name: string): string {
  const lead = /^_*/.exec(name)![0];
  const p = /[A-Z]/.test(name) && !/[a-z]/.test(name) ? 'LKL' : 'lkl';
  return lead ? lead + p + name : `${p}_${name}`;
}

/** A token with what the preprocessor context says about it. */
interface CTok {
  tok: Tok;
  /** directive name when on a # line ('' on the # itself), else null */
  dir: string | null;
  /** the macro being defined, when this is its name token */
  macroName: boolean;
  /** parameter names of the function-like macro whose body this is in */
  params: Set<string> | null;
}

/** Annotate tokens with their preprocessor context; whitespace/comments dropped. */
function annotate(toks: Tok[]): CTok[] {
  const out: CTok[] = [];
  let lineStart = true;
  let dir: string | null = null;
  let state: 'none' | 'name' | 'macro' | 'params' | 'body' = 'none';
  let params: Set<string> | null = null;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.k === 'nl') {
      lineStart = true;
      dir = null;
      state = 'none';
      params = null;
      continue;
    }
    if (t.k === 'ws' || t.k === 'cmt') continue;
    let macroName = false;
    if (lineStart && t.k === 'punct' && t.s === '#') {
      dir = '';
      state = 'name';
    } else if (dir !== null && state === 'name' && t.k === 'id') {
      dir = t.s;
      state = t.s === 'define' ? 'macro' : 'body';
    } else if (state === 'macro' && t.k === 'id') {
      macroName = true;
      const next = toks[i + 1];
      if (next && next.s === '(') {
        params = new Set();
        state = 'params';
      } else state = 'body';
    } else if (state === 'params') {
      if (t.k === 'id') params!.add(t.s);
      else if (t.s === '...') params!.add('__VA_ARGS__');
      else if (t.s === ')') state = 'body';
    }
    lineStart = false;
    out.push({ tok: t, dir, macroName, params: state === 'body' || state === 'params' ? params : null });
  }
  return out;
}

const TAG_KW = new Set(['struct', 'union', 'enum']);
const C_WORDS = new Set([
  'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double', 'else', 'enum', 'extern',
  'float', 'for', 'goto', 'if', 'inline', 'int', 'long', 'register', 'restrict', 'return', 'short', 'signed',
  'sizeof', 'static', 'struct', 'switch', 'typedef', 'union', 'unsigned', 'void', 'volatile', 'while',
  '_Bool', '__attribute__', '__attribute', '__inline__', '__inline', '__signed__', '__volatile__', '__asm__',
  '__extension__', '__typeof__', 'typeof', '__restrict',
]);

/** What the headers define, and where. */
export interface Symbols {
  /** macros, typedefs, enum constants, functions → is it only ever a function-like macro */
  names: Map<string, boolean>;
  /** struct/union/enum tags (defined or only referenced) */
  tags: Set<string>;
  /** typedef name → headers (relative paths) defining it, preferred first */
  typedefs: Map<string, string[]>;
  /** tag → headers defining its body, preferred first */
  tagDefs: Map<string, string[]>;
  /** function-like macro → indexes of its parameters used as `struct PARAM` */
  tagParams: Map<string, Set<number>>;
  /** function-like macro → indexes of its parameters pasted with ## */
  pasteParams: Map<string, Set<number>>;
}

export function newSymbols(): Symbols {
  return { names: new Map(), tags: new Set(), typedefs: new Map(), tagDefs: new Map(), tagParams: new Map(), pasteParams: new Map() };
}

/**
 * C library type names some uapi headers typedef for foreign platforms
 * (coda.h for DJGPP/Cygwin): they keep naming the C library's types.
 */
const LIBC_TYPES = /^(?:u_?)?int(?:8|16|32|64|ptr|max)_t$|^u_(?:char|short|int|long)$|^(?:caddr|ino|dev|size|ssize|off|pid|uid|gid|mode|time)_t$/;

function addName(sym: Symbols, name: string, fnLike: boolean): void {
  if (C_WORDS.has(name) || LIBC_TYPES.test(name)) return;
  const had = sym.names.get(name);
  sym.names.set(name, had === undefined ? fnLike : had && fnLike);
}

/** Skip `__attribute__((...))` starting at i; returns the index after it. */
function skipAttr(code: Tok[], i: number): number {
  while (code[i] && (code[i]!.s === '__attribute__' || code[i]!.s === '__attribute') && code[i + 1]?.s === '(') {
    let depth = 0;
    i++;
    do {
      if (code[i]!.s === '(') depth++;
      else if (code[i]!.s === ')') depth--;
      i++;
    } while (i < code.length && depth > 0);
  }
  return i;
}

/** The names a typedef declares, from its tokens after `typedef` up to `;`. */
export function typedefNames(stmt: Tok[]): string[] {
  let start = 0;
  let depth = 0;
  stmt.forEach((t, i) => {
    if (t.s === '{') depth++;
    else if (t.s === '}' && --depth === 0) start = i + 1;
  });
  const parts: Tok[][] = [[]];
  depth = 0;
  for (const t of stmt.slice(start)) {
    if (t.s === '(' || t.s === '[') depth++;
    else if (t.s === ')' || t.s === ']') depth--;
    if (t.s === ',' && depth === 0) parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  const names: string[] = [];
  for (const part of parts) {
    let name: string | undefined;
    for (let i = 0; i < part.length; ) {
      const t = part[i]!;
      if (t.s === '__attribute__' || t.s === '__attribute') {
        i = skipAttr(part, i);
        continue;
      }
      if (t.s === '(' && part[i + 1]?.s === '*') {
        // function pointer: ( * [qualifiers] NAME )
        const id = part.slice(i + 1).find((x) => x.k === 'id' && !C_WORDS.has(x.s) && !x.s.startsWith('__user'));
        name = id?.s;
        break;
      }
      if (t.s === '(' || t.s === '[') break;
      if (t.k === 'id' && !C_WORDS.has(t.s)) name = t.s;
      i++;
    }
    if (name) names.push(name);
  }
  return names;
}

/** Which of several headers defining a name to point at: linux/ first, asm-generic/ last. */
function headerRank(file: string): number {
  return file.startsWith('linux/') ? 0 : file.startsWith('asm/') ? 1 : file.startsWith('asm-generic/') ? 2 : 3;
}

function addFile(m: Map<string, string[]>, name: string, file: string): void {
  const list = m.get(name) ?? [];
  if (!list.includes(file)) list.push(file);
  list.sort((a, b) => headerRank(a) - headerRank(b));
  m.set(name, list);
}

/** Record what one header defines. */
export function collect(sym: Symbols, file: string, toks: Tok[]): void {
  const ann = annotate(toks);
  const code: Tok[] = [];
  let macro = '';
  for (let i = 0; i < ann.length; i++) {
    const a = ann[i]!;
    if (a.macroName) {
      addName(sym, a.tok.s, !!a.params);
      macro = a.tok.s;
    }
    if (a.dir === 'define' && a.params && a.tok.k === 'id' && a.params.has(a.tok.s) && !a.macroName) {
      const idx = [...a.params].indexOf(a.tok.s);
      const pasted =
        (ann[i - 1]!.tok.s === '#' && ann[i - 2]!.tok.s === '#') || (ann[i + 1]?.tok.s === '#' && ann[i + 2]?.tok.s === '#');
      const m = TAG_KW.has(ann[i - 1]!.tok.s) ? sym.tagParams : pasted ? sym.pasteParams : null;
      if (m) m.set(macro, (m.get(macro) ?? new Set<number>()).add(idx));
    }
    // tags are collected in code and in macro bodies (but not from macro parameters)
    if (a.tok.k === 'id' && TAG_KW.has(a.tok.s)) {
      let j = i + 1;
      while (ann[j] && (ann[j]!.tok.s === '__attribute__' || ann[j]!.tok.s === '__attribute')) {
        // skip attribute group
        let depth = 0;
        j++;
        do {
          if (ann[j]!.tok.s === '(') depth++;
          else if (ann[j]!.tok.s === ')') depth--;
          j++;
        } while (j < ann.length && depth > 0);
      }
      const n = ann[j];
      if (n && n.tok.k === 'id' && n.dir === a.dir && !C_WORDS.has(n.tok.s) && !(n.params && n.params.has(n.tok.s))) {
        sym.tags.add(n.tok.s);
        if (a.dir === null && ann[j + 1]?.tok.s === '{') addFile(sym.tagDefs, n.tok.s, file);
      }
    }
    if (a.dir === null) code.push(a.tok);
  }
  let depth = 0;
  for (let i = 0; i < code.length; i++) {
    const t = code[i]!;
    if (t.s === '{') depth++;
    else if (t.s === '}') depth--;
    else if (t.s === 'typedef') {
      const stmt: Tok[] = [];
      let d = 0;
      let j = i + 1;
      for (; j < code.length; j++) {
        const s = code[j]!.s;
        if (s === '{' || s === '(' || s === '[') d++;
        else if (s === '}' || s === ')' || s === ']') d--;
        else if (s === ';' && d === 0) break;
        stmt.push(code[j]!);
      }
      for (const name of typedefNames(stmt)) {
        addName(sym, name, false);
        addFile(sym.typedefs, name, file);
      }
    } else if (t.s === 'enum') {
      let j = i + 1;
      if (code[j]?.k === 'id') j++;
      if (code[j]?.s !== '{') continue;
      // enumerators: an identifier after { or a top-level comma
      let d = 0;
      for (j++; j < code.length && !(code[j]!.s === '}' && d === 0); j++) {
        const s = code[j]!.s;
        if (s === '(' || s === '{') d++;
        else if (s === ')' || s === '}') d--;
        // an identifier after { , or ) (a mapper macro's expansion ends in a
        // comma) and before , = or }
        const prev = code[j - 1]!.s;
        const next = code[j + 1]?.s;
        if (d === 0 && code[j]!.k === 'id' && (prev === '{' || prev === ',' || (prev === ')' && (next === ',' || next === '=' || next === '}'))))
          addName(sym, s, false);
      }
    } else if (t.s === 'static' && depth === 0) {
      // static [inline] functions: the name before the first top-level (
      let last: string | undefined;
      for (let j = i + 1; j < code.length; ) {
        const s = code[j]!.s;
        if (s === '__attribute__' || s === '__attribute') {
          j = skipAttr(code, j);
          continue;
        }
        if (s === '(') {
          if (last) addName(sym, last, false);
          break;
        }
        if (s === ';' || s === '=' || s === '{') break;
        if (code[j]!.k === 'id' && !C_WORDS.has(s)) last = s;
        j++;
      }
    }
  }
}

export interface RewriteOptions {
  sym: Symbols;
  /** field names that C libraries #define: prefixed everywhere */
  fields: Set<string>;
  /** top-level uapi directories that were installed (linux, asm, …) */
  dirs: Set<string>;
  /** `X_` beginnings of defined upper-case names (see namePrefixes) */
  prefixes: Set<string>;
}

/** Every `FOO_`, `FOO_BAR_` … that begins a defined upper-case name. */
export function namePrefixes(sym: Symbols): Set<string> {
  const out = new Set<string>();
  for (const n of sym.names.keys()) {
    if (!/^[A-Z]/.test(n)) continue;
    for (let i = n.indexOf('_'); i > 0; i = n.indexOf('_', i + 1)) out.add(n.slice(0, i + 1));
  }
  return out;
}

/**
 * Conditionals on the C library (`#if defined(__GLIBC__)`, `__GLIBC__ < 2`)
 * become false: the prefixed names never clash with any C library, so the
 * headers must define everything whatever the library is.
 */
export function dropLibcConditions(src: string): string {
  return src.replace(/^([ \t]*#[ \t]*(?:el)?if\b.*)$/gm, (line) =>
    line
      .replace(/defined\s*\(\s*__GLIBC__\s*\)|defined\s+__GLIBC__\b/g, '0')
      .replace(/\b__GLIBC__\b/g, '0'),
  );
}

/** Rewrite one header with the prefix. */
export function rewrite(toks: Tok[], o: RewriteOptions): string {
  const ann = annotate(toks);
  const byTok = new Map<Tok, { a: CTok; idx: number }>();
  ann.forEach((a, idx) => byTok.set(a.tok, { a, idx }));
  // arguments of macros that use them as `struct ARG` are tags; those
  // pasted into a name (NILFS_CPINFO_ ## ARG) stay as they are
  const tagArgs = new Set<Tok>();
  const keepArgs = new Set<Tok>();
  ann.forEach((a, idx) => {
    if (a.tok.k !== 'id' || a.macroName || ann[idx + 1]?.tok.s !== '(') return;
    const which = o.sym.tagParams.get(a.tok.s);
    const pasted = o.sym.pasteParams.get(a.tok.s);
    if (!which && !pasted) return;
    let depth = 0;
    let arg = 0;
    let toksIn: CTok[] = [];
    for (let j = idx + 1; j < ann.length; j++) {
      const s = ann[j]!.tok.s;
      if (s === '(' && depth++ === 0) continue;
      if ((s === ')' && --depth === 0) || (s === ',' && depth === 1)) {
        if (which?.has(arg) && toksIn.length === 1 && o.sym.tags.has(toksIn[0]!.tok.s)) tagArgs.add(toksIn[0]!.tok);
        if (pasted?.has(arg) && toksIn.length === 1) keepArgs.add(toksIn[0]!.tok);
        arg++;
        toksIn = [];
        if (depth === 0) break;
        continue;
      }
      toksIn.push(ann[j]!);
    }
  });
  const out: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (tagArgs.has(t) || keepArgs.has(t)) {
      out.push(tagArgs.has(t) ? prefixName(t.s) : t.s);
      continue;
    }
    const info = t.k === 'id' ? byTok.get(t) : undefined;
    if (!info) {
      out.push(t.s);
      continue;
    }
    const { a, idx } = info;
    if (a.dir === 'include' || a.dir === 'include_next') {
      // rewrite the whole rest of the line once, from the directive's name
      if (t.s === a.dir) {
        let j = i + 1;
        let rest = '';
        for (; j < toks.length && toks[j]!.k !== 'nl'; j++) rest += toks[j]!.s;
        rest = rest.replace(/^(\s*[<"]\s*)([\w-]+)\//, (m, open: string, dir: string) =>
          o.dirs.has(dir) ? `${open}lkl/${dir}/` : m,
        );
        out.push(t.s, rest);
        i = j - 1;
      } else out.push(t.s);
      continue;
    }
    const name = t.s;
    if (a.params && a.params.has(name) && !a.macroName) {
      out.push(name);
      continue;
    }
    const prevTok = ann[idx - 1]?.tok;
    const nextTok = ann[idx + 1]?.tok;
    if (a.dir === 'define' && nextTok?.s === '#' && ann[idx + 2]?.tok.s === '#' && /^[A-Z][A-Z0-9_]*_$/.test(name)) {
      // the start of a pasted name (NILFS_CPINFO_ ## flag) of a prefixed family
      out.push(o.prefixes.has(name) ? prefixName(name) : name);
      continue;
    }
    if (prevTok?.s === '=' && ann[idx - 2]?.tok.s === '=' && ann[idx - 3]?.tok.s === '__BYTE_ORDER') {
      // `__BYTE_ORDER == __BIG_ENDIAN` compares the C library's <endian.h> values
      out.push(name);
      continue;
    }
    const fnOnly = o.sym.names.get(name);
    if (fnOnly !== undefined) {
      // a name only ever defined as a function-like macro (xt_sctp.h's
      // `bytes(type)`) is not renamed where it is a struct field: after
      // `.`/`->`, or declared after a type in code
      let use = true;
      if (fnOnly && !a.macroName && nextTok?.s !== '(') {
        const member = prevTok?.s === '.' || (prevTok?.s === '>' && ann[idx - 2]?.tok.s === '-');
        const declarator = a.dir === null && (prevTok?.s === '*' || (prevTok?.k === 'id' && prevTok.s !== 'return'));
        use = !member && !declarator;
      }
      out.push(use ? prefixName(name) : name);
    } else if (prevTok && TAG_KW.has(prevTok.s) && o.sym.tags.has(name)) {
      out.push(prefixName(name));
    } else if (a.dir === 'define' && ann[idx - 1]?.macroName && !ann[idx - 1]!.params && ann[idx + 1]?.dir !== 'define' && o.sym.tags.has(name)) {
      // a macro naming a tag (#define sockaddr_storage __kernel_sockaddr_storage)
      out.push(prefixName(name));
    } else if (o.fields.has(name)) {
      out.push(prefixName(name));
    } else out.push(name);
  }
  return out.join('');
}
