// The hypercall conformance suite on the posix platform, built through the orchestrator.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lunik, withTimeout } from './helpers.js';

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
    for (const name of ['one-shot timers fire no earlier', 'recursive mutex', 'destructors run', 'jmp_set returns once'])
      assert.match(r.stdout, new RegExp(`^ok \\d+ - .*${name}`, 'm'));
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
