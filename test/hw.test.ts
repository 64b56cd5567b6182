// The hw platform (x86_64 bare metal, PVH) under QEMU with TCG: the hypercall
// conformance suite through the orchestrator, and the platform's own checks
// (platforms/hw/tests/selftest.c): exit statuses, panics, CPU exceptions,
// serial input, the clocks, memory above 4 GiB, the libc host interface.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { bootHw, hwExit, type HwBootResult } from '../src/core/hw-boot.js';
import { ROOT, lunik, tempDir, withTimeout } from './helpers.js';

test(
  'lunik conformance --platform hw: every case passes under QEMU (TCG)',
  withTimeout(300_000, async () => {
    const r = await lunik(['conformance', '--platform', 'hw'], { timeoutMs: 280_000 });
    assert.is(r.exitCode, 0, r.all.slice(-4000));
    const m = /^(\d+) passed, (\d+) failed$/m.exec(r.stdout);
    assert.ok(m, 'the suite printed its totals on the serial console');
    assert.is(Number(m![2]), 0);
    assert.ok(Number(m![1]) >= 55, `only ${m![1]} cases ran`);
    assert.not.match(r.stdout, /^not ok/m);
    // what makes the platform: cooperative threads, timers from the LAPIC, TLS, jumps, devices, stdio
    for (const name of ['one-shot timers fire no earlier', 'cancel stops a callback that re-arms itself', 'recursive mutex', 'destructors run on the ending thread', '256 threads created and joined', 'jmp_set returns once', 'comes back on the rx queue with an IRQ', 'a line to standard output and one to standard error'])
      assert.match(r.stdout, new RegExp(`^ok \\d+ - .*${name}`, 'm'));
    // only these may skip on hw: no foreign threads, no end of input on a serial line, no PCI yet
    for (const skip of r.stdout.matchAll(/^ok \d+ - .* # SKIP (.*)$/gm)) assert.match(skip[1], /foreign threads|lhc_conformance_stdin|LHC_CAP_PCI/);
    assert.match(r.stdout, /^# lhc_stdio_write: this line went to standard error$/m); // the serial port carries both
  }),
);

test(
  'lunik conformance --platform hw without QEMU is a clear error naming the tool and its package',
  withTimeout(240_000, async () => {
    // a PATH with the build tools (the stage is cached by now) and no qemu
    const bin = await tempDir('hw-noqemu');
    for (const tool of ['gcc', 'cc', 'make', 'ar', 'as', 'ld', 'dpkg-query']) {
      const { stdout } = await execa('sh', ['-c', `command -v ${tool} || true`]);
      if (stdout.trim()) await fs.symlink(stdout.trim(), path.join(bin, tool));
    }
    const r = await lunik(['conformance', '--platform', 'hw'], { timeoutMs: 200_000, env: { PATH: bin } });
    assert.is(r.exitCode, 2, r.all.slice(-2000));
    assert.match(r.stderr, /conformance: error: missing host tool: qemu-system-x86_64/);
    assert.match(r.stderr, /apt-get install qemu-system-x86/);
  }),
);

/* The platform's self-test image, built once for the tests below. */
let selftest: Promise<string> | undefined;
function selftestImage(): Promise<string> {
  selftest ??= (async () => {
    const out = await tempDir('hw-build');
    const r = await execa('make', ['-C', path.join(ROOT, 'platforms/hw'), `O=${out}`, '-j2', 'all'], { reject: false, all: true, timeout: 240_000 });
    assert.is(r.exitCode, 0, `make failed:\n${String(r.all).slice(-3000)}`);
    return path.join(out, 'selftest.elf');
  })();
  return selftest;
}

async function boot(append: string, extra: { input?: string; memMiB?: number; onOutput?: (t: string) => void } = {}): Promise<HwBootResult> {
  return bootHw({ where: 'test', image: await selftestImage(), append, memMiB: extra.memMiB ?? 128, accel: 'tcg', timeoutMs: 60_000, input: extra.input, onOutput: extra.onOutput });
}

test(
  'the hw platform is freestanding: libhw-platform.a needs nothing from outside but the image’s hw_main',
  withTimeout(240_000, async () => {
    const lib = path.join(path.dirname(await selftestImage()), 'libhw-platform.a');
    const undef = new Set((await execa('nm', ['-u', lib])).stdout.split('\n').map((l) => l.trim().split(/\s+/).pop()!).filter((s) => s && !s.endsWith(':')));
    const defined = new Set((await execa('nm', ['--defined-only', lib])).stdout.split('\n').map((l) => l.trim().split(/\s+/).pop()!));
    // (the __hw_* bounds come from its linker script, hw.ld)
    const outside = [...undef].filter((s) => !defined.has(s) && !/^__hw_(image|bss)_(start|end)$/.test(s)).sort();
    assert.equal(outside, ['hw_main']);
    // and its global symbols are the interface's, the libc host interface's, and its own
    const globals = (await execa('nm', ['-g', '--defined-only', lib])).stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 3).map((f) => f[2]);
    const foreign = globals.filter((g) => !/^(lhc_|hw_|lunik_vdev_|__lunik_host_)/.test(g) && !['memcpy', 'memmove', 'memset', 'memcmp'].includes(g));
    assert.equal(foreign, []);
  }),
);

test(
  'hw exit status: lhc_exit(s) and hw_main’s return reach the host through isa-debug-exit',
  withTimeout(240_000, async () => {
    for (const [word, code, status] of [
      ['exit:0', 3, 0],
      ['exit:1', 5, 1],
      ['exit:124', 251, 124],
      ['return:7', 17, 7],
    ] as const) {
      const r = await boot(`hwtest=${word}`);
      assert.is(r.qemuCode, code, `${word}: ${r.output}${r.qemuMessages}`);
      assert.equal(r.exit, { kind: 'status', status, exact: true }, word);
    }
    // too large for QEMU's code: 253, and the exact value on the console
    const big = await boot('hwtest=exit:200');
    assert.is(big.qemuCode, 253);
    assert.match(big.output, /^lunik: exit status 200$/m);
    assert.equal(big.exit, { kind: 'status', status: 200, exact: true });
    assert.equal(hwExit(253, ''), { kind: 'status', status: 125, exact: false });
    // what did not come from the guest is no status at all
    assert.is(hwExit(0).kind, 'none');
    assert.is(hwExit(1).kind, 'none');
  }),
);

test(
  'hw lhc_panic prints "lunik: panic: MSG" and ends with the panic code; so does a CPU exception',
  withTimeout(240_000, async () => {
    const p = await boot('hwtest=panic');
    assert.is(p.qemuCode, 255, p.output);
    assert.equal(p.exit, { kind: 'panic' });
    assert.match(p.output, /^lunik: panic: deliberate panic from the hw self-test$/m);
    assert.match(p.output, /^lunik: hw: in thread 1 \(main\)/m);
    // a page fault: vector, error code, RIP and the faulting address, then the same end
    const f = await boot('hwtest=fault');
    assert.is(f.qemuCode, 255, f.output);
    assert.match(f.output, /^lunik: hw: CPU exception 14 \(page fault\), error code 0x2, RIP 0x[0-9a-f]+, RSP 0x[0-9a-f]+, CR2 0x100000000000$/m);
  }),
);

test(
  'hw standard input: lines written to the serial port reach lhc_stdio_in_read whole and in order, even those sent before boot',
  withTimeout(120_000, async () => {
    const lines = ['first line', 'second, with\ttab', ...Array.from({ length: 40 }, (_, i) => `line ${i} ${'x'.repeat(90)}`)];
    const r = await boot('hwtest=echo', { input: `${lines.join('\n')}\nquit\n` });
    assert.equal(r.exit, { kind: 'status', status: 0, exact: true }, r.output);
    const echoed = r.output.split('\n').filter((l) => l.startsWith('echo: ')).map((l) => l.slice(6));
    assert.equal(echoed, lines);
  }),
);

test(
  'hw clocks: a 1 s timer takes 1 s of host time, and the wall clock is the host’s',
  withTimeout(120_000, async () => {
    const seen: Record<string, number> = {};
    let text = ''; // the console arrives in pieces of any size
    const r = await boot('hwtest=clock', {
      onOutput: (t) => {
        const now = Date.now();
        text += t;
        if (text.includes('hwtest: sleeping\n')) seen.asleep ??= now;
        if (text.includes('hwtest: slept')) seen.awake ??= now;
      },
    });
    assert.equal(r.exit, { kind: 'status', status: 0, exact: true }, r.output);
    const m = /^hwtest: slept (\d+) ms, wall clock (\d+) s$/m.exec(r.output);
    assert.ok(m, r.output);
    assert.ok(Number(m![1]) >= 1000 && Number(m![1]) < 1100, `the guest measured ${m![1]} ms`);
    // TSC calibration: the guest's second is the host's (QEMU's output arrives promptly)
    const host = seen.awake - seen.asleep;
    assert.ok(host >= 900 && host < 1600, `1000 guest ms took ${host} host ms`);
    const drift = Math.abs(Number(m![2]) - Date.now() / 1000);
    assert.ok(drift < 5, `the wall clock is ${drift.toFixed(1)} s off the host's`);
  }),
);

test(
  'hw memory: all RAM from the PVH memory map is usable, above 4 GiB too, and comes back whole',
  withTimeout(120_000, async () => {
    // q35 with 4.5 GiB: 2 GiB below the PCI hole, 2.5 GiB from 4 GiB up
    const r = await boot('hwtest=memory', { memMiB: 4608 });
    assert.equal(r.exit, { kind: 'status', status: 0, exact: true }, r.output);
    const m = /^hwtest: (\d+) MiB free, (\d+) MiB allocated, highest byte 0x([0-9a-f]+), (\d+) MiB free after$/m.exec(r.output);
    assert.ok(m, r.output);
    assert.ok(Number(m![1]) > 4500, `only ${m![1]} MiB free`);
    assert.is(m![2], m![1]);
    assert.is(BigInt(`0x${m![3]}`), 0x19fffffffn); // the last byte of RAM, 6.5 GiB - 1
  }),
);

test(
  'hw libc host interface: clone with a thread pointer, futex join on the cleared tid, unmapself, sleeps, mmap',
  withTimeout(120_000, async () => {
    const r = await boot('hwtest=libc');
    assert.equal(r.exit, { kind: 'status', status: 0, exact: true }, r.output);
    assert.match(r.output, /^hwtest: libc host interface ok$/m);
  }),
);

test(
  'hw tkill(SIGABRT), as musl’s abort() sends it, is a panic',
  withTimeout(120_000, async () => {
    const r = await boot('hwtest=abort');
    assert.equal(r.exit, { kind: 'panic' }, r.output);
    assert.match(r.output, /^lunik: panic: abort\(\)/m);
  }),
);

test.run();
