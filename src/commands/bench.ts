// lunik bench SUBJECT: figures measured against a baseline in the same run (never pass/fail tests).
import { execa } from 'execa';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Cache } from '../core/cache.js';
import { LunikError, badInput } from '../core/errors.js';
import { cacheRoot, repoRoot } from '../core/paths.js';
import { makeReporter } from '../core/progress.js';
import { runStages } from '../core/runner.js';
import { suggest } from '../recipe/recipe.js';
import { DEFAULT_FRAGMENTS, kernelStage, resolveFragments } from '../stages/kernel.js';
import { benchBoot, benchNginxHw, DEFAULT_GUEST_MEM } from './bench-hw.js';
import { megabytes } from '../run/qemu.js';
import { benchNginx } from './bench-nginx.js';
import { fsToolPath } from './fs.js';
import type { Command, Globals } from './command.js';

interface KernelFigures {
  boot_ms: number;
  getpid_lib_ns: number;
  getpid_host_ns: number;
  tcp_lib_mibs: number;
  tcp_host_mibs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function kernelPrefix(g: Globals): Promise<string> {
  const cache = new Cache(cacheRoot());
  await cache.open();
  const reporter = makeReporter(g.verbose);
  try {
    const run = await runStages([kernelStage(await resolveFragments(DEFAULT_FRAGMENTS))], { cache, reporter, verbose: g.verbose, explain: g.explain });
    return run.targets[0].out;
  } finally {
    reporter.close();
    await cache.close();
  }
}

async function benchKernel(runs: number, g: Globals, json: boolean): Promise<number> {
  const prefix = await kernelPrefix(g);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lunik-bench-'));
  try {
    const bin = path.join(dir, 'bench-kernel');
    const cc = await execa('gcc', ['-O2', '-Wall', '-Wextra', `-I${path.join(prefix, 'include')}`, path.join(repoRoot(), 'bench/kernel.c'), path.join(prefix, 'lib/liblkl.a'), '-lpthread', '-o', bin], { reject: false, all: true });
    if (cc.exitCode !== 0) throw new LunikError({ where: 'bench', message: 'bench/kernel.c does not compile against the kernel library', context: String(cc.all).split('\n').slice(0, 6) });
    const samples: KernelFigures[] = [];
    for (let i = 0; i < runs; i++) {
      process.stderr.write(`bench: kernel run ${i + 1}/${runs}\n`);
      const r = await execa(bin, [], { reject: false, all: true, timeout: 300_000 });
      const line = String(r.stdout).trim().split('\n').pop() ?? '';
      if (r.exitCode !== 0 || !line.startsWith('{')) throw new LunikError({ where: 'bench', message: `the kernel benchmark failed (exit ${r.exitCode})`, context: String(r.all).split('\n').slice(-6) });
      samples.push(JSON.parse(line) as KernelFigures);
    }
    const m = Object.fromEntries((Object.keys(samples[0]) as (keyof KernelFigures)[]).map((k) => [k, median(samples.map((s) => s[k]))])) as unknown as KernelFigures;
    if (json) {
      process.stdout.write(JSON.stringify({ runs, median: m, samples }) + '\n');
      return 0;
    }
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    const rows = [
      `kernel library vs host, median of ${runs} run${runs > 1 ? 's' : ''}`,
      `  boot (lkl_init → lkl_start_kernel returns)  ${m.boot_ms.toFixed(1)} ms                       target ≤ 20 ms`,
      `  getpid latency, library vs host syscall     ${m.getpid_lib_ns.toFixed(0)} ns vs ${m.getpid_host_ns.toFixed(0)} ns   ratio ${ratio(m.getpid_lib_ns, m.getpid_host_ns)}   target ≤ 1.0`,
      `  TCP over 127.0.0.1, library vs host         ${m.tcp_lib_mibs.toFixed(0)} vs ${m.tcp_host_mibs.toFixed(0)} MiB/s   ratio ${ratio(m.tcp_lib_mibs, m.tcp_host_mibs)}   target ≥ 0.5`,
    ];
    process.stdout.write(rows.join('\n') + '\n');
    return 0;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Seconds one run of a command takes (it must succeed). */
async function timed(file: string, args: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await execa(file, args, { reject: false, all: true, timeout: 600_000 });
  if (r.exitCode !== 0) throw new LunikError({ where: 'bench', message: `${path.basename(file)} ${args.join(' ').slice(0, 120)} failed (exit ${r.exitCode})`, context: String(r.all).split('\n').slice(-5) });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * File-system throughput through the kernel library (lunik-fs copying a
 * 256 MiB file into and out of an ext4 image) against the host's cp of the
 * same file, both ending with the data on disk (cp is followed by sync).
 */
async function benchDevices(runs: number, g: Globals, json: boolean): Promise<number> {
  const tool = await fsToolPath(g);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lunik-bench-dev-'));
  const mib = 256;
  try {
    const src = path.join(dir, 'data.bin');
    const img = path.join(dir, 'disk.img');
    await execa('dd', ['if=/dev/urandom', `of=${src}`, 'bs=1M', `count=${mib}`, 'status=none']);
    const host: number[] = [];
    const into: number[] = [];
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
      process.stderr.write(`bench: devices run ${i + 1}/${runs}\n`);
      await fs.rm(img, { force: true });
      await execa('truncate', ['-s', `${mib * 2 + 64}M`, img]);
      await execa('mkfs.ext4', ['-q', '-F', img]);
      await execa('sync');
      host.push(await timed('sh', ['-c', 'cp "$1" "$2" && sync', 'sh', src, path.join(dir, `copy-${i}.bin`)]));
      await fs.rm(path.join(dir, `copy-${i}.bin`));
      into.push(await timed(tool, [img, 'cp', src, ':/data.bin']));
      await execa('sync');
      // like the cp baseline, the copy out counts only once the data is on disk
      out.push(await timed('sh', ['-c', '"$1" "$2" cp :/data.bin "$3" && sync', 'sh', tool, img, path.join(dir, 'back.bin')]));
      await fs.rm(path.join(dir, 'back.bin'));
    }
    const rate = (xs: number[]) => mib / median(xs);
    const link = await linkFigures(runs, g, dir);
    const m = { host_cp_mibs: rate(host), fs_in_mibs: rate(into), fs_out_mibs: rate(out), ...link };
    if (json) {
      process.stdout.write(JSON.stringify({ runs, median: m }) + '\n');
      return 0;
    }
    process.stdout.write(
      [
        `devices: file system through the kernel library vs host, ${mib} MiB file, median of ${runs} run${runs > 1 ? 's' : ''}`,
        `  host cp + sync                         ${m.host_cp_mibs.toFixed(0)} MiB/s`,
        `  lunik-fs cp into an ext4 image         ${m.fs_in_mibs.toFixed(0)} MiB/s   ratio ${(m.fs_in_mibs / m.host_cp_mibs).toFixed(2)}   target ≥ 0.5`,
        `  lunik-fs cp out of an ext4 image       ${m.fs_out_mibs.toFixed(0)} MiB/s   ratio ${(m.fs_out_mibs / m.host_cp_mibs).toFixed(2)}   target ≥ 0.5`,
        `devices: TCP between two kernel instances over a socket-pair link vs host loopback TCP, 256 MiB`,
        `  host loopback TCP                      ${m.host_loopback_mibs.toFixed(0)} MiB/s`,
        `  kernel <-> kernel, stream link         ${m.link_mibs.toFixed(0)} MiB/s = ${((m.link_mibs * 8 * 1.048576) / 1000).toFixed(2)} Gbit/s   ratio ${(m.link_mibs / m.host_loopback_mibs).toFixed(2)}   target ≥ 1 Gbit/s`,
      ].join('\n') + '\n',
    );
    return 0;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The link figure: test/kernel/netlink.c's throughput mode joins two kernel
 * instances in two processes over a socketpair (QEMU stream framing) and
 * counts 256 MiB of TCP; its loopback mode does the same over the host's
 * own loopback. One program, so both sides are measured the same way.
 */
async function linkFigures(runs: number, g: Globals, dir: string): Promise<{ link_mibs: number; host_loopback_mibs: number }> {
  const prefix = await kernelPrefix(g);
  const bin = path.join(dir, 'netlink');
  const cc = await execa('gcc', ['-O2', `-I${path.join(prefix, 'include')}`, path.join(repoRoot(), 'test/kernel/netlink.c'), path.join(prefix, 'lib/liblkl.a'), '-lpthread', '-o', bin], { reject: false, all: true });
  if (cc.exitCode !== 0) throw new LunikError({ where: 'bench', message: 'test/kernel/netlink.c does not compile against the kernel library', context: String(cc.all).split('\n').slice(0, 6) });
  const figure = async (mode: string) => {
    const r = await execa(bin, [mode, '256'], { reject: false, all: true, timeout: 300_000 });
    const m = /= ([\d.]+) MiB\/s/.exec(String(r.stdout));
    if (r.exitCode !== 0 || !m) throw new LunikError({ where: 'bench', message: `the ${mode} throughput run failed (exit ${r.exitCode})`, context: String(r.all).split('\n').slice(-6) });
    return Number(m[1]);
  };
  const link: number[] = [];
  const loop: number[] = [];
  for (let i = 0; i < runs; i++) {
    process.stderr.write(`bench: link run ${i + 1}/${runs}\n`);
    link.push(await figure('pair'));
    loop.push(await figure('loopback'));
  }
  return { link_mibs: median(link), host_loopback_mibs: median(loop) };
}

const SUBJECTS = ['kernel', 'devices', 'nginx', 'boot'];
const NGINX_PLATFORMS = ['posix', 'hw'];

export const bench: Command = {
  name: 'bench',
  summary: 'measure speed and size against a baseline in the same run (kernel, devices, nginx, boot)',
  usage: 'lunik bench kernel|devices|nginx|boot [--platform posix|hw] [--runs N] [--mem M] [--json]',
  options: {
    runs: { type: 'string', valueName: 'N', description: 'repeat and report medians (default 5 for boot, 3 otherwise)' },
    json: { type: 'boolean', description: 'print the figures as JSON' },
    platform: { type: 'string', valueName: 'P', description: 'nginx: the platform to measure (posix, or hw against a Linux VM)' },
    mem: { type: 'string', valueName: 'M', description: `boot, nginx --platform hw: both guests' memory (default ${DEFAULT_GUEST_MEM})` },
  },
  positionals: { min: 1, max: 1, names: 'SUBJECT' },
  async run({ values, positionals }, g) {
    const subject = positionals[0];
    const runs = Number(values.runs ?? (subject === 'boot' ? 5 : 3));
    if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw badInput('bench', `bad --runs "${values.runs}"`, 'give a whole number from 1 to 50');
    const mem = values.mem as string | undefined;
    const platform = values.platform as string | undefined;
    if (mem !== undefined) megabytes(mem, 'bench'); // checks it
    if (mem !== undefined && !(subject === 'boot' || (subject === 'nginx' && platform === 'hw'))) throw badInput('bench', '--mem is for bench boot and bench nginx --platform hw', 'leave it out');
    if (platform !== undefined && subject !== 'nginx') throw badInput('bench', '--platform is for bench nginx', 'leave it out');
    if (subject === 'kernel') return benchKernel(runs, g, !!values.json);
    if (subject === 'devices') return benchDevices(runs, g, !!values.json);
    if (subject === 'boot') return benchBoot(runs, g, !!values.json, mem);
    if (subject === 'nginx') {
      if (platform === 'hw') return benchNginxHw(runs, g, !!values.json, mem);
      if (platform !== undefined && platform !== 'posix') throw badInput('bench', `nginx cannot be measured on ${platform} in this version yet${suggest(platform, NGINX_PLATFORMS)}`, 'use --platform posix or --platform hw');
      return benchNginx(runs, g, !!values.json);
    }
    throw badInput('bench', `unknown benchmark "${subject}"${suggest(subject, SUBJECTS)}`, `use one of: ${SUBJECTS.join(', ')}`);
  },
};
