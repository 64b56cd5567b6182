// The lunik CLI as a user meets it: help, doctor, and bad input with exit codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { ROOT, lunik, tempDir, withTimeout } from './helpers.js';

test(
  'npx lunik --help lists the commands and exits 0',
  withTimeout(60_000, async () => {
    const r = await execa('npx', ['lunik', '--help'], { cwd: ROOT, reject: false });
    assert.is(r.exitCode, 0);
    for (const c of ['doctor', 'kernel', 'build', 'run', 'conformance', 'fs', 'bench', 'cache']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
    assert.match(r.stdout, /--verbose/);
  }),
);

test(
  'a command --help shows its options',
  withTimeout(30_000, async () => {
    const r = await lunik(['run', '--help']);
    assert.is(r.exitCode, 0);
    assert.match(r.stdout, /usage: lunik run APP/);
    assert.match(r.stdout, /--accel/);
  }),
);

test(
  'npx lunik doctor reports every tool with its version and the accelerator',
  withTimeout(120_000, async () => {
    const r = await execa('npx', ['lunik', 'doctor'], { cwd: ROOT, reject: false });
    assert.is(r.exitCode, 0, r.stdout + r.stderr);
    for (const t of ['gcc', 'make', 'flex', 'bison', 'bc', 'perl', 'libelf', 'xz', 'cpio', 'mkfs.vfat', 'mcopy', 'mkfs.ext4', 'sfdisk', 'qemu-system-x86_64', 'passt', 'wrk', 'autoreconf', 'strace', 'cmake', 'gdb', 'ip', 'nginx', 'linux-source-6.12', 'deb-src'])
      assert.match(r.stdout, new RegExp(`^ok\\s+${t.replace(/[.]/g, '\\.')}\\s+\\S`, 'm'), `line for ${t}`);
    assert.match(r.stdout, /^ok\s+accel auto\s+(kvm|tcg) — /m);
    assert.match(r.stdout, /linux-source-6\.12\s+6\.12\.\d+/);
  }),
);

const bad: [string[], RegExp][] = [
  [['frobnicate'], /^lunik: error: unknown command "frobnicate"\n  fix: run 'lunik --help'/],
  [['doctr'], /unknown command "doctr" \(did you mean "doctor"\?\)/],
  [['build', 'nosuchapp'], /^build: error: unknown app "nosuchapp"\n  fix: /],
  [['run', 'nginx', '--platform', 'nosuch'], /^run: error: unknown platform "nosuch"\n  fix: use --platform posix/],
  [['run', 'nginx', '--platfrom', 'hw'], /^run: error: unknown option --platfrom/],
  [['run', 'nginx', '-p', '8080'], /^run: error: bad port mapping "8080"/],
  [['run', 'nginx', '--accel', 'warp'], /unknown accelerator "warp"/],
  [['build'], /^build: error: missing argument APP/],
  [['cache', 'explode'], /unknown cache subcommand "explode"/],
];

for (const [args, want] of bad)
  test(
    `lunik ${args.join(' ')} → exit 2 with a clear message`,
    withTimeout(30_000, async () => {
      const r = await lunik(args, { cache: await tempDir('cli') });
      assert.is(r.exitCode, 2, r.all);
      assert.match(r.stderr, want);
      assert.not.match(r.stderr, /at .*\.mjs:\d+/, 'no stack trace');
    }),
  );

test(
  'lunik cache ls and clean work on an empty cache',
  withTimeout(30_000, async () => {
    const cache = await tempDir('cache');
    const ls = await lunik(['cache', 'ls'], { cache });
    assert.is(ls.exitCode, 0);
    assert.match(ls.stdout, /^0 entries, 0 B in /m);
    const clean = await lunik(['cache', 'clean'], { cache });
    assert.is(clean.exitCode, 0);
    assert.match(clean.stdout, /removed 0 entries/);
  }),
);

test.run();
