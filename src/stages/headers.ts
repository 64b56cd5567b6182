// The kernel library's public headers (LKL-compatible): the kernel's uapi
// headers with every identifier prefixed lkl_/LKL_ under <prefix>/include/lkl,
// and <lkl/asm/syscalls.h> with a typed lkl_sys_*() wrapper per syscall.
import fs from 'node:fs/promises';
import path from 'node:path';
import { addKernelExtras, EXTRA_TAGS } from './headers-extra.js';
import { collect, dropLibcConditions, lex, namePrefixes, newSymbols, prefixName, rewrite, type Tok } from './headers-prefix.js';
import {
  parseConfig,
  parseSyscallDefines,
  parseSyscallTbl,
  parseUnistd,
  planWrappers,
  wrapperText,
  type SyscallDef,
} from './headers-syscalls.js';
import { legacyWrappers } from './headers-legacy.js';

export interface HeadersOptions {
  /** kernel source tree (with arch/lkl) */
  src: string;
  /** its configured O= build directory */
  build: string;
  /** output: <prefix>/include/lkl/... */
  prefix: string;
  exec: (file: string, args: string[], o?: { cwd?: string }) => Promise<{ stdout: string }>;
  log: (s: string) => void;
  /** extra make arguments (e.g. LHC_INCLUDE=..., CC=...) */
  makeArgs?: string[];
}

/**
 * Field names (not defined by the uapi headers themselves) that the C
 * library #defines as object-like macros: they are renamed too (s_addr →
 * lkl_s_addr), or a program including both would see them expanded inside
 * lkl structures. Found by intersecting the object-like macros of every
 * libc6-dev header (`gcc -dM -E`, _GNU_SOURCE) with the identifiers left in
 * the prefixed headers; musl defines the same st_*time and sa_* macros.
 * s_addr is a macro in other C libraries, and LKL programs use lkl_s_addr.
 * (glibc's `#define sched_priority sched_priority` expands to itself: harmless.)
 * (Names the uapi defines itself, like ifr_ifindex, s6_addr or si_pid, are
 * prefixed anyway.)
 */
export const LIBC_MACRO_FIELDS = [
  's_addr', // <netinet/in.h> elsewhere; LKL's spelling
  'st_atime', 'st_mtime', 'st_ctime', // <sys/stat.h>
  'sa_handler', 'sa_sigaction', // <signal.h>
  'msg_cbytes', // <sys/msg.h>
  'd_fileno', // <dirent.h>
  'arp_op', // <netinet/if_ether.h>
  'p_type', 'BUSY', // <resolv.h>, <arpa/nameser_compat.h>
];

/** Headers every program gets from <lkl.h> (besides those the wrappers need). */
const API_HEADERS = [
  'linux/types.h', 'linux/errno.h', 'linux/fcntl.h', 'linux/stat.h', 'asm/stat.h', 'asm/statfs.h',
  'linux/time.h', 'linux/time_types.h', 'linux/times.h', 'linux/utsname.h', 'linux/resource.h',
  'linux/signal.h', 'linux/sched.h', 'linux/mman.h', 'linux/mount.h', 'linux/fs.h', 'linux/dirent.h',
  'linux/uio.h', 'linux/eventpoll.h', 'linux/poll.h', 'linux/futex.h', 'linux/xattr.h', 'linux/reboot.h',
  'linux/capability.h', 'linux/sysinfo.h', 'linux/ioctl.h', 'asm/ioctls.h', 'asm/termbits.h',
  'linux/socket.h', 'linux/net.h', 'linux/in.h', 'linux/in6.h', 'linux/un.h', 'linux/if.h',
  'linux/if_ether.h', 'linux/if_arp.h', 'linux/if_tun.h', 'linux/sockios.h', 'linux/route.h',
  'linux/netlink.h', 'linux/rtnetlink.h', 'linux/tcp.h', 'linux/udp.h', 'linux/random.h',
  'linux/eventfd.h', 'linux/timerfd.h', 'linux/signalfd.h', 'linux/loop.h', 'linux/major.h',
];

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, r)));
    else if (e.isFile() && e.name.endsWith('.h')) out.push(r);
  }
  return out.sort();
}

/**
 * A header that took a structure from the C library (input.h's struct
 * timeval through <sys/time.h>) now names the prefixed one: include the uapi
 * header that defines it.
 */
function libcTypeIncludes(file: string, text: string, texts: Map<string, string>, sym: ReturnType<typeof newSymbols>): string {
  const original = texts.get(file)!;
  const libc = [...original.matchAll(/^\s*#\s*include\s*<([^>]+)>/gm)].map((m) => m[1]!).filter((h) => !texts.has(h));
  if (libc.length === 0) return text;
  const reach = reachable(texts, [file]);
  const defined = new Set<string>();
  for (const [tag, files] of sym.tagDefs) if (files.some((f) => reach.has(f))) defined.add(tag);
  const add = new Set<string>();
  const code = original.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ' ');
  for (const m of code.matchAll(/\b(?:struct|union)\s+(\w+)/g)) {
    const tag = m[1]!;
    const def = sym.tagDefs.get(tag);
    // not when that header includes this one (drm_mode.h and drm.h)
    if (def && !defined.has(tag) && !def.includes(file) && !reachable(texts, [def[0]!]).has(file)) add.add(def[0]!);
  }
  if (add.size === 0) return text;
  const inc = [...add].map((h) => `#include <lkl/${h}> /* lunik: for what the C library used to provide */\n`).join('');
  // after the include guard's #define when there is one, else at the top
  const guard = /^#ifndef\s+(\w+)\s*\n#define\s+\1\b.*\n/m.exec(text);
  return guard ? text.slice(0, guard.index + guard[0].length) + inc + text.slice(guard.index + guard[0].length) : inc + text;
}

/** Headers included, directly or not, by the given ones. */
function reachable(texts: Map<string, string>, from: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const todo = [...from];
  while (todo.length) {
    const h = todo.pop()!;
    if (seen.has(h) || !texts.has(h)) continue;
    seen.add(h);
    for (const m of texts.get(h)!.matchAll(/^\s*#\s*include\s*(?:<([^>]+)>|"([^"]+)")/gm))
      todo.push(m[1] ?? path.posix.join(path.posix.dirname(h), m[2]!));
  }
  return seen;
}

/** Top-level directories of the tree that hold SYSCALL_DEFINEs for every arch. */
async function syscallSourceDirs(src: string): Promise<string[]> {
  const skip = new Set(['arch', 'tools', 'Documentation', 'samples', 'scripts', 'usr', 'LICENSES', 'include', 'rust']);
  const dirs: string[] = [];
  for (const e of await fs.readdir(src, { withFileTypes: true })) {
    if (e.isDirectory() && !e.name.startsWith('.') && !skip.has(e.name)) dirs.push(e.name);
  }
  return [...dirs.sort(), 'arch/lkl'];
}

export async function installLklHeaders(opts: HeadersOptions): Promise<void> {
  const { src, build, prefix, exec, log } = opts;
  const tmp = path.join(build, 'lunik-uapi');
  await fs.rm(tmp, { recursive: true, force: true });
  log('headers: make headers_install');
  await exec('make', ['ARCH=lkl', `O=${build}`, `INSTALL_HDR_PATH=${tmp}`, ...(opts.makeArgs ?? []), 'headers_install'], {
    cwd: src,
  });
  const inc = path.join(tmp, 'include');
  const files = await walk(inc);
  const dirs = new Set(files.map((f) => f.split('/')[0]!).filter((d) => !d.endsWith('.h')));

  // 1. read, add what the uapi lacks, tokenise and collect every name
  const texts = new Map<string, string>();
  for (const f of files) texts.set(f, dropLibcConditions(await fs.readFile(path.join(inc, f), 'utf8')));
  await addKernelExtras(src, texts, log);
  const sym = newSymbols();
  const toks = new Map<string, Tok[]>();
  for (const [f, t] of texts) {
    const tk = lex(t);
    toks.set(f, tk);
    collect(sym, f, tk);
  }
  log(`headers: ${texts.size} headers, ${sym.names.size} names, ${sym.tags.size} tags`);

  // 2. rewrite into <prefix>/include/lkl
  const out = path.join(prefix, 'include', 'lkl');
  await fs.rm(out, { recursive: true, force: true });
  const fields = new Set(LIBC_MACRO_FIELDS);
  const prefixes = namePrefixes(sym);
  for (const [f, tk] of toks) {
    const dest = path.join(out, f);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(dest, libcTypeIncludes(f, rewrite(tk, { sym, fields, dirs, prefixes }), texts, sym));
  }

  // 3. the syscall wrappers
  const unistd = parseUnistd(texts.get('asm/unistd_64.h') ?? texts.get('asm/unistd.h') ?? '');
  if (unistd.length === 0) throw new Error('headers: no __NR_ numbers in the installed asm/unistd_64.h');
  const tbl = parseSyscallTbl(await fs.readFile(path.join(src, 'scripts/syscall.tbl'), 'utf8'));
  const config = await fs
    .readFile(path.join(build, '.config'), 'utf8')
    .then(parseConfig)
    .catch(() => null);
  if (!config) log('headers: no .config in the build directory; #ifdef CONFIG_ branches are all considered');
  const { stdout } = await exec(
    'grep',
    ['-rlE', '--include=*.c', '(^|[^A-Za-z0-9_])SYSCALL_DEFINE[0-6][[:space:]]*\\(', ...(await syscallSourceDirs(src))],
    { cwd: src },
  );
  const defs = new Map<string, SyscallDef[]>();
  for (const f of stdout.split('\n').filter(Boolean).sort())
    parseSyscallDefines(f, await fs.readFile(path.join(src, f), 'utf8'), config, defs);
  const wrappers = planWrappers(unistd, tbl, defs, sym, log, EXTRA_TAGS);
  const made = wrappers.filter((w) => !w.skipped);
  log(`headers: ${made.length} syscall wrappers, ${wrappers.length - made.length} skipped`);
  for (const w of wrappers) if (w.skipped) log(`headers: no lkl_sys_${w.name}: ${w.skipped}`);

  // the API headers, then whatever else defines a type the wrappers use
  const includes = new Set(API_HEADERS.filter((h) => texts.has(h)));
  const reach = reachable(texts, includes);
  for (const w of made) {
    const need = [
      ...w.typedefs.map((t) => sym.typedefs.get(t)),
      ...w.tags.map((t) => sym.tagDefs.get(t.split(' ')[1]!)),
    ];
    for (const files of need) {
      if (!files || files.some((f) => reach.has(f))) continue;
      let h = files[0]!;
      const viaAsm = h.replace(/^asm-generic\//, 'asm/');
      if (texts.has(viaAsm)) h = viaAsm;
      includes.add(h);
      for (const r of reachable(texts, [h])) reach.add(r);
    }
  }
  const tags = [...new Set(made.flatMap((w) => w.tags))].sort();
  const have = new Set(unistd.map((c) => c.name));
  const text = [
    '/* Generated by lunik (src/stages/headers.ts) from the kernel tree: do not edit. */',
    '#ifndef _LKL_ASM_SYSCALLS_H',
    '#define _LKL_ASM_SYSCALLS_H',
    '',
    ...[...includes].map((h) => `#include <lkl/${h}>`),
    '#include <lkl/asm/unistd.h>',
    '#include <lkl/asm/byteorder.h>',
    '',
    '#ifdef __cplusplus',
    'extern "C" {',
    '#endif',
    '',
    'long lkl_syscall(long no, long *params);',
    '',
    ...tags.map((t) => `${t.split(' ')[0]} ${prefixName(t.split(' ')[1]!)};`),
    '',
    '/* byte order */',
    'static inline __lkl__u16 lkl_htons(__lkl__u16 x) { return (__lkl__u16)__lkl__cpu_to_be16(x); }',
    'static inline __lkl__u32 lkl_htonl(__lkl__u32 x) { return (__lkl__u32)__lkl__cpu_to_be32(x); }',
    'static inline __lkl__u16 lkl_ntohs(__lkl__u16 x) { return (__lkl__u16)__lkl__be16_to_cpu(x); }',
    'static inline __lkl__u32 lkl_ntohl(__lkl__u32 x) { return (__lkl__u32)__lkl__be32_to_cpu(x); }',
    '',
    '/* one wrapper per syscall: arguments as in the kernel\'s SYSCALL_DEFINE */',
    ...wrappers.map(wrapperText),
    legacyWrappers(have),
    '#ifdef __cplusplus',
    '}',
    '#endif',
    '',
    '#endif /* _LKL_ASM_SYSCALLS_H */',
    '',
  ].join('\n');
  await fs.writeFile(path.join(out, 'asm', 'syscalls.h'), text);
  await fs.rm(tmp, { recursive: true, force: true });
  log(`headers: installed ${path.join(out)}`);
}
