// Run an app baked for posix: an ordinary process whose system calls the
// kernel library inside it serves. Networking (when the recipe has a
// network or -p is given) goes through passt; the runtime gets its settings
// in LUNIK_CONFIG (toolchain/runtime/start.c).
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import fs from 'node:fs';
import { LunikError, badInput } from '../core/errors.js';
import type { Recipe } from '../recipe/schema.js';
import { startPasst, type Passt, type PortForward } from './passt.js';

export interface PosixRunOptions {
  binary: string;
  recipe: Recipe;
  /** Arguments after the program name; undefined: the recipe's. */
  args?: string[];
  forwards: PortForward[];
  mem?: string;
  /** A disk image attached as virtio-blk, mounted where the recipe's "disk" says. */
  disk?: string;
  /** A host TAP device instead of passt (root): made, addressed and removed by lunik if missing. */
  tap?: string;
  verbose?: boolean;
  /** Called with the first forwarded URL once it answers HTTP. */
  onServing?: (url: string) => void;
  /** Extra environment (tests). */
  env?: Record<string, string>;
}

/** The LUNIK_CONFIG words for a run. */
export function runConfig(o: { mem?: string; verbose?: boolean; passt?: Passt; tap?: string; disk?: { fd: number; mount: string; fstype: string } }): string {
  const words: string[] = [];
  if (o.tap) words.push(`net=tap:${o.tap}`);
  if (o.mem) words.push(`mem=${o.mem}`);
  if (o.disk) words.push(`disk=${o.disk.fd}:${o.disk.mount}:${o.disk.fstype}`);
  if (o.verbose) words.push('verbose=1');
  if (o.passt) {
    const g = o.passt.guest;
    words.push(`net=${o.passt.spec}`, `ip=${g.address}/${g.prefix}`, `gw=${g.gateway}`, `mtu=${g.mtu}`);
  }
  return words.join(' ');
}

/** Poll url until it answers (any HTTP status) or stop() says to give up. */
async function waitHttp(url: string, stop: () => boolean): Promise<boolean> {
  while (!stop()) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get(url, { timeout: 1000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => {
        req.destroy();
        resolve(false);
      });
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Run it with the terminal's stdio; resolves with its exit status (128+N for signal N). */
export async function runPosix(o: PosixRunOptions): Promise<number> {
  let diskFd: number | undefined;
  if (o.disk) {
    try {
      diskFd = fs.openSync(o.disk, 'r+');
    } catch (e) {
      throw badInput('run', `cannot open the disk image ${o.disk}: ${(e as NodeJS.ErrnoException).code}`, 'give an existing ext4 image you may write, e.g. one made with mkfs.ext4 and filled with lunik fs cp');
    }
  }
  try {
    return await runWith(o, diskFd);
  } finally {
    if (diskFd !== undefined) fs.closeSync(diskFd);
  }
}

/** Use TAP device name, making it (with the recipe's gateway as the host's address) if it is missing. */
async function openTap(name: string, recipe: Recipe): Promise<() => Promise<void>> {
  const net = recipe.network;
  if (!net || net.mode !== 'static' || !net.gateway)
    throw badInput('run', `--tap needs a recipe with a static address and gateway (${recipe.name}'s network is ${net ? net.mode : 'absent'})`, 'leave out --tap to use passt, which also serves DHCP');
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw badInput('run', `bad TAP device name "${name}"`, 'use up to 15 letters, digits, ".", "_" or "-"');
  if (fs.existsSync(`/sys/class/net/${name}`)) return async () => undefined;
  if (!(typeof process.getuid === 'function' && process.getuid() === 0))
    throw badInput('run', `there is no TAP device ${name}, and making one needs root`, `run as root, or make it first: ip tuntap add ${name} mode tap user $USER && ip addr add ${net.gateway}/${net.address.split('/')[1] ?? 24} dev ${name} && ip link set ${name} up`);
  const prefix = net.address.split('/')[1] ?? '24';
  const ip = async (args: string[]) => {
    const r = await execa('ip', args, { reject: false, all: true });
    if (r.exitCode !== 0) throw new LunikError({ where: 'run', message: `ip ${args.join(' ')} failed`, context: [String(r.all)], fix: 'check that iproute2 is installed and the name is free' });
  };
  await ip(['tuntap', 'add', name, 'mode', 'tap']);
  const remove = async () => void (await execa('ip', ['link', 'del', name], { reject: false }));
  try {
    await ip(['addr', 'add', `${net.gateway}/${prefix}`, 'dev', name]);
    await ip(['link', 'set', name, 'up']);
  } catch (e) {
    await remove();
    throw e;
  }
  return remove;
}

async function runWith(o: PosixRunOptions, diskFd: number | undefined): Promise<number> {
  if (o.tap && o.forwards.length) throw badInput('run', '-p forwards ports through passt, and --tap replaces passt', `leave out -p: with --tap the app is reached at its own address (${o.recipe.network?.mode === 'static' ? o.recipe.network.address.split('/')[0] : 'see its recipe'})`);
  // Signals are taken from the start: one that comes while the network is
  // being set up stops the run there (cleaning up), not half-way.
  let child: ReturnType<typeof spawn> | undefined;
  let stopped: NodeJS.Signals | undefined;
  const onTerm = () => (child ? child.kill('SIGTERM') : (stopped = 'SIGTERM'));
  const onInt = () => (child ? child.kill('SIGINT') : (stopped = 'SIGINT'));
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  let removeTap: (() => Promise<void>) | undefined;
  let passt: Passt | undefined;
  try {
    removeTap = o.tap ? await openTap(o.tap, o.recipe) : undefined;
    const wantNet = !o.tap && (o.forwards.length > 0 || !!o.recipe.network);
    passt = wantNet && !stopped ? await startPasst({ forwards: o.forwards, where: 'run' }) : undefined;
    if (stopped) return 128 + (os.constants.signals[stopped] ?? 0);
    const argv = [o.recipe.cmdline[0], ...(o.args ?? o.recipe.cmdline.slice(1))];
    const disk = diskFd !== undefined && o.recipe.disk ? { fd: 3, mount: o.recipe.disk.mount, fstype: o.recipe.disk.fstype ?? 'ext4' } : undefined;
    child = spawn(o.binary, argv.slice(1), {
      argv0: argv[0],
      stdio: diskFd !== undefined ? ['inherit', 'inherit', 'inherit', diskFd] : 'inherit',
      env: { ...process.env, ...(o.recipe.env ?? {}), ...(o.env ?? {}), LUNIK_CONFIG: runConfig({ mem: o.mem, verbose: o.verbose, passt, tap: o.tap, disk }) },
    } as Parameters<typeof spawn>[2]);
    const proc = child;
    let done = false;
    const exited = new Promise<number>((resolve, reject) => {
      proc.once('error', (e) => reject(new LunikError({ where: 'run', message: `cannot start ${o.binary}: ${e.message}`, fix: 'rebuild it: lunik build ' + o.recipe.name + ' --platform posix' })));
      proc.once('exit', (code, signal) => {
        done = true;
        resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
      });
    });
    // Ctrl-C reaches the app through the terminal too; signals sent to lunik alone are passed on.
    if (o.onServing && o.forwards.length) {
      const url = `http://localhost:${o.forwards[0].host}/`;
      void waitHttp(url, () => done).then((ok) => ok && o.onServing!(url));
    }
    return await exited;
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    await passt?.stop();
    await removeTap?.();
  }
}

