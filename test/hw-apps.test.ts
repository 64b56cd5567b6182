// Apps on the hw platform (issue: Bare-metal x86_64 platform): baked into a
// PVH image with the kernel and the root file system, booted under QEMU
// (TCG), the guest's exit status as lunik run's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { ROOT, lunik, withTimeout } from './helpers.js';

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

test.run();
