// Booting an hw platform image under QEMU: its command line, a bounded run with
// the serial console streamed, and the guest's exit status read back from QEMU's.
import { execa } from 'execa';
import type { Accel } from './accel.js';
import { requireTools } from './tools.js';

/**
 * How the guest ended. The hw platform (platforms/hw/exit.c) writes to
 * QEMU's isa-debug-exit device, which makes QEMU exit with (v << 1) | 1:
 *
 *   lhc_exit(s), s in 0..124    v = s + 1   QEMU exits 2s + 3 (3 is success)
 *   lhc_exit(s), s >= 125       v = 126     QEMU exits 253, and the guest prints
 *                                           "lunik: exit status S" first
 *   lhc_panic, CPU exception    v = 127     QEMU exits 255
 *
 * Anything else did not come from the guest: 0 is a reset or power-off
 * without the device (QEMU runs with -no-reboot), 1 is QEMU's own failure.
 */
export type HwExit =
  | { kind: 'status'; status: number; exact: boolean }
  | { kind: 'panic' }
  | { kind: 'none'; reason: string };

export const HW_DEBUG_EXIT = 'isa-debug-exit,iobase=0xf4,iosize=0x04';

/** The guest's status from QEMU's exit code (and, for 253, from the console). */
export function hwExit(qemuCode: number | undefined, consoleText = ''): HwExit {
  if (qemuCode === 255) return { kind: 'panic' };
  if (qemuCode !== undefined && qemuCode >= 3 && qemuCode <= 253 && qemuCode % 2 === 1) {
    if (qemuCode < 253) return { kind: 'status', status: (qemuCode - 3) / 2, exact: true };
    const said = [...consoleText.matchAll(/^lunik: exit status (\d+)\r?$/gm)].pop();
    return said ? { kind: 'status', status: Number(said[1]), exact: true } : { kind: 'status', status: 125, exact: false };
  }
  if (qemuCode === 0) return { kind: 'none', reason: 'the guest reset or powered off without reporting a status' };
  if (qemuCode === undefined) return { kind: 'none', reason: 'QEMU was killed' };
  return { kind: 'none', reason: `QEMU failed (exit status ${qemuCode})` };
}

/** One line for humans: "status 0", "panic", or why there is none. */
export function describeHwExit(e: HwExit): string {
  if (e.kind === 'status') return `exit status ${e.status}${e.exact ? '' : ' or more'}`;
  if (e.kind === 'panic') return 'a panic (or a CPU exception)';
  return e.reason;
}

export interface HwBootOptions {
  /** Who reports errors (a command or stage name). */
  where: string;
  /** A PVH ELF image (platforms/hw). */
  image: string;
  /** The guest's command line (hvm_start_info, the platform's "cmdline"). */
  append?: string;
  memMiB?: number;
  accel?: Accel;
  /** Hard limit; QEMU is killed (SIGKILL) when it is reached. */
  timeoutMs: number;
  /** Bytes for the serial port's input (the guest's standard input); none: /dev/null. */
  input?: string;
  /** Serial console output as it arrives. */
  onOutput?: (text: string) => void;
}

export interface HwBootResult {
  exit: HwExit;
  /** QEMU's own exit code; undefined when it was killed. */
  qemuCode?: number;
  timedOut: boolean;
  /** Everything the serial console printed. */
  output: string;
  /** QEMU's own messages (stderr). */
  qemuMessages: string;
  ms: number;
}

/** QEMU's arguments for an hw image: no display, serial on stdio, isa-debug-exit. */
export function hwQemuArgs(o: Pick<HwBootOptions, 'image' | 'append' | 'memMiB' | 'accel'>): string[] {
  return [
    '-accel', o.accel ?? 'tcg',
    '-M', 'q35',
    '-m', String(o.memMiB ?? 256),
    '-display', 'none',
    '-nodefaults',
    '-no-reboot',
    '-serial', 'stdio',
    '-device', HW_DEBUG_EXIT,
    '-kernel', o.image,
    ...(o.append ? ['-append', o.append] : []),
  ];
}

/** Boot an image and wait (at most timeoutMs) for it to end. Never throws for the guest's failures. */
export async function bootHw(o: HwBootOptions): Promise<HwBootResult> {
  await requireTools(o.where, ['qemu-system-x86_64']);
  const t0 = Date.now();
  const p = execa('qemu-system-x86_64', hwQemuArgs(o), {
    reject: false,
    timeout: o.timeoutMs,
    killSignal: 'SIGKILL',
    stdin: o.input === undefined ? 'ignore' : 'pipe',
    input: o.input,
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: true,
  });
  let output = '';
  const utf8 = new TextDecoder('utf-8');
  p.stdout?.on('data', (d: Buffer) => {
    const text = utf8.decode(d, { stream: true });
    output += text;
    o.onOutput?.(text);
  });
  const r = await p;
  const qemuCode = r.timedOut ? undefined : r.exitCode;
  const exit: HwExit = r.timedOut ? { kind: 'none', reason: `no result within ${Math.round(o.timeoutMs / 1000)} s (QEMU was stopped)` } : hwExit(qemuCode, output);
  return { exit, qemuCode, timedOut: !!r.timedOut, output, qemuMessages: String(r.stderr ?? ''), ms: Date.now() - t0 };
}
