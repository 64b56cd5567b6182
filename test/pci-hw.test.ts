// PCI on the hw platform: the kernel library linked with the hw platform into a
// PVH image (test/kernel/hw-pci.c is its hw_main) and booted under QEMU with TCG,
// on the q35 and the pc machine. Linux's own virtio_pci, virtio_blk and
// virtio_net drive QEMU's virtio-blk-pci and virtio-net-pci through arch-lkl's
// host bridge (LHC_CAP_PCI: BARs assigned in the platform's window, MSI-X).
// The host side: a disk image checked afterwards and an HTTP server the guest
// reaches through QEMU's user network.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ROOT, lunik, tempDir, withTimeout } from './helpers.js';

const BUILD_TIMEOUT = 40 * 60_000; // a cache hit after kernel.test.ts; a full build otherwise
const SECTOR = 512;
const WRITTEN = 'written by the kernel on hw. ';
let image = '';

test(
  'the kernel library and the hw platform link into a PVH image (hw-pci.c as hw_main)',
  withTimeout(BUILD_TIMEOUT, async () => {
    const r = await lunik(['kernel'], { timeoutMs: BUILD_TIMEOUT - 60_000 });
    assert.is(r.exitCode, 0, r.all.slice(-4000));
    const prefix = r.stdout.trim().split('\n').pop()!;
    const out = await tempDir('pci-hw');
    const m = await execa('make', ['-C', path.join(ROOT, 'platforms/hw'), `O=${out}`, '-j2', 'all'], { reject: false, all: true, timeout: 240_000 });
    assert.is(m.exitCode, 0, `make failed:\n${String(m.all).slice(-3000)}`);
    const obj = path.join(out, 'hw-pci.o');
    const cc = await execa('gcc', ['-std=gnu11', '-O2', '-g', '-Wall', '-Wextra', '-Werror', '-ffreestanding', '-fno-pie', '-fno-stack-protector', '-fcf-protection=none', `-I${path.join(prefix, 'include')}`, `-I${path.join(ROOT, 'hypercall/include')}`, '-c', path.join(ROOT, 'test/kernel/hw-pci.c'), '-o', obj], { reject: false, all: true });
    assert.is(cc.exitCode, 0, String(cc.all));
    image = path.join(out, 'hw-pci.elf');
    // platforms/hw/README.md, "Linking another program"
    const ld = await execa('gcc', ['-nostdlib', '-static', '-no-pie', `-Wl,-T,${path.join(ROOT, 'platforms/hw/hw.ld')}`, '-Wl,--build-id=none', '-Wl,-z,noexecstack', '-Wl,--no-warn-rwx-segments', '-Wl,-z,max-page-size=4096', obj, path.join(prefix, 'lib/lkl.o'), path.join(out, 'libhw-platform.a'), '-lgcc', '-o', image], { reject: false, all: true });
    assert.is(ld.exitCode, 0, String(ld.all));
  }),
);

/** A server for /hello.txt on 127.0.0.1 (QEMU's user network maps 10.0.2.2 to it). */
async function helloServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/hello.txt' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.url === '/hello.txt' ? 'hello from the host\n' : 'no\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

for (const machine of ['q35', 'pc']) {
  test(
    `${machine}: virtio-blk-pci and virtio-net-pci driven by Linux's drivers with MSI-X (a sector read and written, DHCP, an HTTP GET)`,
    withTimeout(180_000, async () => {
      assert.ok(image, 'the image was built');
      const dir = await tempDir(`pci-hw-${machine}`);
      const disk = path.join(dir, 'disk.img');
      const bytes = Buffer.alloc(1 << 20);
      bytes.write('LUNIKDISK', 0);
      await fs.writeFile(disk, bytes);
      const server = await helloServer();
      try {
        const port = (server.address() as AddressInfo).port;
        // no -accel kvm: guests hang under it on these hosts (DESIGN.md)
        const r = await execa('qemu-system-x86_64', [
          '-accel', 'tcg', '-M', machine, '-m', '256', '-display', 'none', '-nodefaults', '-no-reboot', '-serial', 'stdio',
          '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
          '-drive', `file=${disk},if=none,id=d0,format=raw`, '-device', 'virtio-blk-pci,drive=d0',
          '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0',
          '-kernel', image, '-append', `ip=dhcp hwpci.port=${port}`,
        ], { reject: false, all: true, timeout: 150_000, killSignal: 'SIGKILL', stdin: 'ignore' });
        const all = String(r.all);
        assert.not.ok(r.timedOut, `QEMU hung:\n${all.slice(-3000)}`);
        assert.not.match(all, /^not ok/m, all.split('\n').filter((l) => /^not ok/.test(l)).join('\n'));
        assert.is(r.exitCode, 3, `exit status 0 through isa-debug-exit (QEMU exited ${r.exitCode}):\n${all.slice(-3000)}`);
        assert.match(all, /^9 passed, 0 failed\r?$/m);
        // Linux put the BARs in the platform's window and gave each queue an MSI-X line
        assert.match(all, /^pci_bus 0000:00: root bus resource \[mem 0xc0000000-0xfebfffff\]/m);
        assert.match(all, /lkl-msi.*virtio0-req\.0/);
        assert.match(all, /lkl-msi.*virtio1-input\.0/);
        const after = await fs.readFile(disk);
        const want = Buffer.from(WRITTEN.repeat(Math.ceil(SECTOR / WRITTEN.length)).slice(0, SECTOR));
        assert.ok(after.subarray(16 * SECTOR, 17 * SECTOR).equals(want), 'sector 16 holds what the guest wrote');
        assert.ok(after.subarray(0, 9).equals(Buffer.from('LUNIKDISK')) && after.subarray(17 * SECTOR).equals(bytes.subarray(17 * SECTOR)), 'nothing else changed');
      } finally {
        server.close();
      }
    }),
  );
}

test.run();
