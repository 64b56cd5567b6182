// The hypercall conformance suite on the posix platform, built through the orchestrator.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ROOT, lunik, tempDir, withTimeout } from './helpers.js';

test(
  'lunik conformance --platform posix: every case passes',
  withTimeout(300_000, async () => {
    const r = await lunik(['conformance', '--platform', 'posix'], { timeoutMs: 280_000 });
    assert.is(r.exitCode, 0, r.all);
    const m = /^(\d+) passed, (\d+) failed$/m.exec(r.stdout);
    assert.ok(m, 'the suite printed its totals');
    assert.is(Number(m![2]), 0);
    assert.ok(Number(m![1]) >= 40, `only ${m![1]} cases ran`);
    assert.not.match(r.stdout, /^not ok/m);
    // the cases that make the contract: timers, recursion, TLS destructors, jumps
    for (const name of ['one-shot timers fire no earlier', 'recursive mutex', 'destructors run', 'jmp_set returns once', 'LHC_EAGAIN is followed by the line', 'close wakes a reader on silent input'])
      assert.match(r.stdout, new RegExp(`^ok \\d+ - .*${name}`, 'm'));
    // lhc_stdio_write's lines, each on its own stream of the process
    assert.match(r.stdout, /^# lhc_stdio_write: this line went to standard output$/m);
    assert.not.match(r.stdout, /went to standard error/);
    assert.match(r.stderr, /^# lhc_stdio_write: this line went to standard error$/m);
  }),
);

/*
 * Under lunik's musl, the libc's read(), poll(), socket()... reach the kernel
 * library, not the host: the platform must make every call on a host
 * descriptor itself (platforms/posix/hostsys.h). What its objects may still
 * take from the C library: threads and their synchronisation, memory,
 * strings and formatting, the clock, exit/abort, pure parsing.
 */
const LIBC_ALLOWED = /^(pthread_\w+|sem_(init|destroy|post|wait|trywait|timedwait)|sigfillset|sigemptyset|malloc|calloc|realloc|free|posix_memalign|mem(cpy|set|move|cmp)|str\w+|v?snprintf|_setjmp|_longjmp|getenv|abort|exit|__errno_location|clock_gettime|inet_pton|hton[ls]|ntoh[ls]|__popcountdi2|__stack_chk_fail|_GLOBAL_OFFSET_TABLE_)$/;

async function buildPosix(tag: string, cc: string): Promise<string> {
  const out = await tempDir(tag);
  const r = await execa('make', ['-C', path.join(ROOT, 'platforms/posix'), `O=${out}`, `CC=${cc}`, '-j2', 'all'], { reject: false, all: true });
  assert.is(r.exitCode, 0, `make CC=${cc} failed:\n${String(r.all).slice(-3000)}`);
  return out;
}

async function foreignCalls(out: string): Promise<string[]> {
  const dir = path.join(out, 'obj/platform');
  const bad: string[] = [];
  for (const f of (await fs.readdir(dir)).filter((n) => n.endsWith('.o'))) {
    const { stdout } = await execa('nm', ['-u', path.join(dir, f)]);
    for (const sym of stdout.split('\n').map((l) => l.trim().split(/\s+/).pop()!).filter(Boolean))
      if (!/^(lhc_|posix_|lunik_)/.test(sym) && !LIBC_ALLOWED.test(sym)) bad.push(`${f}: ${sym}`);
  }
  return bad;
}

test(
  'the posix platform reaches host descriptors only through raw system calls (no libc I/O, socket, poll or resolver calls)',
  withTimeout(180_000, async () => {
    const bad = await foreignCalls(await buildPosix('posix-gcc', 'gcc'));
    assert.equal(bad, [], `libc calls a lunik musl would send into the kernel library:\n${bad.join('\n')}`);
  }),
);

test(
  'the posix platform builds with musl-gcc, and the conformance suite passes linked with musl',
  withTimeout(240_000, async () => {
    if ((await execa('musl-gcc', ['--version'], { reject: false })).exitCode !== 0) {
      console.log('  skipped: musl-gcc is not installed (apt-get install musl-tools)');
      return;
    }
    const out = await buildPosix('posix-musl', 'musl-gcc');
    const bad = await foreignCalls(out);
    assert.equal(bad, [], bad.join('\n'));
    const r = await execa(path.join(out, 'conformance'), [], { reject: false, all: true, stdin: 'ignore', timeout: 150_000 });
    const all = String(r.all);
    assert.is(r.exitCode, 0, all.slice(-3000));
    assert.match(all, /^\d+ passed, 0 failed$/m);
  }),
);

test(
  'lunik conformance rejects platforms that have not landed',
  withTimeout(30_000, async () => {
    const r = await lunik(['conformance', '--platform', 'xen']);
    assert.is(r.exitCode, 2);
    assert.match(r.stderr, /the xen platform has not landed yet/);
  }),
);

test.run();
