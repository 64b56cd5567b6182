// --accel auto: decide once per host whether KVM really runs a Linux guest, by booting one.
//
// /dev/kvm can open and run a trivial guest while a real kernel hangs right
// after the firmware hands over (seen on the machines this project runs on).
// So the probe boots a real Linux kernel image from the distribution's own
// packages with no root file system and panic=-1: a working accelerator
// reaches the panic and QEMU exits within seconds; a broken one hangs.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { LunikError, badInput } from './errors.js';
import { writeFileAtomic } from './fsutil.js';
import { sha256, canonicalJson } from './hash.js';
import { cacheRoot } from './paths.js';
import { toolVersion } from './tools.js';

export type Accel = 'kvm' | 'tcg';
export type AccelChoice = Accel | 'auto';

export interface AccelProbe {
  hostKey: string;
  kvm: boolean;
  reason: string;
  probedAt: string;
  seconds: number;
}

const PROBE_TIMEOUT_MS = 25_000;
/** The distribution's smallest kernel flavour; any bootable x86_64 Linux image would do. */
const PROBE_KERNEL_META = 'linux-image-cloud-amd64';

export function parseAccel(v: string | undefined): AccelChoice {
  const a = v ?? 'auto';
  if (a === 'auto' || a === 'kvm' || a === 'tcg') return a;
  throw badInput('lunik', `unknown accelerator "${a}"`, 'use --accel auto, kvm or tcg');
}

function kvmOpens(): boolean {
  try {
    fs.closeSync(fs.openSync('/dev/kvm', 'r+'));
    return true;
  } catch {
    return false;
  }
}

async function hostKey(): Promise<string> {
  const cpu = (await fsp.readFile('/proc/cpuinfo', 'utf8').catch(() => '')).match(/model name\s*:\s*(.*)/)?.[1] ?? '';
  return sha256(canonicalJson({ host: os.hostname(), release: os.release(), cpu, qemu: (await toolVersion('qemu-system-x86_64')) ?? '' })).slice(0, 16);
}

/** A Linux kernel image to probe with, fetched once with apt (which verifies it). */
async function probeKernel(log: (s: string) => void): Promise<string> {
  const dir = path.join(cacheRoot(), 'host');
  await fsp.mkdir(dir, { recursive: true });
  const have = (await fsp.readdir(dir)).find((n) => n.startsWith('probe-vmlinuz-'));
  if (have) return path.join(dir, have);
  const dep = await execa('apt-cache', ['depends', '--important', PROBE_KERNEL_META], { reject: false });
  const pkg = /Depends:\s*(linux-image-\S+)/.exec(dep.stdout)?.[1];
  if (!pkg) throw new LunikError({ where: 'accel', message: `apt knows no ${PROBE_KERNEL_META} package to probe KVM with`, fix: "run 'apt-get update', or pass --accel tcg" });
  log(`fetching ${pkg} to probe KVM with (once per host)`);
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'lunik-probe-'));
  try {
    const dl = await execa('apt-get', ['download', pkg], { cwd: tmp, reject: false, all: true });
    const deb = (await fsp.readdir(tmp)).find((n) => n.endsWith('.deb'));
    if (!deb) throw new LunikError({ where: 'accel', message: `apt-get download ${pkg} failed: ${dl.all?.split('\n').pop()}`, fix: 'check apt access, or pass --accel tcg' });
    await execa('sh', ['-c', `dpkg-deb --fsys-tarfile "$1" | tar -x --wildcards './boot/vmlinuz-*'`, 'sh', deb], { cwd: tmp });
    const img = (await fsp.readdir(path.join(tmp, 'boot')))[0];
    const dest = path.join(dir, `probe-${img}`);
    await fsp.copyFile(path.join(tmp, 'boot', img), dest + '.tmp');
    await fsp.rename(dest + '.tmp', dest);
    return dest;
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

/** Boot the probe kernel under KVM; true when it reaches its (expected) panic in time. */
async function probeKvm(log: (s: string) => void): Promise<{ kvm: boolean; reason: string; seconds: number }> {
  const kernel = await probeKernel(log);
  log(`probing KVM: booting ${path.basename(kernel)} (at most ${PROBE_TIMEOUT_MS / 1000} s)`);
  const t0 = Date.now();
  const r = await execa(
    'qemu-system-x86_64',
    ['-accel', 'kvm', '-M', 'q35', '-m', '128', '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot', '-nodefaults', '-kernel', kernel, '-append', 'console=ttyS0 panic=-1 loglevel=4'],
    { reject: false, timeout: PROBE_TIMEOUT_MS, all: true, stdin: 'ignore', killSignal: 'SIGKILL' },
  );
  const seconds = (Date.now() - t0) / 1000;
  if (r.timedOut) return { kvm: false, reason: `a Linux guest hung under KVM (no panic within ${PROBE_TIMEOUT_MS / 1000} s)`, seconds };
  if (/Kernel panic/.test(r.all ?? '')) return { kvm: true, reason: `a Linux guest ran under KVM (${seconds.toFixed(1)} s to its panic)`, seconds };
  return { kvm: false, reason: `QEMU with KVM failed: ${(r.all ?? '').trim().split('\n').pop() ?? `exit ${r.exitCode}`}`, seconds };
}

/** The probe result for this host: from the cache, or by probing now. */
export async function kvmProbe(log: (s: string) => void, fresh = false): Promise<AccelProbe> {
  const file = path.join(cacheRoot(), 'host', 'accel.json');
  const key = await hostKey();
  if (!fresh) {
    try {
      const cached = JSON.parse(await fsp.readFile(file, 'utf8')) as AccelProbe;
      if (cached.hostKey === key) return cached;
    } catch {
      // no usable cached result: probe
    }
  }
  const p = await probeKvm(log);
  const result: AccelProbe = { hostKey: key, ...p, probedAt: new Date().toISOString() };
  await writeFileAtomic(file, JSON.stringify(result, null, 1));
  return result;
}

/** Resolve --accel: explicit choices are kept; auto is KVM only when the probe says it works. */
export async function resolveAccel(choice: AccelChoice, log: (s: string) => void): Promise<{ accel: Accel; reason: string }> {
  if (choice === 'tcg') return { accel: 'tcg', reason: 'asked for' };
  if (choice === 'kvm') {
    if (!kvmOpens()) throw badInput('lunik', '/dev/kvm is missing or cannot be opened', 'use --accel tcg (or auto), or give this user access to /dev/kvm');
    return { accel: 'kvm', reason: 'asked for' };
  }
  if (!kvmOpens()) return { accel: 'tcg', reason: '/dev/kvm is missing or cannot be opened' };
  const p = await kvmProbe(log);
  return p.kvm ? { accel: 'kvm', reason: p.reason } : { accel: 'tcg', reason: p.reason };
}
