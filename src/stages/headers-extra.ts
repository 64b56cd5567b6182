// What LKL programs use but the kernel keeps out of its uapi headers:
// address families, socket types, MSG_/SOL_ flags, DT_ types, umount flags
// and the user ABI structures of include/linux/{socket,net,dirent,fs_types,fs}.h. They are
// taken from the kernel tree (so they follow the tree) and added, in the
// kernel's own names, to uapi headers before the prefix pass renames them.
import fs from 'node:fs/promises';
import path from 'node:path';

interface Take {
  /** kernel-internal header, relative to the source tree */
  from: string;
  /** uapi header (relative to include/) the definitions are added to */
  into: string;
  /** object-like macros to take (the last definition wins: #else fallbacks come last) */
  defines?: RegExp;
  /** `struct NAME` / `enum NAME` definitions to take */
  blocks?: string[];
}

const TAKE: Take[] = [
  {
    from: 'include/linux/socket.h',
    into: 'linux/socket.h',
    defines: /^(?:AF|PF|SOL|SCM)_\w+$|^MSG_(?!INTERNAL|SENDPAGE|NO_SHARED)\w+$|^SOMAXCONN$|^sockaddr_storage$/,
    blocks: ['struct linger', 'struct user_msghdr', 'struct mmsghdr', 'struct cmsghdr', 'struct ucred'],
  },
  {
    from: 'include/linux/net.h',
    into: 'linux/socket.h',
    defines: /^SOCK_(?:MAX|TYPE_MASK|CLOEXEC|NONBLOCK)$/,
    blocks: ['enum sock_type', 'enum sock_shutdown_cmd'],
  },
  { from: 'include/linux/dirent.h', into: 'linux/dirent.h', blocks: ['struct linux_dirent64'] },
  { from: 'include/linux/fs_types.h', into: 'linux/dirent.h', defines: /^DT_(?!MAX)\w+$/ },
  { from: 'include/linux/fs.h', into: 'linux/mount.h', defines: /^(?:MNT_(?:FORCE|DETACH|EXPIRE)|UMOUNT_NOFOLLOW)$/ },
];

/**
 * The structure tags added here: the syscall wrappers take `void *` for
 * them (as the kernel's uapi has no such type, a program may pass its own
 * buffer: getdents64 into a char array, bind with a struct lkl_sockaddr_in *).
 */
export const EXTRA_TAGS = new Set(['sockaddr', ...TAKE.flatMap((t) => (t.blocks ?? []).map((b) => b.split(' ')[1]!))]);

/** Written by hand: the kernel's own version uses kernel-only macros. */
const SOCKADDR = `struct sockaddr {
	__kernel_sa_family_t sa_family;
	char sa_data[14];
};
`;

/** Headers to create when the uapi has none of that name. */
const NEW_HEADERS: Record<string, string> = {
  'linux/dirent.h': `/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* lunik: getdents64 records, from the kernel's include/linux/{dirent,fs_types}.h */
#ifndef _UAPI_LINUX_DIRENT_H
#define _UAPI_LINUX_DIRENT_H

#include <linux/types.h>
#endif /* _UAPI_LINUX_DIRENT_H */
`,
};

/** Kernel-only spellings in the taken text, and their uapi equivalents. */
function toUapi(text: string): string {
  return text
    .replace(/[ \t]*\b__user\b/g, '')
    .replace(/\b([us])(8|16|32|64)\b/g, '__$1$2')
    .replace(/\bsa_family_t\b/g, '__kernel_sa_family_t');
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/.*$/gm, '');
}

/** Pull the wanted definitions out of one kernel header. */
export function extract(text: string, take: Take): { text: string; missing: string[] } {
  const src = stripComments(text).replace(/\\\n/g, ' ');
  const out: string[] = [];
  const missing: string[] = [];
  for (const b of take.blocks ?? []) {
    const m = new RegExp(`^${b.replace(' ', '\\s+')}\\s*\\{[^}]*\\};`, 'm').exec(src);
    if (m) out.push(toUapi(m[0]).replace(/[ \t]+$/gm, '') + '\n');
    else missing.push(b);
  }
  if (take.defines) {
    const defs = new Map<string, string>();
    for (const m of src.matchAll(/^[ \t]*#[ \t]*define[ \t]+(\w+)(?![\w(])[ \t]*(.*)$/gm))
      if (take.defines.test(m[1]!)) defs.set(m[1]!, m[2]!.trim());
    if (defs.size === 0) missing.push(String(take.defines));
    for (const [k, v] of defs) out.push(`#define ${k}\t${v}`);
  }
  return { text: out.join('\n'), missing };
}

/** Insert text before a header's final #endif (its include guard). */
function appendInGuard(text: string, add: string): string {
  const at = text.lastIndexOf('#endif');
  return at < 0 ? text + add : text.slice(0, at) + add + '\n' + text.slice(at);
}

/** Add the kernel's user-ABI definitions to the installed uapi texts. */
export async function addKernelExtras(src: string, texts: Map<string, string>, log: (s: string) => void): Promise<void> {
  for (const [f, t] of Object.entries(NEW_HEADERS)) if (!texts.has(f)) texts.set(f, t);
  const adds = new Map<string, string[]>([['linux/socket.h', ['#include <linux/posix_types.h>\n#include <linux/fcntl.h>', SOCKADDR]]]);
  for (const take of TAKE) {
    let text: string;
    try {
      text = await fs.readFile(path.join(src, take.from), 'utf8');
    } catch {
      log(`headers: ${take.from} not found; its definitions are missing`);
      continue;
    }
    const got = extract(text, take);
    for (const m of got.missing) log(`headers: ${take.from}: no ${m}`);
    const list = adds.get(take.into) ?? [];
    list.push(got.text);
    adds.set(take.into, list);
  }
  for (const [f, list] of adds) {
    const had = texts.get(f);
    if (had === undefined) throw new Error(`headers: uapi header ${f} is missing`);
    const block = `\n/* lunik: user ABI definitions the kernel keeps outside its uapi */\n${list.map((t) => t.trim()).join('\n\n')}\n`;
    texts.set(f, appendInGuard(had, block));
  }
}
