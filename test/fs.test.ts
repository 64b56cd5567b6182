// lunik fs (issue: rootless file system image tools): cp/ls/cat/tar on ext4 and
// vfat images through the kernel library, checked with the usual Debian tools
// (e2fsprogs, dosfstools, mtools, util-linux's sfdisk) reading the images back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { lunik, tempDir, withTimeout } from './helpers.js';

const FIRST_TIMEOUT = 40 * 60_000; // the first use builds the kernel library and the tool
const MiB = 1 << 20;

/** A host command that must succeed; its output as text. */
async function sh(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await execa(cmd, args, { reject: false, all: true, ...opts });
  assert.is(r.exitCode, 0, `${cmd} ${args.join(' ')} failed:\n${String(r.all).slice(-2000)}`);
  return String(r.stdout);
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Deterministic bytes: a different stream for each seed. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b.writeUInt32LE(x, i - (i + 4 > n ? i + 4 - n : 0));
  }
  return b;
}

async function ext4Image(file: string, size: string): Promise<void> {
  await sh('truncate', ['-s', size, file]);
  await sh('mkfs.ext4', ['-q', '-F', file]);
}

async function vfatImage(file: string, size: string): Promise<void> {
  await sh('truncate', ['-s', size, file]);
  await sh('mkfs.vfat', [file]);
}

const isRoot = process.getuid?.() === 0;
const OWNER = { uid: 1234, gid: 5678 };

/**
 * The tree of the issue: 200 files (one of 20 MiB), a symbolic link, an empty
 * directory, modes 0600, 0751 and a set-gid directory 2755, and (as root) a
 * foreign owner.
 */
async function makeTree(root: string, opts: { symlink: boolean; oddModes: boolean }): Promise<void> {
  await fs.mkdir(path.join(root, 'empty'), { recursive: true });
  await fs.mkdir(path.join(root, 'sub/deeper'), { recursive: true });
  await fs.writeFile(path.join(root, 'big.bin'), bytes(20 * MiB, 7));
  let n = 1;
  for (let i = 0; n < 200; i++, n++) {
    const dir = i % 3 === 0 ? root : i % 3 === 1 ? path.join(root, 'sub') : path.join(root, 'sub/deeper');
    await fs.writeFile(path.join(dir, `file${i}.txt`), bytes((i * 997) % 70000, i + 1));
  }
  if (opts.symlink) await fs.symlink('sub/file1.txt', path.join(root, 'link'));
  if (opts.oddModes) {
    await fs.chmod(path.join(root, 'file0.txt'), 0o600);
    await fs.mkdir(path.join(root, 'private'));
    await fs.chmod(path.join(root, 'private'), 0o751);
    await fs.mkdir(path.join(root, 'shared'));
    await fs.chmod(path.join(root, 'shared'), 0o2755);
    await fs.writeFile(path.join(root, 'shared/tool'), '#!/bin/sh\necho hi\n');
    await fs.chmod(path.join(root, 'shared/tool'), 0o755);
    if (isRoot) await fs.lchown(path.join(root, 'sub/file1.txt'), OWNER.uid, OWNER.gid);
  } else {
    await fs.chmod(path.join(root, 'file3.txt'), 0o444);
  }
}

interface Meta {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  link?: string;
}

/** Every path under root (relative) with its mode, owner, size, mtime (s) and link target. */
async function walk(root: string, skip: string[] = []): Promise<Map<string, Meta>> {
  const out = new Map<string, Meta>();
  const visit = async (rel: string) => {
    const p = path.join(root, rel);
    const st = await fs.lstat(p);
    out.set(rel || '.', { mode: st.mode, uid: st.uid, gid: st.gid, size: st.isDirectory() ? 0 : st.size, mtime: Math.floor(st.mtimeMs / 1000), link: st.isSymbolicLink() ? await fs.readlink(p) : undefined });
    if (st.isDirectory()) for (const n of (await fs.readdir(p)).sort()) if (!skip.includes(path.join(rel, n))) await visit(path.join(rel, n));
  };
  await visit('');
  return out;
}

function compareTrees(a: Map<string, Meta>, b: Map<string, Meta>, expect: (rel: string, m: Meta) => Meta = (_r, m) => m, mtimes = true): void {
  assert.equal([...b.keys()], [...a.keys()], 'the same paths');
  for (const [rel, m] of a) {
    const want = expect(rel, m);
    const got = b.get(rel)!;
    assert.is(got.mode.toString(8), want.mode.toString(8), `mode of ${rel}`);
    assert.is(`${got.uid}:${got.gid}`, `${want.uid}:${want.gid}`, `owner of ${rel}`);
    assert.is(got.size, want.size, `size of ${rel}`);
    assert.is(got.link, want.link, `link target of ${rel}`);
    if (mtimes && !(m.mode & 0o40000)) assert.ok(Math.abs(got.mtime - want.mtime) <= 2, `mtime of ${rel}: ${got.mtime} vs ${want.mtime}`);
  }
}

test(
  'the host tools the tests read images back with are installed',
  withTimeout(60_000, async () => {
    for (const t of ['mkfs.ext4', 'e2fsck', 'debugfs', 'mkfs.vfat', 'mdir', 'mcopy', 'sfdisk', 'tar'])
      assert.ok((await execa('sh', ['-c', `command -v ${t}`], { reject: false })).exitCode === 0, `${t} is missing (e2fsprogs, dosfstools, mtools, fdisk, tar)`);
  }),
);

test(
  'lunik fs builds its tool against the kernel library and lists a fresh image',
  withTimeout(FIRST_TIMEOUT, async () => {
    const dir = await tempDir('fs-first');
    const img = path.join(dir, 'fresh.img');
    await ext4Image(img, '16M');
    const r = await lunik(['fs', 'ls', img], { timeoutMs: FIRST_TIMEOUT - 60_000 });
    assert.is(r.exitCode, 0, r.all.slice(-3000));
    assert.match(r.stdout, /^drwx------ 0 0 12288 \d{4}-\d\d-\d\d \d\d:\d\d lost\+found$/);
    // a missing image is bad input, found before anything is built or booted
    const missing = await lunik(['fs', 'ls', path.join(dir, 'missing.img')]);
    assert.is(missing.exitCode, 2, missing.all);
    assert.match(missing.stderr, /^fs: error: image .*missing\.img does not exist$/m);
    assert.match(missing.stderr, /^ {2}fix: /m);
    await fs.rm(dir, { recursive: true, force: true });
  }),
);

test(
  'ext4: a 200-file tree goes in and comes out the same; e2fsck and debugfs agree',
  withTimeout(10 * 60_000, async () => {
    const dir = await tempDir('fs-ext4');
    const tree = path.join(dir, 'tree');
    await makeTree(tree, { symlink: true, oddModes: true });
    const img = path.join(dir, 'disk.img');
    await ext4Image(img, '128M');

    const put = await lunik(['fs', 'cp', `${tree}/.`, `${img}:/`]);
    assert.is(put.exitCode, 0, put.all);
    // a cached tool prints nothing (a stage rebuilt meanwhile shows only its build lines)
    assert.is(put.stderr.split('\n').filter((l) => l && !/^(platform-posix|kernel|fs-tool): /.test(l)).join('\n'), '');
    assert.not.match(put.stderr, /cached/);
    await sh('e2fsck', ['-fn', img]);

    const big = await execa('debugfs', ['-R', 'cat /big.bin', img], { encoding: 'buffer', reject: false });
    assert.is(big.exitCode, 0);
    assert.ok(Buffer.compare(big.stdout as unknown as Buffer, await fs.readFile(path.join(tree, 'big.bin'))) === 0, 'debugfs reads the same 20 MiB');
    const stat = (p: string) => sh('debugfs', ['-R', `stat ${p}`, img]);
    assert.match(await stat('/file0.txt'), /Mode:\s+0600\b/);
    assert.match(await stat('/private'), /Mode:\s+0751\b/);
    assert.match(await stat('/shared'), /Mode:\s+02755\b|Mode:\s+2755\b/);
    assert.match(await stat('/link'), /Type: symlink/);
    assert.match(await stat('/empty'), /Type: directory/);
    if (isRoot) assert.match(await stat('/sub/file1.txt'), new RegExp(`User:\\s+${OWNER.uid}\\s+Group:\\s+${OWNER.gid}\\b`));

    const out = path.join(dir, 'out');
    const get = await lunik(['fs', 'cp', `${img}:/`, out]);
    assert.is(get.exitCode, 0, get.all);
    await sh('diff', ['-r', '--no-dereference', '-x', 'lost+found', tree, out]);
    compareTrees(await walk(tree), await walk(out, ['lost+found']));
    assert.ok((await fs.stat(path.join(out, 'lost+found'))).isDirectory(), 'mkfs.ext4 made lost+found');
    await fs.rm(dir, { recursive: true, force: true });
  }),
);

test(
  'vfat: a tree goes in and comes out with what vfat holds; mtools reads it; symbolic links are refused',
  withTimeout(10 * 60_000, async () => {
    const dir = await tempDir('fs-vfat');
    const tree = path.join(dir, 'tree');
    await makeTree(tree, { symlink: false, oddModes: false });
    const img = path.join(dir, 'esp.img');
    await vfatImage(img, '64M');

    const put = await lunik(['fs', 'cp', `${tree}/.`, `${img}:/`]);
    assert.is(put.exitCode, 0, put.all);
    await sh('fsck.vfat', ['-n', img]);
    const listing = await sh('mdir', ['-i', img, '-b', '::/']);
    assert.match(listing, /big\.bin/i);
    assert.match(listing, /empty/i);
    const viaMtools = path.join(dir, 'big.mtools');
    await sh('mcopy', ['-i', img, '::/big.bin', viaMtools]);
    assert.is(await sha256(viaMtools), await sha256(path.join(tree, 'big.bin')), 'mcopy reads the same 20 MiB');

    const out = path.join(dir, 'out');
    const get = await lunik(['fs', 'cp', `${img}:/`, out]);
    assert.is(get.exitCode, 0, get.all);
    await sh('diff', ['-r', tree, out]);
    // vfat keeps "read-only" and nothing else: files 0644 or 0444, directories 0755, owner 0:0
    const fat = (_rel: string, m: Meta): Meta => ({ ...m, uid: 0, gid: 0, mode: m.mode & 0o40000 ? 0o40755 : m.mode & 0o200 ? 0o100644 : 0o100444 });
    compareTrees(await walk(tree), await walk(out), fat, false);

    // a symbolic link cannot go in; -L copies what it points to
    await fs.symlink('file6.txt', path.join(tree, 'link'));
    const ln = await lunik(['fs', 'cp', path.join(tree, 'link'), `${img}:/`]);
    assert.is(ln.exitCode, 1, ln.all);
    assert.match(ln.stderr, /fs: error: cannot create symbolic link .*esp\.img:\/link/);
    assert.match(ln.stderr, /fix: vfat cannot hold symbolic links/);
    const deref = await lunik(['fs', 'cp', '-L', path.join(tree, 'link'), `${img}:/linked.txt`]);
    assert.is(deref.exitCode, 0, deref.all);
    const back = path.join(dir, 'linked.out');
    const get2 = await lunik(['fs', 'cp', `${img}:/linked.txt`, back]);
    assert.is(get2.exitCode, 0, get2.all);
    assert.is(await sha256(back), await sha256(path.join(tree, 'file6.txt')), '-L copied the file the link points to');
    await sh('fsck.vfat', ['-n', img]);
    await fs.rm(dir, { recursive: true, force: true });
  }),
);

test(
  'ls, cat and tar print exactly what the image holds',
  withTimeout(5 * 60_000, async () => {
    const dir = await tempDir('fs-show');
    const src = path.join(dir, 'src');
    await fs.mkdir(path.join(src, 'etc/conf.d'), { recursive: true });
    await fs.writeFile(path.join(src, 'etc/hostname'), 'lunik\n');
    await fs.writeFile(path.join(src, 'etc/motd'), 'Hello from an image.\nSecond line.\n');
    await fs.writeFile(path.join(src, 'etc/conf.d/empty'), '');
    await fs.symlink('hostname', path.join(src, 'etc/name'));
    await fs.chmod(path.join(src, 'etc/motd'), 0o640);
    await fs.chmod(path.join(src, 'etc/conf.d'), 0o750);
    const when = new Date('2024-01-02T03:04:05Z');
    for (const p of ['etc/hostname', 'etc/motd', 'etc/conf.d/empty', 'etc/conf.d', 'etc']) await fs.utimes(path.join(src, p), when, when);
    await fs.lutimes(path.join(src, 'etc/name'), when, when);
    const img = path.join(dir, 'disk.img');
    await ext4Image(img, '32M');
    const put = await lunik(['fs', 'cp', path.join(src, 'etc'), `${img}:/`]);
    assert.is(put.exitCode, 0, put.all);
    const before = await sha256(img);

    // (execa drops the output's final newline; lunik prints it)
    const ls = await lunik(['fs', 'ls', `${img}:/etc`]);
    assert.is(ls.exitCode, 0, ls.all);
    assert.is(
      ls.stdout + '\n',
      [
        'drwxr-x--- 0 0 1024 2024-01-02 03:04 conf.d',
        '-rw-r--r-- 0 0    6 2024-01-02 03:04 hostname',
        '-rw-r----- 0 0   34 2024-01-02 03:04 motd',
        'lrwxrwxrwx 0 0    8 2024-01-02 03:04 name -> hostname',
      ].join('\n') + '\n',
    );
    const lsFile = await lunik(['fs', 'ls', `${img}:/etc/motd`]);
    assert.is(lsFile.stdout, '-rw-r----- 0 0 34 2024-01-02 03:04 /etc/motd');

    const cat = await lunik(['fs', 'cat', `${img}:/etc/motd`, `${img}:/etc/name`]);
    assert.is(cat.exitCode, 0, cat.all);
    assert.is(cat.stdout, 'Hello from an image.\nSecond line.\nlunik');

    const tarFile = path.join(dir, 'etc.tar');
    const tar = await lunik(['fs', 'tar', `${img}:/etc`, '-o', tarFile]);
    assert.is(tar.exitCode, 0, tar.all);
    assert.is(tar.stdout, '');
    const list = await sh('tar', ['-tvf', tarFile], { env: { TZ: 'UTC' } });
    assert.is(
      list.replace(/ +/g, ' '),
      [
        'drwxr-xr-x 0/0 0 2024-01-02 03:04 etc/',
        'drwxr-x--- 0/0 0 2024-01-02 03:04 etc/conf.d/',
        '-rw-r--r-- 0/0 0 2024-01-02 03:04 etc/conf.d/empty',
        '-rw-r--r-- 0/0 6 2024-01-02 03:04 etc/hostname',
        '-rw-r----- 0/0 34 2024-01-02 03:04 etc/motd',
        'lrwxrwxrwx 0/0 0 2024-01-02 03:04 etc/name -> hostname',
      ].join('\n'),
    );
    assert.is((await fs.stat(tarFile)).size % 10240, 0, 'whole tar records');
    // the same archive on stdout; and it unpacks to the source tree
    const r = await execa('node', [path.join(path.dirname(new URL(import.meta.url).pathname), '../bin/lunik.mjs'), 'fs', 'tar', `${img}:/etc`], { encoding: 'buffer', reject: false, env: { CI: '1' } });
    assert.is(r.exitCode, 0);
    assert.ok(Buffer.compare(r.stdout as unknown as Buffer, await fs.readFile(tarFile)) === 0, 'stdout and -o give the same archive');
    const unpacked = path.join(dir, 'unpacked');
    await fs.mkdir(unpacked);
    await sh('tar', ['-xf', tarFile, '-C', unpacked]);
    await sh('diff', ['-r', '--no-dereference', path.join(src, 'etc'), path.join(unpacked, 'etc')]);
    assert.is(await sha256(img), before, 'reading never writes the image');
    await fs.rm(dir, { recursive: true, force: true });
  }),
);

test(
  'a full image: ENOSPC is reported, the exit is 1, and the file system stays clean',
  withTimeout(5 * 60_000, async () => {
    const dir = await tempDir('fs-full');
    const img = path.join(dir, 'small.img');
    await ext4Image(img, '16M');
    const big = path.join(dir, 'forty.bin');
    await fs.writeFile(big, bytes(40 * MiB, 3));
    const r = await lunik(['fs', 'cp', big, `${img}:/`]);
    assert.is(r.exitCode, 1, r.all);
    assert.match(r.stderr, /fs: error: the image is full: cannot write .*small\.img:\/forty\.bin: No space left on device/);
    assert.match(r.stderr, /fix: make the image larger/);
    await sh('e2fsck', ['-fn', img]);
    const ls = await lunik(['fs', 'ls', `${img}:/`]);
    assert.is(ls.exitCode, 0, ls.all);
    assert.not.match(ls.stdout, /forty\.bin/, 'the partial file was removed');
    await fs.rm(dir, { recursive: true, force: true });
  }),
);

test(
  'bad input: clear errors, exit 2, and the image unchanged',
  withTimeout(5 * 60_000, async () => {
    const dir = await tempDir('fs-bad');
    const img = path.join(dir, 'disk.img');
    await ext4Image(img, '32M');
    const file = path.join(dir, 'hello.txt');
    await fs.writeFile(file, 'hello\n');
    const junk = path.join(dir, 'junk.img');
    await fs.writeFile(junk, bytes(8 * MiB, 9));
    const sums = async () => [await sha256(img), await sha256(junk)];
    const before = await sums();

    const cases: [string[], RegExp][] = [
      [['fs', 'cp', file, `${dir}/missing.img:/`], /fs: error: image .*missing\.img does not exist/],
      [['fs', 'cp', file, `${img}@2:/`], /fs: error: .*disk\.img has no partition table, so no partition 2/],
      [['fs', 'cp', file, `${img}@0:/`], /fs: error: bad partition "0"/],
      [['fs', 'cp', '--type', 'xfs', file, `${img}:/`], /fs: error: unknown file system type "xfs"/],
      [['fs', 'cp', '--type', 'vfat', file, `${img}:/`], /fs: error: .*disk\.img is not a valid vfat file system/],
      [['fs', 'cp', file, `${junk}:/`], /fs: error: .*junk\.img holds no file system lunik knows \(ext4, vfat\)/],
      [['fs', 'ls', junk], /fs: error: .*junk\.img holds no file system lunik knows/],
      [['fs', 'cp', `${dir}/nothing-here`, `${img}:/`], /fs: error: cannot copy .*nothing-here: No such file or directory/],
      [['fs', 'cp', file, `${img}:/no/such/dir/x`], /fs: error: the destination's directory .*disk\.img:\/no\/such\/dir does not exist/],
      [['fs', 'cat', `${img}:/nope`], /fs: error: cannot show .*disk\.img:\/nope: No such file or directory/],
      [['fs', 'cp', file, path.join(dir, 'copy.txt')], /fs: error: neither the sources nor the destination is an image path/],
      [['fs', 'mv', file, `${img}:/`], /fs: error: unknown fs command "mv"/],
      [['fs', 'cp', `${img}:/`, `${img}:/inside`], /fs: error: cannot copy .*disk\.img:\/ into itself/],
    ];
    for (const [args, re] of cases) {
      const r = await lunik(args);
      assert.is(r.exitCode, 2, `lunik ${args.join(' ')}:\n${r.all}`);
      assert.match(r.stderr, re, `lunik ${args.join(' ')}`);
      assert.match(r.stderr, /^ {2}fix: /m, `a fix for: lunik ${args.join(' ')}`);
    }
    assert.equal(await sums(), before, 'the images are unchanged');

    // a read-only image, when writing (refused even for root)
    await fs.chmod(img, 0o444);
    const ro = await lunik(['fs', 'cp', file, `${img}:/`]);
    assert.is(ro.exitCode, 2, ro.all);
    assert.match(ro.stderr, /fs: error: image .*disk\.img is read-only/);
    const read = await lunik(['fs', 'ls', `${img}:/`]);
    assert.is(read.exitCode, 0, `reading a read-only image works:\n${read.all}`);
    assert.equal(await sums(), before, 'the images are unchanged');
    await fs.rm(dir, { recursive: true, force: true });
  }),
);

test(
  'a GPT disk: partition 2 round trip; partition 3 and the whole disk are clear errors',
  withTimeout(5 * 60_000, async () => {
    const dir = await tempDir('fs-gpt');
    const disk = path.join(dir, 'gpt.img');
    await sh('truncate', ['-s', '64M', disk]);
    // 16 MiB vfat at sector 2048, 32 MiB ext4 at sector 34816
    await execa('sfdisk', ['--quiet', disk], { input: 'label: gpt\nstart=2048, size=32768, type=uefi\nstart=34816, size=65536, type=linux\n' });
    const part1 = path.join(dir, 'p1.img');
    const part2 = path.join(dir, 'p2.img');
    await vfatImage(part1, '16M');
    await ext4Image(part2, '32M');
    await sh('dd', [`if=${part1}`, `of=${disk}`, 'bs=512', 'seek=2048', 'conv=notrunc', 'status=none']);
    await sh('dd', [`if=${part2}`, `of=${disk}`, 'bs=512', 'seek=34816', 'conv=notrunc', 'status=none']);

    const tree = path.join(dir, 'tree');
    await fs.mkdir(path.join(tree, 'a/b'), { recursive: true });
    await fs.writeFile(path.join(tree, 'a/b/data'), bytes(3 * MiB + 123, 5));
    await fs.writeFile(path.join(tree, 'top'), 'top\n');
    await fs.symlink('a/b/data', path.join(tree, 'ln'));
    const put = await lunik(['fs', 'cp', `${tree}/.`, `${disk}@2:/`]);
    assert.is(put.exitCode, 0, put.all);
    const out = path.join(dir, 'out');
    const get = await lunik(['fs', 'cp', `${disk}@2:/`, out]);
    assert.is(get.exitCode, 0, get.all);
    await sh('diff', ['-r', '--no-dereference', '-x', 'lost+found', tree, out]);
    compareTrees(await walk(tree), await walk(out, ['lost+found']));
    // the partition holds a clean ext4 with the files; partition 1 is untouched vfat
    await sh('dd', [`if=${disk}`, `of=${part2}`, 'bs=512', 'skip=34816', 'count=65536', 'status=none']);
    await sh('e2fsck', ['-fn', part2]);
    const p1 = await lunik(['fs', 'ls', `${disk}@1:/`]);
    assert.is(p1.exitCode, 0, p1.all);
    assert.is(p1.stdout, '');

    const before = await sha256(disk);
    const three = await lunik(['fs', 'cp', path.join(tree, 'top'), `${disk}@3:/`]);
    assert.is(three.exitCode, 2, three.all);
    assert.match(three.stderr, /fs: error: .*gpt\.img has no partition 3 \(its partitions: 1, 2\)/);
    const whole = await lunik(['fs', 'ls', `${disk}:/`]);
    assert.is(whole.exitCode, 2, whole.all);
    assert.match(whole.stderr, /fs: error: .*gpt\.img is a partitioned disk \(partitions: 1, 2\), not a file system/);
    assert.match(whole.stderr, /fix: name a partition, e\.g\. IMAGE@1:\/PATH/);
    assert.is(await sha256(disk), before, 'the disk is unchanged');
    await fs.rm(dir, { recursive: true, force: true });
  }),
);

test.run();
