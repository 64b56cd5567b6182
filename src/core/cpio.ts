// The initramfs format: a cpio "newc" archive, as the kernel's
// populate_rootfs reads it (Documentation/driver-api/early-userspace/
// buffer-format.rst). Written here rather than with cpio(1) so that the
// archive is byte-for-byte reproducible: every entry is owned by root, has
// mtime 0 and a fixed inode number, whoever builds it.

export interface CpioEntry {
  /** Absolute path inside the archive, e.g. "/etc/nginx/nginx.conf". */
  path: string;
  type: 'dir' | 'file' | 'symlink';
  /** Permission bits (e.g. 0o644). */
  mode: number;
  /** File contents, or the symlink's target. */
  data?: Buffer | string;
}

const TYPE_BITS = { dir: 0o040000, file: 0o100000, symlink: 0o120000 } as const;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function header(ino: number, mode: number, nlink: number, size: number, nameLen: number): string {
  const f = (v: number) => v.toString(16).padStart(8, '0');
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  return '070701' + [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, nameLen, 0].map(f).join('');
}

/**
 * The archive of entries, with every missing parent directory added (mode
 * 0755) and entries sorted so that a directory comes before what it holds.
 * A later entry for the same path replaces an earlier one.
 */
export function cpioArchive(entries: CpioEntry[]): Buffer {
  const byPath = new Map<string, CpioEntry>();
  for (const e of entries) {
    const p = normalise(e.path);
    for (let d = parentOf(p); d && !byPath.has(d); d = parentOf(d)) byPath.set(d, { path: d, type: 'dir', mode: 0o755 });
    byPath.set(p, { ...e, path: p });
  }
  const parts: Buffer[] = [];
  let ino = 1;
  const add = (name: string, mode: number, nlink: number, data: Buffer) => {
    const nameBuf = Buffer.from(name + '\0');
    const head = Buffer.from(header(ino++, mode, nlink, data.length, nameBuf.length));
    parts.push(head, nameBuf, Buffer.alloc(pad4(head.length + nameBuf.length)), data, Buffer.alloc(pad4(data.length)));
  };
  for (const p of [...byPath.keys()].sort()) {
    const e = byPath.get(p)!;
    const data = e.type === 'dir' ? Buffer.alloc(0) : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '');
    add(p.slice(1), TYPE_BITS[e.type] | (e.mode & 0o7777), e.type === 'dir' ? 2 : 1, data);
  }
  add('TRAILER!!!', 0, 1, Buffer.alloc(0));
  return Buffer.concat(parts);
}

function normalise(p: string): string {
  if (!p.startsWith('/')) throw new Error(`cpio: path "${p}" is not absolute`);
  const parts = p.split('/').filter((s) => s && s !== '.');
  if (parts.includes('..')) throw new Error(`cpio: path "${p}" leaves the root`);
  if (!parts.length) throw new Error('cpio: the root itself cannot be an entry');
  return '/' + parts.join('/');
}

function parentOf(p: string): string | undefined {
  const i = p.lastIndexOf('/');
  return i > 0 ? p.slice(0, i) : undefined;
}
