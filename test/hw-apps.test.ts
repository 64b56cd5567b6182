// Apps on the hw platform (issue: Bare-metal x86_64 platform): baked into a
// PVH image with the kernel and the root file system, booted under QEMU
// (TCG), the guest's exit status as lunik run's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { execa } from 'execa';
import { LUNIK, ROOT, lunik, withTimeout } from './helpers.js';

const FIXTURES = { LUNIK_APPS: path.join(ROOT, 'test/fixtures/apps') };

test(
  'lunik run hello (hw by default): its line, its file, and QEMU ends with the status hello chose',
  withTimeout(15 * 60_000, async () => {
    for (const code of [7, 113]) {
      const r = await lunik(['run', 'hello', '--', String(code)], { timeoutMs: 15 * 60_000 });
      assert.is(r.exitCode, code, r.all.slice(-3000));
      assert.match(r.stdout, /^hello from Linux 6\.12\.\d+\r?$/m);
      assert.match(r.stdout, /^hello\.txt: This line was read from the root file system\.\r?$/m);
      assert.match(r.stdout, new RegExp(`^hello: exiting with status ${code}\\r?$`, 'm'));
    }
  }),
);

test(
  'an app that crashes ends with the panic message and a non-zero status',
  withTimeout(10 * 60_000, async () => {
    const r = await lunik(['run', 'crash'], { env: FIXTURES, timeoutMs: 10 * 60_000 });
    assert.is(r.exitCode, 1, r.all.slice(-3000));
    assert.match(r.stdout, /^crash: about to abort\r?$/m);
    assert.match(r.stdout, /lunik: (hw: )?panic/);
    assert.match(r.stderr, /run: error: the guest panicked/);
  }),
);

test(
  'too little memory (--mem 4M) is a clear error before anything boots',
  withTimeout(120_000, async () => {
    const r = await lunik(['run', 'hello', '--mem', '4M']);
    assert.is(r.exitCode, 2, r.all);
    assert.match(r.stderr, /run: error: --mem 4M is too little memory for hello/);
    assert.match(r.stderr, /fix: give at least --mem \d+M/);
  }),
);

test(
  '--gdb starts QEMU stopped with its gdb stub and prints the gdb command; gdb attaches and the guest runs to its end',
  withTimeout(5 * 60_000, async () => {
    const run = execa(process.execPath, [LUNIK, 'run', 'hello', '--gdb', '--', '9'], { reject: false, all: true, env: { CI: '1' } });
    let out = '';
    run.all!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const t0 = Date.now();
      let m: RegExpExecArray | null = null;
      while (!(m = /QEMU waits for gdb: (gdb (\S+) -ex 'target remote ([\d.]+:\d+)')/.exec(out))) {
        if (run.exitCode !== null || Date.now() - t0 > 240_000) assert.unreachable(`no gdb line:\n${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.not.match(out, /hello from Linux/, 'the guest ran before gdb attached');
      const gdb = await execa('gdb', ['-q', '-batch', '-ex', `target remote ${m[3]}`, '-ex', 'info symbol hw_pvh_start', '-ex', 'continue', m[2]], { reject: false, all: true, timeout: 120_000 });
      assert.match(String(gdb.all), /hw_pvh_start in section/, 'gdb knows the image symbols');
      const r = await run;
      assert.is(r.exitCode, 9, out.slice(-2000));
      assert.match(out, /^hello: exiting with status 9\r?$/m);
    } finally {
      if (run.exitCode === null) run.kill('SIGKILL');
    }
  }),
);

test.run();
