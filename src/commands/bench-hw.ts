// lunik bench boot and lunik bench nginx --platform hw: the nginx app baked
// for hw (a PVH image, booted the way lunik run boots it) against a Linux VM
// (Debian's kernel booted uncompressed through PVH, busybox, Debian's nginx,
// the same nginx.conf and page: src/stages/vm-baseline.ts) on the same QEMU,
// machine (q35), accelerator (TCG), guest memory and virtio-net-pci, in one
// run. Figures, never pass/fail.
//
//   boot   QEMU start → first HTTP 200 over QEMU's user network (a new short
//          request every 50 ms, the earliest success counts: user networking
//          accepts a connection before the guest is up); image sizes; the
//          smallest guest memory that still serves.
//   nginx  wrk requests/s over TAP in a network namespace made for the run
//          (user networking would cap both guests at QEMU's main thread).
import { execa, type ResultPromise } from 'execa';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { isRoot } from '../core/apt.js';
import { Cache } from '../core/cache.js';
import { LunikError, badInput } from '../core/errors.js';
import { pidAlive } from '../core/fsutil.js';
import { hwQemuArgs } from '../core/hw-boot.js';
import { cacheRoot } from '../core/paths.js';
import { makeReporter } from '../core/progress.js';
import { runStages } from '../core/runner.js';
import { requireTools, toolVersion } from '../core/tools.js';
import { loadRecipe } from '../recipe/recipe.js';
import { freeLocalPort } from '../run/passt.js';
import { hwAppend, megabytes, qemuRunArgs } from '../run/qemu.js';
import type { App } from '../stages/app.js';
import { appTarget } from '../stages/pipeline.js';
import { vmBaselineStage, type VmBaselineInfo } from '../stages/vm-baseline.js';
import { hwMemory } from './apps.js';
import { wrk } from './bench-nginx.js';
import type { Globals } from './command.js';

/** KVM hangs Linux guests on the machines this runs on; both guests get TCG. */
const ACCEL = 'tcg' as const;
/** Both guests' memory unless --mem says otherwise: the VM needs about 100 MiB. */
export const DEFAULT_GUEST_MEM = '128M';
const GUEST_IP = '10.0.2.15';
const HOST_IP = '10.0.2.2';
const TAP = 'lunikt0';
const NETNS_PREFIX = 'lunikb';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Built {
  app: App;
  /** The unikernel: lunik build nginx's image. */
  image: string;
  imageBytes: number;
  vmlinux: string;
  initramfs: string;
  vm: VmBaselineInfo;
}

async function buildBoth(g: Globals): Promise<Built> {
  const app = loadRecipe('nginx', 'bench');
  const cache = new Cache(cacheRoot());
  await cache.open();
  const reporter = makeReporter(g.verbose);
  try {
    const run = await runStages([await appTarget(app, 'hw'), vmBaselineStage(app)], { cache, reporter, verbose: g.verbose, explain: g.explain });
    const [uk, vm] = run.targets;
    const image = path.join(uk.out, 'bin', app.recipe.name);
    return {
      app,
      image,
      imageBytes: (await fs.stat(image)).size,
      vmlinux: path.join(vm.out, 'vmlinux'),
      initramfs: path.join(vm.out, 'initramfs.cpio'),
      vm: JSON.parse(await fs.readFile(path.join(vm.out, 'info.json'), 'utf8')) as VmBaselineInfo,
    };
  } finally {
    reporter.close();
    await cache.close();
  }
}

// ---- guests ----

type Net = { kind: 'user'; port: number } | { kind: 'tap'; ifname: string };

interface Guest {
  label: string;
  /** QEMU's arguments for guest memory memMiB on net (kernelMiB: the unikernel's mem=, else hwMemory's). */
  args(memMiB: number, net: Net, kernelMiB?: number): string[];
}

function tapArgs(ifname: string): string[] {
  return ['-netdev', `tap,id=net0,ifname=${ifname},script=no,downscript=no`, '-device', 'virtio-net-pci,netdev=net0'];
}

/** The unikernel, as lunik run boots it: its settings, then "--" and the recipe's arguments. */
function unikernel(b: Built): Guest {
  const { recipe } = b.app;
  return {
    label: 'the unikernel',
    args(memMiB, net, kernelMiB) {
      const kernel = kernelMiB ?? hwMemory(recipe.memory, `${memMiB}M`, b.imageBytes, recipe.name).kernelMiB;
      const append = hwAppend({ kernelMiB: kernel, network: true, argv: recipe.cmdline.slice(1) });
      const user = net.kind === 'user';
      const args = qemuRunArgs({ image: b.image, memMiB, accel: ACCEL, forwards: user ? [{ host: net.port, guest: 80 }] : [], network: user, append });
      return net.kind === 'tap' ? [...args, ...tapArgs(net.ifname)] : args;
    },
  };
}

/** The Linux VM: the same machine, its vmlinux through PVH with the initramfs. */
function linuxVm(b: Built): Guest {
  return {
    label: 'the Linux VM',
    args(memMiB, net) {
      const args = [...hwQemuArgs({ image: b.vmlinux, append: b.vm.cmdline, memMiB, accel: ACCEL }), '-initrd', b.initramfs];
      if (net.kind === 'tap') return [...args, ...tapArgs(net.ifname)];
      return [...args, '-netdev', `user,id=net0,hostfwd=tcp:127.0.0.1:${net.port}-:80`, '-device', 'virtio-net-pci,netdev=net0'];
    },
  };
}

// ---- QEMU processes, network namespaces, and their cleanup ----

interface Running {
  label: string;
  ended(): boolean;
  /** The end of the serial console and QEMU's messages. */
  tail(): string[];
  stop(): Promise<void>;
}

/** What a signal must undo: QEMU pids (from -pidfile) and network namespaces. */
const live = { pidfiles: new Set<string>(), netns: new Set<string>() };

function killFromPidfile(pidfile: string): void {
  try {
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    // no pidfile yet, or the process is gone
  }
}

function deleteNetns(ns: string): void {
  for (const args of [['-n', ns, 'link', 'del', TAP], ['netns', 'del', ns]])
    try {
      execFileSync('ip', args, { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // already gone
    }
}

/** Run fn with SIGINT/SIGTERM undoing what it left (QEMU processes, namespaces), then exiting 130. */
async function withSignalCleanup<T>(fn: () => Promise<T>): Promise<T> {
  const onSignal = () => {
    for (const p of live.pidfiles) killFromPidfile(p);
    for (const ns of live.netns) deleteNetns(ns);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

let qemuCount = 0;

/** Start QEMU (inside network namespace netns when given); stop() kills it by the pid from its -pidfile. */
function startQemu(args: string[], label: string, dir: string, netns?: string): Running {
  const pidfile = path.join(dir, `qemu-${++qemuCount}.pid`);
  const full = [...args, '-pidfile', pidfile];
  const child: ResultPromise = netns
    ? execa('ip', ['netns', 'exec', netns, 'qemu-system-x86_64', ...full], { reject: false, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', buffer: false })
    : execa('qemu-system-x86_64', full, { reject: false, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', buffer: false });
  live.pidfiles.add(pidfile);
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-4096));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.catch(() => undefined);
  return {
    label,
    ended: () => child.exitCode !== null || child.signalCode !== null,
    tail: () => tail.split('\n').filter((l) => l.trim()).slice(-8),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) killFromPidfile(pidfile);
      child.kill('SIGKILL');
      await Promise.race([child.catch(() => undefined), sleep(10_000)]);
      live.pidfiles.delete(pidfile);
      await fs.rm(pidfile, { force: true });
    },
  };
}

/**
 * Milliseconds from t0 to the first HTTP 200 on 127.0.0.1:port: a short
 * request every 50 ms, each on its own (user networking may hold an early
 * one), the earliest success counts.
 */
function firstOk(port: number, t0: bigint, guest: Running, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false;
    const reqs = new Set<http.ClientRequest>();
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      for (const r of reqs) r.destroy();
      f();
    };
    const probe = () => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
        const at = process.hrtime.bigint();
        res.resume();
        if (res.statusCode === 200) finish(() => resolve(Number(at - t0) / 1e6));
      });
      reqs.add(req);
      req.on('error', () => undefined);
      req.on('timeout', () => req.destroy());
      req.on('close', () => reqs.delete(req));
    };
    const timer = setInterval(() => {
      if (guest.ended()) return finish(() => reject(new LunikError({ where: 'bench', message: `${guest.label} ended before it served HTTP`, context: guest.tail() })));
      if (Number(process.hrtime.bigint() - t0) / 1e6 > timeoutMs)
        return finish(() => reject(new LunikError({ where: 'bench', message: `${guest.label} did not serve HTTP within ${timeoutMs / 1000} s`, context: guest.tail() })));
      probe();
    }, 50);
    probe();
  });
}

/** Boot a guest on the user network and time QEMU start → first HTTP 200 (ms). */
async function bootTime(guest: Guest, memMiB: number, dir: string, timeoutMs: number, kernelMiB?: number): Promise<number> {
  const port = await freeLocalPort();
  const args = guest.args(memMiB, { kind: 'user', port }, kernelMiB);
  const t0 = process.hrtime.bigint();
  const q = startQemu(args, guest.label, dir);
  try {
    return await firstOk(port, t0, q, timeoutMs);
  } finally {
    await q.stop();
  }
}

/** Whether the guest serves one HTTP 200 with this memory. */
async function serves(guest: Guest, memMiB: number, dir: string, timeoutMs: number, kernelMiB?: number): Promise<boolean> {
  try {
    await bootTime(guest, memMiB, dir, timeoutMs, kernelMiB);
    return true;
  } catch (e) {
    if (e instanceof LunikError) return false;
    throw e;
  }
}

/** The smallest n in [lo, hi] with ok(n), assuming ok is monotonic; undefined when not even ok(hi). */
async function smallest(lo: number, hi: number, ok: (n: number) => Promise<boolean>): Promise<number | undefined> {
  if (!(await ok(hi))) return undefined;
  if (await ok(lo)) return lo;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Remove namespaces an earlier, killed run of ours left behind (named after a pid that is gone). */
async function removeStaleNetns(): Promise<void> {
  const r = await execa('ip', ['netns', 'list'], { reject: false, timeout: 10_000 });
  for (const line of String(r.stdout).split('\n')) {
    const m = new RegExp(`^(${NETNS_PREFIX}(\\d+))\\b`).exec(line);
    if (m && Number(m[2]) !== process.pid && !pidAlive(Number(m[2]))) deleteNetns(m[1]);
  }
}

/** A network namespace with a TAP device at HOST_IP/24 for the guests (root); removed afterwards, also on errors. */
async function withNetns<T>(fn: (ns: string) => Promise<T>): Promise<T> {
  await removeStaleNetns();
  const ns = `${NETNS_PREFIX}${process.pid}`;
  const ip = async (args: string[]) => {
    const r = await execa('ip', args, { reject: false, all: true, timeout: 30_000 });
    if (r.exitCode !== 0) throw new LunikError({ where: 'bench', message: `ip ${args.join(' ')} failed`, context: String(r.all).split('\n').slice(-4) });
  };
  live.netns.add(ns);
  try {
    await ip(['netns', 'add', ns]);
    for (const a of [['tuntap', 'add', 'dev', TAP, 'mode', 'tap'], ['addr', 'add', `${HOST_IP}/24`, 'dev', TAP], ['link', 'set', TAP, 'up'], ['link', 'set', 'lo', 'up']]) await ip(['-n', ns, ...a]);
    return await fn(ns);
  } finally {
    deleteNetns(ns);
    live.netns.delete(ns);
  }
}

/** Wait (inside ns) until http://GUEST_IP/ answers 200. */
async function waitServingIn(ns: string, guest: Running, timeoutMs: number): Promise<void> {
  const script =
    "const http=require('http');const [u,ms]=process.argv.slice(1);const t0=Date.now();" +
    "(function p(){if(Date.now()-t0>+ms)process.exit(1);http.get(u,{timeout:2000,agent:false},r=>{r.resume();if(r.statusCode===200)process.exit(0);setTimeout(p,100)})" +
    ".on('error',()=>setTimeout(p,100)).on('timeout',function(){this.destroy()})})()";
  const probe = execa('ip', ['netns', 'exec', ns, process.execPath, '-e', script, `http://${GUEST_IP}/`, String(timeoutMs)], { reject: false, timeout: timeoutMs + 10_000, killSignal: 'SIGKILL' });
  const watch = setInterval(() => guest.ended() && probe.kill('SIGKILL'), 100);
  try {
    const r = await probe;
    if (r.exitCode !== 0)
      throw new LunikError({ where: 'bench', message: `${guest.label} ${guest.ended() ? 'ended before it served' : `did not serve HTTP within ${timeoutMs / 1000} s`} on ${GUEST_IP} (TAP)`, context: guest.tail() });
  } finally {
    clearInterval(watch);
  }
}

/** requests/s of a guest over TAP in ns. */
async function tapRps(guest: Guest, memMiB: number, ns: string, dir: string, seconds: number): Promise<number> {
  const q = startQemu(guest.args(memMiB, { kind: 'tap', ifname: TAP }), guest.label, dir, ns);
  try {
    await waitServingIn(ns, q, 120_000);
    return await wrk(80, seconds, GUEST_IP, ns);
  } finally {
    await q.stop();
  }
}

// ---- sizes ----

interface Sizes {
  image_bytes: number;
  image_gzip_bytes: number;
  image_stripped_bytes: number | null;
  image_stripped_gzip_bytes: number | null;
  vm_vmlinux_bytes: number;
  vm_initramfs_bytes: number;
  vm_bytes: number;
  vm_gzip_bytes: number;
  vm_vmlinuz_bytes: number;
}

const gzipSize = (b: Buffer) => new Promise<number>((res, rej) => zlib.gzip(b, { level: 9 }, (e, r) => (e ? rej(e) : res(r.length))));

async function sizes(b: Built, dir: string): Promise<Sizes> {
  const image = await fs.readFile(b.image);
  const strippedPath = path.join(dir, 'image.stripped');
  const st = await execa('strip', ['-o', strippedPath, b.image], { reject: false, all: true });
  const stripped = st.exitCode === 0 ? await fs.readFile(strippedPath) : undefined;
  return {
    image_bytes: image.length,
    image_gzip_bytes: await gzipSize(image),
    image_stripped_bytes: stripped ? stripped.length : null,
    image_stripped_gzip_bytes: stripped ? await gzipSize(stripped) : null,
    vm_vmlinux_bytes: b.vm.bytes.vmlinux,
    vm_initramfs_bytes: b.vm.bytes.initramfs,
    vm_bytes: b.vm.bytes.vmlinux + b.vm.bytes.initramfs,
    vm_gzip_bytes: b.vm.bytes.gzip,
    vm_vmlinuz_bytes: b.vm.bytes.vmlinuz,
  };
}

const MB = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const kernelName = (vm: VmBaselineInfo) => {
  const pkg = Object.keys(vm.packages).find((p) => p.startsWith('linux-image-'))!;
  return `${pkg} ${vm.packages[pkg]}`;
};

function sizeRows(s: Sizes): string[] {
  return [
    '  image size (compressed: gzip -9)',
    `    unikernel image, as built            ${MB(s.image_bytes)}, compressed ${MB(s.image_gzip_bytes)}   target ≤ 3 MB`,
    s.image_stripped_bytes !== null ? `    same, stripped of symbols/debug info ${MB(s.image_stripped_bytes)}, compressed ${MB(s.image_stripped_gzip_bytes!)}` : '    same, stripped                       (strip failed)',
    `    Linux VM: vmlinux + initramfs        ${MB(s.vm_bytes)} (${MB(s.vm_vmlinux_bytes)} + ${MB(s.vm_initramfs_bytes)}), compressed ${MB(s.vm_gzip_bytes)}; Debian's vmlinuz ${MB(s.vm_vmlinuz_bytes)}`,
  ];
}

async function setting(memOpt: string | undefined, b: Built): Promise<{ memMiB: number; kernelMiB: number; qemu: string }> {
  const memMiB = megabytes(memOpt ?? DEFAULT_GUEST_MEM, 'bench');
  const floor = Math.ceil(b.imageBytes / 1048576) + 32;
  if (memMiB < floor) throw badInput('bench', `--mem ${memOpt} is less than lunik run gives nginx (at least ${floor} MiB: its image, room for the app, 16 MiB of kernel)`, `give at least --mem ${floor}M; the Linux VM needs about 100 MiB`);
  const { kernelMiB } = hwMemory(b.app.recipe.memory, `${memMiB}M`, b.imageBytes, b.app.recipe.name);
  return { memMiB, kernelMiB, qemu: (await toolVersion('qemu-system-x86_64')) ?? '?' };
}

function header(what: string, b: Built, memMiB: number, kernelMiB: number, qemu: string, runs: number): string[] {
  return [
    `${what}: nginx unikernel (lunik build nginx, hw) vs a Linux VM (Debian ${kernelName(b.vm)} via PVH, busybox, Debian nginx ${b.vm.packages.nginx})`,
    `  QEMU ${qemu}, ${ACCEL.toUpperCase()}, q35, -m ${memMiB} for both (unikernel mem=${kernelMiB}M), virtio-net-pci; median of ${runs}`,
  ];
}

// ---- the benchmarks ----

export async function benchBoot(runs: number, g: Globals, json: boolean, memOpt?: string): Promise<number> {
  await requireTools('bench', ['qemu-system-x86_64']);
  const b = await buildBoth(g);
  const { memMiB, kernelMiB, qemu } = await setting(memOpt, b);
  const uk = unikernel(b);
  const vm = linuxVm(b);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lunik-bench-boot-'));
  try {
    return await withSignalCleanup(async () => {
      const ukMs: number[] = [];
      const vmMs: number[] = [];
      for (let i = 0; i < runs; i++) {
        ukMs.push(await bootTime(uk, memMiB, dir, 60_000));
        vmMs.push(await bootTime(vm, memMiB, dir, 120_000));
        process.stderr.write(`bench: boot run ${i + 1}/${runs}: unikernel ${(ukMs[i] / 1000).toFixed(2)} s, Linux VM ${(vmMs[i] / 1000).toFixed(2)} s\n`);
      }
      const size = await sizes(b, dir);

      // smallest memory: first the least kernel memory (mem=) with room to
      // spare, then the least guest memory with that kernel memory
      const note = (what: string, ok: boolean) => (process.stderr.write(`bench: memory: ${what}: ${ok ? 'serves' : 'does not serve'}\n`), ok);
      const kernelMin = await smallest(1, 64, async (k) => note(`unikernel -m 256, mem=${k}M`, await serves(uk, 256, dir, 30_000, k)));
      const ukMin = kernelMin === undefined ? undefined : await smallest(8, 256, async (n) => note(`unikernel -m ${n}, mem=${kernelMin}M`, await serves(uk, n, dir, 30_000, kernelMin)));
      // lunik run --mem's floor: hwMemory's image + room + 16 MiB of kernel
      const floor = Math.ceil(b.imageBytes / 1048576) + 32;
      const floorServes = note(`unikernel -m ${floor} (lunik run --mem ${floor}M)`, await serves(uk, floor, dir, 30_000));
      const vmMin = await smallest(32, 256, async (n) => note(`Linux VM -m ${n}`, await serves(vm, n, dir, 120_000)));

      const m = { unikernel_ms: median(ukMs), vm_ms: median(vmMs), ratio: median(ukMs) / median(vmMs) };
      const mem = { unikernel_mib: ukMin ?? null, unikernel_kernel_mib: kernelMin ?? null, lunik_run_floor_mib: floor, lunik_run_floor_serves: floorServes, vm_mib: vmMin ?? null };
      if (json) {
        process.stdout.write(
          JSON.stringify({
            subject: 'boot',
            runs,
            accel: ACCEL,
            qemu,
            guest_mem_mib: memMiB,
            unikernel_kernel_mem_mib: kernelMiB,
            vm: { packages: b.vm.packages, kernel_release: b.vm.kernelRelease, cmdline: b.vm.cmdline, modules: b.vm.modules },
            median: m,
            samples: { unikernel_ms: ukMs, vm_ms: vmMs },
            size,
            compression: 'gzip -9',
            min_mem: mem,
            targets: { ratio_max: 0.3, image_max_bytes: 3e6, min_mem_max_mib: 16 },
          }) + '\n',
        );
        return 0;
      }
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      const range = (xs: number[]) => (xs.length > 1 ? ` (${(Math.min(...xs) / 1000).toFixed(2)}–${s(Math.max(...xs))})` : '');
      process.stdout.write(
        [
          ...header('boot', b, memMiB, kernelMiB, qemu, runs),
          '  QEMU start → first HTTP 200 (user network, hostfwd; a request every 50 ms)',
          `    unikernel (PVH image)                ${s(m.unikernel_ms)}${range(ukMs)}`,
          `    Linux VM (vmlinux + initramfs)       ${s(m.vm_ms)}${range(vmMs)}   ratio ${m.ratio.toFixed(2)}   target ≤ 0.3`,
          ...sizeRows(size),
          '  smallest guest memory that still serves (one HTTP 200)',
          `    unikernel                            ${ukMin !== undefined ? `${ukMin} MiB (kernel mem=${kernelMin}M)` : 'none found up to 256 MiB'}   target ≤ 16 MiB`,
          `    unikernel at lunik run's least --mem ${floor} MiB (mem=16M): ${floorServes ? 'serves' : 'does not serve'}`,
          `    Linux VM                             ${vmMin !== undefined ? `${vmMin} MiB` : 'none found up to 256 MiB'}`,
        ].join('\n') + '\n',
      );
      return 0;
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function benchNginxHw(runs: number, g: Globals, json: boolean, memOpt?: string, seconds = 10): Promise<number> {
  await requireTools('bench', ['qemu-system-x86_64', 'wrk']);
  if (!isRoot())
    throw new LunikError({ where: 'bench', message: 'nginx on hw is measured over TAP in a network namespace, which needs root', fix: 'run lunik bench nginx --platform hw as root', code: 2 });
  const b = await buildBoth(g);
  const { memMiB, kernelMiB, qemu } = await setting(memOpt, b);
  const uk = unikernel(b);
  const vm = linuxVm(b);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lunik-bench-hw-'));
  try {
    return await withSignalCleanup(async () => {
      const ukRps: number[] = [];
      const vmRps: number[] = [];
      await withNetns(async (ns) => {
        for (let i = 0; i < runs; i++) {
          process.stderr.write(`bench: nginx hw run ${i + 1}/${runs}: unikernel over TAP\n`);
          ukRps.push(await tapRps(uk, memMiB, ns, dir, seconds));
          process.stderr.write(`bench: nginx hw run ${i + 1}/${runs}: Linux VM over TAP\n`);
          vmRps.push(await tapRps(vm, memMiB, ns, dir, seconds));
          process.stderr.write(`bench: nginx hw run ${i + 1}/${runs}: unikernel ${ukRps[i].toFixed(0)}, Linux VM ${vmRps[i].toFixed(0)} requests/s\n`);
        }
      });
      const size = await sizes(b, dir);
      const m = { unikernel_rps: median(ukRps), vm_rps: median(vmRps), ratio: median(ukRps) / median(vmRps) };
      if (json) {
        process.stdout.write(
          JSON.stringify({
            subject: 'nginx',
            platform: 'hw',
            runs,
            seconds,
            accel: ACCEL,
            qemu,
            guest_mem_mib: memMiB,
            unikernel_kernel_mem_mib: kernelMiB,
            vm: { packages: b.vm.packages, kernel_release: b.vm.kernelRelease, cmdline: b.vm.cmdline },
            median: m,
            samples: { unikernel_rps: ukRps, vm_rps: vmRps },
            size,
            compression: 'gzip -9',
            targets: { ratio_min: 2, image_max_bytes: 3e6 },
          }) + '\n',
        );
        return 0;
      }
      process.stdout.write(
        [
          ...header('nginx', b, memMiB, kernelMiB, qemu, runs),
          `  wrk -t1 -c10 -d${seconds}s, 612-byte page, over TAP (${HOST_IP} in a network namespace → ${GUEST_IP})`,
          `    Linux VM                             ${m.vm_rps.toFixed(0)} requests/s`,
          `    unikernel                            ${m.unikernel_rps.toFixed(0)} requests/s   ratio ${m.ratio.toFixed(2)}   target ≥ 2`,
          ...sizeRows(size),
        ].join('\n') + '\n',
      );
      return 0;
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
