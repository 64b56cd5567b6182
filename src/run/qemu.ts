// lunik run for hw: boot an app's image under QEMU with the serial console on
// the terminal, virtio-net-pci on QEMU's user network with -p forwards, an
// optional virtio-blk-pci disk, and the guest's exit status as lunik's
// (src/core/hw-boot.ts has the image's QEMU arguments and the exit mapping).
import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import http from 'node:http';
import type { Accel } from '../core/accel.js';
import { LunikError, badInput } from '../core/errors.js';
import { describeHwExit, hwExit, hwQemuArgs } from '../core/hw-boot.js';
import { requireTools } from '../core/tools.js';
import { checkHostPorts, type PortForward } from './passt.js';

export interface QemuRunOptions {
  image: string;
  memMiB: number;
  accel: Accel;
  forwards: PortForward[];
  /** Whether the guest has a network device. */
  network: boolean;
  disk?: string;
  /** Start QEMU's gdb stub on this port and wait for gdb before the guest runs. */
  gdbPort?: number;
  /** The guest's command line: the runtime's settings, then "--" and the app's arguments. */
  append: string;
  /** Called with the first forwarded URL once it answers HTTP. */
  onServing?: (url: string) => void;
}

/**
 * The command line an app's hw image boots with (platforms/hw/app.c): the
 * runtime's settings, "--", then the app's arguments. The machine's console
 * always shows the kernel's boot log.
 */
export function hwAppend(o: { kernelMiB: number; network: boolean; disk?: { mount: string; fstype?: string }; argv: string[] }): string {
  const settings = [`mem=${o.kernelMiB}M`];
  if (o.network) settings.push('net=if:eth0');
  if (o.disk) settings.push(`disk=/dev/vda:${o.disk.mount}:${o.disk.fstype ?? 'ext4'}`);
  settings.push('verbose=1');
  return [...settings, '--', ...o.argv].join(' ');
}

/** Megabytes in a size such as 64M. */
export function megabytes(size: string, where = 'run'): number {
  const m = /^(\d+)([KMG])$/.exec(size);
  if (!m) throw badInput(where, `bad memory size "${size}"`, 'write it as a number with K, M or G, e.g. --mem 64M');
  return Math.ceil(Number(m[1]) * ({ K: 1 / 1024, M: 1, G: 1024 } as Record<string, number>)[m[2]]);
}

export function qemuRunArgs(o: QemuRunOptions): string[] {
  const args = hwQemuArgs({ image: o.image, append: o.append, memMiB: o.memMiB, accel: o.accel });
  if (o.network) {
    const fwd = o.forwards.map((f) => `,hostfwd=tcp:127.0.0.1:${f.host}-:${f.guest}`).join('');
    args.push('-netdev', `user,id=net0${fwd}`, '-device', 'virtio-net-pci,netdev=net0');
  }
  if (o.disk) args.push('-drive', `file=${o.disk},if=none,id=disk0,format=raw`, '-device', 'virtio-blk-pci,drive=disk0');
  if (o.gdbPort) args.push('-gdb', `tcp:127.0.0.1:${o.gdbPort}`, '-S');
  return args;
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000, agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => (req.destroy(), resolve(false)));
  });
}

/** Boot the image; resolves with the guest's exit status (130 when lunik is interrupted). */
export async function runQemu(o: QemuRunOptions): Promise<number> {
  await requireTools('run', ['qemu-system-x86_64']);
  if (o.disk && !fs.existsSync(o.disk)) throw badInput('run', `the disk image ${o.disk} does not exist`, 'give an ext4 image, e.g. one made with mkfs.ext4 and filled with lunik fs cp');
  await checkHostPorts(o.forwards, 'run');
  const qemu: ResultPromise = execa('qemu-system-x86_64', qemuRunArgs(o), { reject: false, stdin: 'inherit', stdout: 'pipe', stderr: 'inherit' });
  // the console goes to the terminal as it comes; its end is kept for the exit status
  let tail = '';
  qemu.stdout!.on('data', (d: Buffer) => {
    process.stdout.write(d);
    tail = (tail + d.toString()).slice(-4096);
  });
  let stoppedBy: NodeJS.Signals | undefined;
  const stop = (sig: NodeJS.Signals) => {
    stoppedBy = sig;
    qemu.kill('SIGTERM');
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    if (o.gdbPort) process.stderr.write(`lunik: QEMU waits for gdb: gdb ${o.image} -ex 'target remote 127.0.0.1:${o.gdbPort}'\n`);
    if (o.onServing && o.forwards.length) {
      const url = `http://localhost:${o.forwards[0].host}/`;
      void (async () => {
        while (qemu.exitCode === null && !stoppedBy) {
          if (await answers(url)) return o.onServing!(url);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
    }
    const r = await qemu;
    if (stoppedBy) return 130;
    if ((r as { code?: string }).code === 'ENOENT') throw new LunikError({ where: 'run', message: 'qemu-system-x86_64 could not be started', fix: 'run lunik doctor --install', code: 2 });
    const exit = hwExit(r.exitCode, tail);
    if (exit.kind === 'status') return exit.status;
    if (exit.kind === 'panic') throw new LunikError({ where: 'run', message: 'the guest panicked (its message is above)', fix: 'run with --verbose for the kernel log, or --gdb to debug it' });
    throw new LunikError({ where: 'run', message: `the guest ended without an exit status: ${describeHwExit(exit)}`, fix: r.exitCode === 1 ? "see QEMU's message above" : 'run with --verbose for the boot log, or --gdb to debug it' });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    if (qemu.exitCode === null) qemu.kill('SIGKILL');
  }
}
