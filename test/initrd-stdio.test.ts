// What a process unikernel needs from the kernel library besides syscalls: its
// root files as an initramfs (lkl_set_initrd), and the host's stdin/stdout/
// stderr as kernel files (/dev/hoststdin, /dev/hoststdout, /dev/hoststderr).
// The C programs are test/kernel/initrd.c and test/kernel/stdio.c.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { compileKernelProgram, lunik, tempDir, withTimeout } from './helpers.js';

const BUILD_TIMEOUT = 40 * 60_000; // a cache hit after kernel.test.ts; a full build otherwise
let bins = '';
const built = new Map<string, Promise<string>>();
let prefix = '';

function program(name: string): Promise<string> {
  let p = built.get(name);
  if (!p) built.set(name, (p = compileKernelProgram(prefix, name, bins)));
  return p;
}

/** Checks the program's TAP lines: no "not ok", exit 0, a totals line. */
function assertPassed(name: string, exitCode: number | undefined, out: string) {
  assert.not.match(out, /^not ok/m, out.split('\n').filter((l) => /^not ok|Bail/.test(l)).join('\n'));
  assert.is(exitCode, 0, `${name}:\n${out.slice(-3000)}`);
  const m = /^(\d+) passed, 0 failed$/m.exec(out);
  assert.ok(m && Number(m[1]) > 0, `${name}: no totals line:\n${out.slice(-2000)}`);
}

async function run(bin: string, args: string[]) {
  const r = await execa(bin, args, { reject: false, all: true, stdin: 'ignore', timeout: 60_000, killSignal: 'SIGKILL' });
  assert.ok(!r.timedOut, `${path.basename(bin)} ${args.join(' ')} hung:\n${String(r.all).slice(-3000)}`);
  return { exitCode: r.exitCode, out: String(r.all) };
}

/** initrd.c's bytes for /etc/sub/deep/data.bin. */
function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 8)) & 0xff;
  return b;
}

/**
 * The tree initrd.c checks, archived by Debian's cpio in "newc" format with
 * owner 0:0; with initMode, also an /init of that mode.
 */
async function archive(tag: string, initMode?: number): Promise<string> {
  const dir = await tempDir(`initrd-${tag}`);
  const tree = path.join(dir, 'tree');
  await fs.mkdir(path.join(tree, 'etc/sub/deep'), { recursive: true });
  await fs.writeFile(path.join(tree, 'etc/hello.txt'), 'hello from the initramfs\n');
  await fs.writeFile(path.join(tree, 'etc/sub/deep/data.bin'), pattern(5001));
  await fs.symlink('hello.txt', path.join(tree, 'etc/link'));
  for (const [p, m] of [['etc', 0o755], ['etc/hello.txt', 0o644], ['etc/sub', 0o750], ['etc/sub/deep', 0o700], ['etc/sub/deep/data.bin', 0o600]] as const)
    await fs.chmod(path.join(tree, p), m);
  const names = ['etc', 'etc/hello.txt', 'etc/link', 'etc/sub', 'etc/sub/deep', 'etc/sub/deep/data.bin'];
  if (initMode !== undefined) {
    await fs.writeFile(path.join(tree, 'init'), '#!/bin/sh\necho this is never run\n');
    await fs.chmod(path.join(tree, 'init'), initMode);
    names.push('init');
  }
  const r = await execa('cpio', ['-o', '-H', 'newc', '-R', '0:0'], { cwd: tree, input: names.join('\n') + '\n', encoding: 'buffer', reject: false });
  assert.is(r.exitCode, 0, `cpio -o failed: ${Buffer.from(r.stderr).toString()}`);
  const out = path.join(dir, 'root.cpio');
  await fs.writeFile(out, Buffer.from(r.stdout));
  return out;
}

test(
  'the kernel library is built (or reused) for these tests',
  withTimeout(BUILD_TIMEOUT, async () => {
    const r = await lunik(['kernel'], { timeoutMs: BUILD_TIMEOUT - 60_000 });
    assert.is(r.exitCode, 0, r.all.slice(-4000));
    prefix = r.stdout.trim().split('\n').pop()!;
    bins = await tempDir('initrd-stdio-bins');
  }),
);

test(
  'initramfs: an archive built in memory (read-only pages) unpacks into a writable ramfs root: content, modes, owners, a symlink, a nested dir',
  withTimeout(120_000, async () => {
    const { exitCode, out } = await run(await program('initrd'), ['mem']);
    assertPassed('initrd mem', exitCode, out);
    assert.match(out, /^ok \d+ - \/etc\/sub\/deep\/data\.bin: content read back \(5001 bytes\)$/m);
    assert.match(out, /^ok \d+ - \/ is a ramfs/m);
    assert.match(out, /^ok \d+ - the archive memory is unchanged$/m);
  }),
);

test(
  "initramfs: archives from Debian's cpio -H newc, plain and gzip'ed, and one with an /init of its own",
  withTimeout(180_000, async () => {
    const bin = await program('initrd');
    const plain = await archive('plain');
    const gz = plain + '.gz';
    await fs.writeFile(gz, gzipSync(await fs.readFile(plain)));
    for (const f of [plain, gz]) {
      const { exitCode, out } = await run(bin, ['file', f]);
      assertPassed(`initrd file ${path.basename(f)}`, exitCode, out);
      assert.match(out, /^ok \d+ - \/init is the arch's empty one/m);
    }
    const withInit = await archive('init', 0o755);
    const { exitCode, out } = await run(bin, ['file', withInit, 'init']);
    assertPassed('initrd file (with /init)', exitCode, out);
    assert.match(out, /^ok \d+ - the archive's \/init is left as it was$/m);
  }),
);

test(
  'initramfs: an /init that is not executable stops the boot with a message saying why',
  withTimeout(120_000, async () => {
    const { exitCode, out } = await run(await program('initrd'), ['badinit', await archive('badinit', 0o644)]);
    assert.is.not(exitCode, 0, out);
    assert.match(out, /lkl: error: the initramfs has an \/init that is not an executable file/);
  }),
);

test(
  "host stdio: /dev/hoststdout and /dev/hoststderr reach the process's own stdout and stderr; /dev/hoststdin reads its stdin without holding the kernel",
  withTimeout(120_000, async () => {
    const child = execa(await program('stdio'), [], { reject: false, stdin: 'pipe', stripFinalNewline: false, timeout: 60_000, killSignal: 'SIGKILL' });
    let seen = '';
    child.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    const waitFor = async (marker: string) => {
      for (let i = 0; i < 300 && !seen.includes(marker); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(seen.includes(marker), `no "${marker}" from stdio.c:\n${seen.slice(-2000)}`);
    };
    await waitFor('# ready for input');
    await new Promise((r) => setTimeout(r, 500)); // the read waits meanwhile; another thread keeps sleeping in the kernel
    child.stdin!.write('first line\n');
    await waitFor('# ready for more');
    await new Promise((r) => setTimeout(r, 200));
    child.stdin!.end('second part, then the end\n');
    const r = await child;
    const stdout = String(r.stdout);
    const stderr = String(r.stderr);
    assert.ok(!r.timedOut, `stdio hung:\n${stdout.slice(-2000)}`);
    assertPassed('stdio', r.exitCode, stdout);

    // each stream got its own lines, once
    const outLine = "stdio: this line went to the host's stdout through /dev/hoststdout\n";
    const errLine = "stdio: this line went to the host's stderr through /dev/hoststderr\n";
    assert.is(stdout.split(outLine).length - 1, 1, 'the stdout line is on stdout once');
    assert.ok(stdout.includes('stdio: writev, two segments\n'), 'the writev line is on stdout');
    assert.not.ok(stdout.includes(errLine), 'the stderr line is not on stdout');
    assert.is(stderr.split(errLine).length - 1, 1, `the stderr line is on stderr once:\n${stderr.slice(0, 500)}`);
    assert.not.ok(stderr.includes(outLine), 'the stdout line is not on stderr');

    // the 114000-byte write arrived whole and in order
    let big = '';
    for (let i = 0; i < 3000; i++) big += `stdio-big ${String(i).padStart(5, '0')} abcdefghijklmnopqrstu\n`;
    assert.ok(stderr.includes(big), 'the big block is on stderr, intact');
    assert.not.ok(stdout.includes('stdio-big'), 'no part of the big block on stdout');
  }),
);

test.run();
