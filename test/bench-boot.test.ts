// lunik bench boot (issue: Bare-metal x86_64 platform, Measure): one run
// prints sane JSON for both guests. A smoke test of the benchmark only: its
// figures are never asserted against their targets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lunik, withTimeout } from './helpers.js';

const BUILD_TIMEOUT = 40 * 60_000;

test(
  'lunik bench boot --runs 1 --json: boot times, sizes and smallest memory of the unikernel and the Linux VM',
  withTimeout(BUILD_TIMEOUT + 6 * 60_000, async () => {
    // the image first, so that the benchmark's own time is what the next limit bounds
    const built = await lunik(['build', 'nginx'], { timeoutMs: BUILD_TIMEOUT });
    assert.is(built.exitCode, 0, built.all.slice(-3000));
    const r = await lunik(['bench', 'boot', '--runs', '1', '--json'], { timeoutMs: 5 * 60_000 });
    assert.is(r.exitCode, 0, r.all.slice(-3000));
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.is(j.subject, 'boot');
    assert.is(j.runs, 1);
    assert.is(j.accel, 'tcg');
    for (const k of ['unikernel_ms', 'vm_ms']) {
      assert.is(j.samples[k].length, 1);
      assert.ok(j.median[k] > 0 && j.median[k] < 120_000, `${k}: ${j.median[k]}`);
    }
    assert.ok(Math.abs(j.median.ratio - j.median.unikernel_ms / j.median.vm_ms) < 1e-9);
    assert.ok(Object.keys(j.vm.packages).some((p) => /^linux-image-\d/.test(p)), JSON.stringify(j.vm.packages));
    assert.ok(j.vm.packages.nginx && j.vm.packages['busybox-static']);
    assert.ok(j.vm.modules.includes('virtio_net'));
    const s = j.size;
    assert.ok(s.image_bytes > 0 && s.image_gzip_bytes > 0 && s.image_gzip_bytes < s.image_bytes, JSON.stringify(s));
    assert.is(s.vm_bytes, s.vm_vmlinux_bytes + s.vm_initramfs_bytes);
    assert.ok(s.vm_gzip_bytes > 0 && s.vm_gzip_bytes < s.vm_bytes);
    const m = j.min_mem;
    for (const k of ['unikernel_mib', 'vm_mib']) assert.ok(m[k] === null || (Number.isInteger(m[k]) && m[k] >= 8 && m[k] <= 256), `${k}: ${m[k]}`);
    assert.type(m.lunik_run_floor_serves, 'boolean');
  }),
);

test.run();
