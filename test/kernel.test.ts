// The kernel library (issue: Kernel library): built by `lunik kernel`, linked into
// ordinary C programs that boot Linux 6.12 in-process and use its syscalls.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ROOT, compileKernelProgram, lunik, tempDir, withTimeout } from './helpers.js';

const BUILD_TIMEOUT = 40 * 60_000; // a fresh machine unpacks and builds the whole kernel
let prefix = '';
let bins = '';

function compileProgram(name: string): Promise<string> {
  return compileKernelProgram(prefix, name, bins);
}

/** Each test program is compiled once, by whichever test needs it first. */
const built = new Map<string, Promise<string>>();
function buildProgram(name: string): Promise<string> {
  let p = built.get(name);
  if (!p) built.set(name, (p = compileProgram(name)));
  return p;
}

/** Run a test program; it must exit 0 and report its checks as "N passed, 0 failed". */
async function runProgram(bin: string, wrapper: string[] = [], timeoutMs = 120_000, argv: string[] = []) {
  const [file, ...args] = [...wrapper, bin, ...argv];
  const r = await execa(file, args, { reject: false, all: true, timeout: timeoutMs, killSignal: 'SIGKILL' });
  const all = String(r.all);
  assert.ok(!r.timedOut, `${path.basename(bin)} hung (killed after ${timeoutMs / 1000} s):\n${all.slice(-3000)}`);
  assert.not.match(all, /^not ok/m, all.split('\n').filter((l) => /^not ok|Bail/.test(l)).join('\n'));
  assert.is(r.exitCode, 0, all.slice(-3000));
  const m = /^(\d+) passed, 0 failed$/m.exec(all);
  assert.ok(m && Number(m[1]) > 0, `no totals line:\n${all.slice(-2000)}`);
  return all;
}

test(
  'lunik kernel builds the library and prints its install prefix',
  withTimeout(BUILD_TIMEOUT, async () => {
    const r = await lunik(['kernel'], { timeoutMs: BUILD_TIMEOUT - 60_000 });
    assert.is(r.exitCode, 0, r.all.slice(-4000));
    prefix = r.stdout.trim().split('\n').pop()!;
    assert.match(r.stderr, /Linux source: Debian linux-source-6\.12 6\.12\.\d+/);
    for (const f of ['include/lkl.h', 'include/lkl_host.h', 'include/lkl/asm/syscalls.h', 'include/lkl/linux/in.h', 'lib/liblkl.a'])
      await fs.access(path.join(prefix, f));
    bins = await tempDir('kernel-bins');
  }),
);

test(
  'a second lunik kernel is a cache hit in under 2 s',
  withTimeout(60_000, async () => {
    const t0 = Date.now();
    const r = await lunik(['kernel']);
    const ms = Date.now() - t0;
    assert.is(r.exitCode, 0, r.all);
    assert.match(r.stderr, /kernel: cached/);
    assert.is(r.stdout.trim().split('\n').pop(), prefix);
    assert.ok(ms < 2000, `took ${ms} ms`);
  }),
);

/** A copy of the repository's C trees, to change one file without touching the checkout. */
async function repoCopy(tag: string): Promise<string> {
  const dir = await tempDir(tag);
  for (const d of ['package.json', 'src', 'arch-lkl', 'hypercall', 'kernel', 'platforms', 'liblkl'])
    await fs.cp(path.join(ROOT, d), path.join(dir, d), { recursive: true }).catch((e) => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    });
  return dir;
}

test(
  'changing one arch-lkl file rebuilds incrementally, not from scratch',
  withTimeout(20 * 60_000, async () => {
    const copy = await repoCopy('incr');
    await fs.appendFile(path.join(copy, 'arch-lkl/kernel/misc.c'), '\n/* a change for the incremental-build test */\n');
    const r = await lunik(['kernel', '--verbose'], { env: { LUNIK_REPO: copy }, timeoutMs: 19 * 60_000 });
    assert.is(r.exitCode, 0, r.all.slice(-3000));
    assert.match(r.stderr, /arch-lkl overlay: 1 file changed/);
    const compiled = r.stderr.split('\n').filter((l) => /^kernel \|\s+CC\s/.test(l));
    assert.ok(compiled.length >= 1 && compiled.length <= 10, `compiled ${compiled.length} files:\n${compiled.slice(0, 20).join('\n')}`);
    assert.ok(compiled.some((l) => /misc\.o/.test(l)), 'misc.c was recompiled');
  }),
);

test(
  'a kernel build failure shows the first compiler error and the log path',
  withTimeout(20 * 60_000, async () => {
    const copy = await repoCopy('broken');
    await fs.appendFile(path.join(copy, 'arch-lkl/kernel/misc.c'), '\nint lunik_test_broken = undeclared_thing;\n');
    const r = await lunik(['kernel'], { env: { LUNIK_REPO: copy }, timeoutMs: 19 * 60_000 });
    assert.is(r.exitCode, 1, r.all.slice(-3000));
    assert.match(r.stderr, /^kernel: error: make failed with exit code \d+/m);
    assert.match(r.stderr, /misc\.c:\d+:\d+: error: .undeclared_thing. undeclared/);
    const log = /^  log: (\S+)$/m.exec(r.stderr)?.[1];
    assert.ok(log, 'the log path is printed');
    assert.match(await fs.readFile(log!, 'utf8'), /undeclared_thing/);
  }),
);

test(
  'no kernel-internal symbol is global in liblkl.a',
  withTimeout(60_000, async () => {
    const { stdout } = await execa('nm', ['-g', '--defined-only', path.join(prefix, 'lib/liblkl.a')]);
    const globals = new Set(stdout.split('\n').map((l) => l.trim().split(/\s+/)[2]).filter(Boolean));
    for (const s of ['printk', '_printk', 'kmalloc', '__kmalloc', 'schedule', 'memcpy', 'memset', 'strcpy', 'start_kernel', 'init_task'])
      assert.not.ok(globals.has(s), `${s} is global`);
    assert.ok(globals.has('lkl_start_kernel') && globals.has('lkl_syscall'), 'the API is exported');
    // lunik_: platforms/common (shared device code, no platform prefix of its own)
    // __lunik_host_: the libc host interface (platforms/posix/libc_host.c), for apps built with lunik-cc
    const kernelish = [...globals].filter((s) => !/^(lkl_|lhc_|posix_|lunik_|__lkl|__lunik_host_)/.test(s));
    assert.equal(kernelish, [], `unexpected globals: ${kernelish.slice(0, 20).join(' ')}`);
  }),
);

test(
  'the public headers compile beside glibc\'s with -Wall -Wextra -Werror',
  withTimeout(60_000, async () => {
    const r = await execa('gcc', ['-fsyntax-only', '-Wall', '-Wextra', '-Werror', `-I${path.join(prefix, 'include')}`, path.join(ROOT, 'test/fixtures/lkl-api-compile.c')], { reject: false, all: true });
    assert.is(r.exitCode, 0, String(r.all));
  }),
);

test(
  'boot, files, getdents64, nanosleep, pipe2, epoll, /proc/version, halt',
  withTimeout(180_000, async () => {
    const out = await runProgram(await buildProgram('boot'));
    assert.match(out, /ok \d+ - getpid is 1/);
  }),
);

test(
  'a second boot in a fresh process works too',
  withTimeout(180_000, async () => {
    await runProgram(await buildProgram('boot'));
  }),
);

test(
  'TCP over 127.0.0.1 and ::1 (1 MiB echoed) and UDP inside the kernel',
  withTimeout(300_000, async () => {
    await runProgram(await buildProgram('net'), [], 240_000);
  }),
);

test(
  '64 host threads issue syscalls at once',
  withTimeout(300_000, async () => {
    await runProgram(await buildProgram('threads'), [], 240_000);
  }),
);

test(
  'a bad command line (mem=1K, mem=junk, mem=100000G, too long) is an error return, not a crash',
  withTimeout(120_000, async () => {
    await runProgram(await buildProgram('badcmd'));
  }),
);

test(
  'network configuration: addresses, an IPv4 default route, a qdisc, sysctls (rtnetlink)',
  withTimeout(120_000, async () => {
    await runProgram(await buildProgram('netconf'));
  }),
);

test(
  'network devices: two kernel instances over a socketpair link (stream framing): 10 MiB TCP echo, ping both ways, IPv6 TCP, gateway and neighbour, throughput',
  withTimeout(240_000, async () => {
    const out = await runProgram(await buildProgram('netlink'), [], 200_000, ['pair', '256']);
    // both children report, and the parent checks both exit statuses
    for (const w of ['A', 'B']) assert.match(out, new RegExp(`^${w}: \\d+ passed, 0 failed$`, 'm'));
    assert.match(out, /^ok \d+ - B: 10 MiB sent over IPv4 TCP came back intact$/m);
    assert.match(out, /^ok \d+ - A: ping 10\.77\.0\.2/m);
    assert.match(out, /^ok \d+ - B: RTM_GETNEIGH dump has fd00::1/m);
    const m = /^# throughput \(kernel<->kernel, stream link\): .* = ([\d.]+) MiB\/s = ([\d.]+) Gbit\/s$/m.exec(out);
    assert.ok(m, 'a throughput line');
    console.log(`  kernel<->kernel TCP over the stream link: ${m![1]} MiB/s (${m![2]} Gbit/s)`);
  }),
);

test(
  'network devices: the same link with datagram framing (one frame per datagram)',
  withTimeout(200_000, async () => {
    const out = await runProgram(await buildProgram('netlink'), [], 180_000, ['dgram']);
    assert.match(out, /^ok \d+ - B: 10 MiB sent over IPv4 TCP came back intact$/m);
  }),
);

test(
  "network devices: two kernel instances through a real QEMU '-netdev stream' hub (framing compatibility)",
  withTimeout(150_000, async () => {
    const qemu = await execa('qemu-system-x86_64', ['--version'], { reject: false });
    if (qemu.exitCode !== 0) {
      console.log('  skipped: qemu-system-x86_64 is not installed');
      return;
    }
    const dir = await tempDir('qemu-hub');
    const [a, b] = [path.join(dir, 'a.sock'), path.join(dir, 'b.sock')];
    // QEMU as a two-port hub: frames from one stream socket go out on the other
    const hub = execa('qemu-system-x86_64', ['-M', 'none', '-nodefaults', '-display', 'none',
      '-netdev', `stream,id=s1,server=on,addr.type=unix,addr.path=${a}`,
      '-netdev', `stream,id=s2,server=on,addr.type=unix,addr.path=${b}`,
      '-netdev', 'hubport,id=p1,hubid=0,netdev=s1', '-netdev', 'hubport,id=p2,hubid=0,netdev=s2'], { reject: false, all: true });
    try {
      for (let i = 0; i < 100 && !(await fs.access(b).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
      const bin = await buildProgram('netlink');
      const endA = execa(bin, ['end', 'A', `unix:${a}`], { reject: false, all: true, timeout: 120_000, killSignal: 'SIGKILL' });
      const endB = execa(bin, ['end', 'B', `unix:${b}`], { reject: false, all: true, timeout: 120_000, killSignal: 'SIGKILL' });
      const [ra, rb] = await Promise.all([endA, endB]);
      for (const [w, r] of [['A', ra], ['B', rb]] as const) {
        const all = String(r.all);
        assert.not.match(all, /^not ok/m, all.split('\n').filter((l) => /^not ok|Bail/.test(l)).join('\n'));
        assert.is(r.exitCode, 0, all.slice(-2000));
        assert.match(all, new RegExp(`^${w}: \\d+ passed, 0 failed$`, 'm'));
      }
      assert.match(String(rb.all), /^ok \d+ - B: 10 MiB sent over IPv4 TCP came back intact$/m);
    } finally {
      hub.kill('SIGTERM');
      await hub;
    }
  }),
);

test(
  'network devices: bad input (missing TAP name or host interface, closed fd, not a socket) gives clear errors',
  withTimeout(60_000, async () => {
    const out = await runProgram(await buildProgram('netlink'), [], 50_000, ['bad']);
    assert.match(out, /raw on a missing host interface: lkl_netdev_add = -2 \(No such file or directory\)/);
    assert.match(out, /a closed fd: lkl_netdev_add = -22 \(Invalid argument\)/);
  }),
);

/** Run fn with a fresh network namespace (root and `ip` needed); removed afterwards, also on failure. */
async function inNetns(tag: string, fn: (ns: string) => Promise<void>): Promise<void> {
  const ns = `lunik-${tag}-${process.pid}`;
  await execa('ip', ['netns', 'add', ns]);
  try {
    await fn(ns);
  } finally {
    await execa('ip', ['netns', 'del', ns], { reject: false });
  }
}

async function netnsSkipReason(needTun: boolean): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not root';
  if (needTun && !(await fs.access('/dev/net/tun').then(() => true, () => false))) return '/dev/net/tun is missing';
  if ((await execa('ip', ['netns', 'list'], { reject: false })).exitCode !== 0) return '`ip netns` does not work here';
  return null;
}

test(
  'network devices: TAP inside a network namespace: host <-> kernel TCP echo both ways, ping (root)',
  withTimeout(120_000, async () => {
    const why = await netnsSkipReason(true);
    if (why) {
      console.log(`  skipped: ${why}`);
      return;
    }
    await inNetns('tap', async (ns) => {
      const r = await runProgram(await buildProgram('nethost'), ['ip', 'netns', 'exec', ns], 100_000, ['tap', 'ltap0']);
      assert.match(r, /^ok \d+ - host -> kernel TCP echo of 1 MiB intact$/m);
      assert.match(r, /^ok \d+ - kernel -> host TCP echo of 4 MiB intact$/m);
      assert.match(r, /^ok \d+ - TAP with IFF_VNET_HDR: CSUM, GUEST_CSUM, GUEST_TSO4, HOST_TSO4 negotiated$/m);
      const m = /^# throughput \(kernel -> host over TAP\): .* = ([\d.]+) MiB\/s = ([\d.]+) Gbit\/s$/m.exec(r);
      assert.ok(m, 'a throughput line');
      console.log(`  kernel -> host TCP over TAP: ${m![1]} MiB/s (${m![2]} Gbit/s)`);
    });
  }),
);

test(
  'network devices: AF_PACKET on a veth inside a network namespace: ping both ways (root)',
  withTimeout(120_000, async () => {
    const why = await netnsSkipReason(false);
    if (why) {
      console.log(`  skipped: ${why}`);
      return;
    }
    await inNetns('raw', async (ns) => {
      const r = await runProgram(await buildProgram('nethost'), ['ip', 'netns', 'exec', ns], 100_000, ['raw']);
      assert.match(r, /^ok \d+ - the host pings the kernel 10\.98\.0\.2/m);
    });
  }),
);

test(
  'an LKL program uses lkl_host_ops (threads, sem, mutex, TLS, timers) beside the kernel',
  withTimeout(180_000, async () => {
    await runProgram(await buildProgram('hostops'));
  }),
);

/** The bytes disk.c writes into /file: byte i = i * 31 + (i >> 12). */
function diskPattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 12)) & 0xff;
  return b;
}

async function host(cmd: string, args: string[]): Promise<{ exitCode: number; out: string }> {
  const r = await execa(cmd, args, { reject: false, all: true });
  return { exitCode: r.exitCode ?? -1, out: String(r.all) };
}

async function hostBytes(cmd: string, args: string[]): Promise<Buffer> {
  const r = await execa(cmd, args, { encoding: 'buffer', reject: false, stripFinalNewline: false });
  assert.is(r.exitCode, 0, `${cmd} ${args.join(' ')} failed: ${Buffer.from(r.stderr).toString()}`);
  return Buffer.from(r.stdout);
}

/** Fresh images for disk.c in a temp dir: 64 MiB and 16 MiB ext4, 32 MiB vfat, 16 MiB ext4 for read-only use. */
async function diskImages(tag: string): Promise<(n: string) => string> {
  const dir = await tempDir(tag);
  const img = (n: string) => path.join(dir, n);
  for (const [name, mib] of [['a.ext4', 64], ['b.ext4', 16], ['ro.ext4', 16]] as const) {
    await fs.writeFile(img(name), '');
    await fs.truncate(img(name), mib << 20);
    const r = await host('mkfs.ext4', ['-q', '-F', img(name)]);
    assert.is(r.exitCode, 0, r.out);
  }
  await fs.writeFile(img('v.vfat'), '');
  await fs.truncate(img('v.vfat'), 32 << 20);
  const mk = await host('mkfs.vfat', [img('v.vfat')]);
  assert.is(mk.exitCode, 0, mk.out);
  return img;
}

const DISK_ARGS = ['a.ext4', 'b.ext4', 'v.vfat', 'ro.ext4'];

test(
  'disks: ext4 added before boot and hot-added, vfat, I/O errors, read-only (virtio_blk over virtio-mmio)',
  withTimeout(300_000, async () => {
    const img = await diskImages('disk');
    const roBefore = await fs.readFile(img('ro.ext4'));

    await runProgram(await buildProgram('disk'), [], 240_000, DISK_ARGS.map(img));

    // everything below reads the images with the host's own tools
    for (const name of ['a.ext4', 'b.ext4', 'ro.ext4']) {
      const r = await host('e2fsck', ['-fn', img(name)]);
      assert.is(r.exitCode, 0, `e2fsck -fn ${name}:\n${r.out}`);
    }
    const file = await hostBytes('debugfs', ['-R', 'cat /file', img('a.ext4')]);
    assert.is(file.length, 2 << 20, 'debugfs cat /file: length');
    assert.ok(file.equals(diskPattern(2 << 20)), 'debugfs cat /file: the bytes disk.c wrote');
    const st = await host('debugfs', ['-R', 'stat /dir', img('a.ext4')]);
    assert.match(st.out, /Type: directory/);
    assert.match(st.out, /Mode:\s+0750/);
    const ln = await host('debugfs', ['-R', 'stat /link', img('a.ext4')]);
    assert.match(ln.out, /Type: symlink/);
    assert.match(ln.out, /Fast link dest: "dir\/inner"/);
    const hot = await hostBytes('debugfs', ['-R', 'cat /hot', img('b.ext4')]);
    assert.is(hot.toString(), 'hot-added disk\n');

    const fsck = await host('fsck.vfat', ['-n', img('v.vfat')]);
    assert.is(fsck.exitCode, 0, fsck.out);
    const vfile = await hostBytes('mcopy', ['-n', '-i', img('v.vfat'), '::FILE.BIN', '-']);
    assert.ok(vfile.equals(diskPattern(2 << 20)), 'mcopy ::FILE.BIN: the bytes disk.c wrote');
    const mdir = await host('mdir', ['-i', img('v.vfat'), '::']);
    assert.match(mdir.out, /SUBDIR\s+<DIR>/);

    assert.ok((await fs.readFile(img('ro.ext4'))).equals(roBefore), 'the read-only image is unchanged');
  }),
);

test(
  'a kernel with PCI boots on posix, which has no LHC_CAP_PCI: no bus, no device, virtio-pci idle',
  withTimeout(180_000, async () => {
    const out = await runProgram(await buildProgram('pci'));
    // pci is a default fragment: the PCI core is there, and inert
    assert.match(out, /^ok \d+ - PCI is built in/m);
    assert.match(out, /^ok \d+ - \/sys\/bus\/pci\/devices is empty \(0 entries\)/m);
  }),
);

/** The lhc_* calls pciemu.c takes over to play a platform with LHC_CAP_PCI. */
const PCIEMU_WRAPS = ['lhc_init', 'lhc_iomem_access', 'lhc_pci_cfg_read', 'lhc_pci_cfg_write', 'lhc_pci_window', 'lhc_pci_msi_alloc', 'lhc_pci_msi_free'];

test(
  'PCI host bridge: BARs assigned in the window, MSI-X lines, virtio_pci + virtio_blk on an emulated virtio-blk-pci',
  withTimeout(240_000, async () => {
    const bin = await compileKernelProgram(prefix, 'pciemu', bins, [`-I${path.join(ROOT, 'hypercall/include')}`, `-Wl,${PCIEMU_WRAPS.map((s) => `--wrap=${s}`).join(',')}`]);
    const out = await runProgram(bin, [], 180_000);
    assert.match(out, /^ok \d+ - bound to virtio-pci/m);
    assert.match(out, /^ok \d+ - read 4 KiB from the disk over virtio-pci/m);
    assert.match(out, /^ok \d+ - the device sent \d+ MSI-X messages/m);
  }),
);

test(
  'the boot test runs clean under valgrind memcheck',
  withTimeout(600_000, async () => {
    const out = await runProgram(await buildProgram('boot'), ['valgrind', '--error-exitcode=99', '--errors-for-leak-kinds=none', '--track-origins=no'], 540_000);
    assert.match(out, /ERROR SUMMARY: 0 errors/);
  }),
);

test(
  'the disk test runs clean under valgrind memcheck (virtqueues shared with the platform)',
  withTimeout(600_000, async () => {
    const img = await diskImages('disk-vg');
    const out = await runProgram(await buildProgram('disk'), ['valgrind', '--error-exitcode=99', '--errors-for-leak-kinds=none', '--track-origins=no'], 540_000, DISK_ARGS.map(img));
    assert.match(out, /ERROR SUMMARY: 0 errors/);
    const r = await host('e2fsck', ['-fn', img('a.ext4')]);
    assert.is(r.exitCode, 0, r.out);
  }),
);

test.run();
