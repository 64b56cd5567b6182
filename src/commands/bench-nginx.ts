// lunik bench nginx --platform posix: nginx as a lunik process unikernel
// against the host's own nginx (Debian's package) with the same
// configuration, in one run: requests/s (wrk, 1 thread, 10 connections,
// 10 s, the 612-byte page), binary size, peak RSS.
import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Cache } from '../core/cache.js';
import { LunikError } from '../core/errors.js';
import { cacheRoot } from '../core/paths.js';
import { makeReporter } from '../core/progress.js';
import { runStages } from '../core/runner.js';
import { renderFile } from '../core/template.js';
import { requireTools } from '../core/tools.js';
import { loadRecipe } from '../recipe/recipe.js';
import { freeLocalPort, startPasst } from '../run/passt.js';
import { runConfig } from '../run/posix.js';
import { templateVars } from '../stages/app.js';
import { appTarget } from '../stages/pipeline.js';
import type { Globals } from './command.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];


/** Wait until GET / on port answers 200 (or fail after timeoutMs, or when the server exits). */
async function waitServing(port: number, server: ResultPromise, what: string, timeoutMs = 60_000, host = '127.0.0.1'): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host, port, path: '/', timeout: 1000, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => (req.destroy(), resolve(false)));
    });
    if (ok) return;
    if (server.exitCode !== null || Date.now() - t0 > timeoutMs)
      throw new LunikError({ where: 'bench', message: `${what} did not start serving on port ${port}`, context: String((await server.catch((e) => e)).all ?? '').split('\n').slice(-6) });
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** requests/s from one wrk run: 1 thread, 10 connections, 10 s (inside network namespace netns when given). */
export async function wrk(port: number, seconds: number, host = '127.0.0.1', netns?: string): Promise<number> {
  const args = ['-t1', '-c10', `-d${seconds}s`, `http://${host}:${port}/`];
  const r = await execa(netns ? 'ip' : 'wrk', netns ? ['netns', 'exec', netns, 'wrk', ...args] : args, { reject: false, all: true, timeout: (seconds + 30) * 1000 });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(String(r.stdout));
  if (r.exitCode !== 0 || !rps) throw new LunikError({ where: 'bench', message: `wrk failed (exit ${r.exitCode})`, context: String(r.all).split('\n').slice(-6) });
  if (/Socket errors|Non-2xx/.test(String(r.stdout))) throw new LunikError({ where: 'bench', message: 'wrk saw failed requests', context: String(r.stdout).split('\n') });
  return Number(rps[1]);
}

/** Peak resident set size of a process, in KiB (VmHWM). */
async function peakRss(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
}

async function stop(p: ResultPromise): Promise<void> {
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 3000);
  await p.catch(() => undefined);
  clearTimeout(t);
}

export async function benchNginx(runs: number, g: Globals, json: boolean, seconds = 10): Promise<number> {
  await requireTools('bench', ['nginx', 'wrk', 'passt']);
  const app = loadRecipe('nginx', 'bench');
  const cache = new Cache(cacheRoot());
  await cache.open();
  const reporter = makeReporter(g.verbose);
  let binary: string;
  try {
    const run = await runStages([await appTarget(app, 'posix')], { cache, reporter, verbose: g.verbose, explain: g.explain });
    binary = path.join(run.targets[0].out, 'bin/nginx');
  } finally {
    reporter.close();
    await cache.close();
  }

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lunik-bench-nginx-'));
  try {
    // the host's nginx: the same nginx.conf, with the page in a folder of ours
    const www = path.join(dir, 'www');
    await fs.cp(path.join(app.dir, 'www'), www, { recursive: true });
    const tapOk = typeof process.getuid === 'function' && process.getuid() === 0;
    const tapRps: number[] = [];
    const lunikRss: number[] = [];
    const hostRss: number[] = [];
    const lunikRps: number[] = [];
    const hostRps: number[] = [];
    for (let i = 0; i < runs; i++) {
      process.stderr.write(`bench: nginx run ${i + 1}/${runs}: host nginx\n`);
      const hostPort = await freeLocalPort();
      const conf = renderFile(path.join(app.dir, 'nginx.conf.njk'), { ...templateVars(app.recipe), ports: [hostPort] }, 'bench')
        .replaceAll('/var/www/html', www)
        .replaceAll('/tmp/nginx.pid', path.join(dir, 'nginx.pid'));
      await fs.writeFile(path.join(dir, 'nginx.conf'), conf);
      const host = execa('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { reject: false, all: true, stdout: 'ignore' });
      try {
        await waitServing(hostPort, host, "the host's nginx");
        hostRps.push(await wrk(hostPort, seconds));
        hostRss.push(await peakRss(host.pid!));
      } finally {
        await stop(host);
      }

      process.stderr.write(`bench: nginx run ${i + 1}/${runs}: lunik nginx (posix, through passt)\n`);
      const port = await freeLocalPort();
      const passt = await startPasst({ forwards: [{ host: port, guest: 80 }], where: 'bench' });
      try {
        const lunik = execa(binary, ['-c', '/etc/nginx/nginx.conf'], { reject: false, all: true, stdout: 'ignore', env: { LUNIK_CONFIG: runConfig({ passt }) } });
        try {
          await waitServing(port, lunik, 'lunik nginx');
          lunikRps.push(await wrk(port, seconds));
          lunikRss.push(await peakRss(lunik.pid!));
        } finally {
          await stop(lunik);
        }
      } finally {
        await passt.stop();
      }

      if (tapOk) {
        // TAP, as root: no user-mode network in the path
        process.stderr.write(`bench: nginx run ${i + 1}/${runs}: lunik nginx (posix, TAP)\n`);
        const tap = `lunikb${process.pid % 10000}`;
        const ip = (args: string[]) => execa('ip', args, { reject: false, all: true });
        await ip(['tuntap', 'add', tap, 'mode', 'tap']);
        try {
          for (const a of [['addr', 'add', '10.0.9.1/24', 'dev', tap], ['link', 'set', tap, 'up']]) {
            const r = await ip(a);
            if (r.exitCode !== 0) throw new LunikError({ where: 'bench', message: `ip ${a.join(' ')} failed`, context: [String(r.all)] });
          }
          const lunik = execa(binary, ['-c', '/etc/nginx/nginx.conf'], { reject: false, all: true, stdout: 'ignore', env: { LUNIK_CONFIG: `net=tap:${tap} ip=10.0.9.2/24 gw=10.0.9.1` } });
          try {
            await waitServing(80, lunik, 'lunik nginx on TAP', 60_000, '10.0.9.2');
            tapRps.push(await wrk(80, seconds, '10.0.9.2'));
          } finally {
            await stop(lunik);
          }
        } finally {
          await ip(['link', 'del', tap]);
        }
      }
    }
    const st = await fs.stat(binary);
    const size = await execa('size', [binary], { reject: false });
    const [text, data, bss] = (/^\s*(\d+)\s+(\d+)\s+(\d+)/m.exec(size.stdout) ?? []).slice(1).map(Number);
    const m = {
      lunik_rps: median(lunikRps),
      host_rps: median(hostRps),
      ratio: median(lunikRps) / median(hostRps),
      binary_bytes: st.size,
      text_bytes: text,
      data_bytes: data,
      bss_bytes: bss,
      lunik_tap_rps: tapRps.length ? median(tapRps) : null,
      tap_ratio: tapRps.length ? median(tapRps) / median(hostRps) : null,
      lunik_peak_rss_kib: median(lunikRss),
      host_peak_rss_kib: median(hostRss),
    };
    if (json) {
      process.stdout.write(JSON.stringify({ runs, seconds, median: m, samples: { lunikRps, tapRps, hostRps, lunikRss, hostRss } }) + '\n');
      return 0;
    }
    const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
    process.stdout.write(
      [
        `nginx: lunik posix process unikernel vs the host's nginx (Debian), same nginx.conf, median of ${runs}`,
        `  wrk -t1 -c10 -d${seconds}s, 612-byte page`,
        `  host nginx (loopback)                 ${m.host_rps.toFixed(0)} requests/s`,
        `  lunik nginx (posix, through passt)    ${m.lunik_rps.toFixed(0)} requests/s   ratio ${m.ratio.toFixed(2)}   target ≥ 0.8`,
        m.lunik_tap_rps !== null
          ? `  lunik nginx (posix, TAP)              ${m.lunik_tap_rps.toFixed(0)} requests/s   ratio ${m.tap_ratio!.toFixed(2)}   target ≥ 0.8`
          : '  lunik nginx (posix, TAP)              (needs root)',
        `  binary                                ${mib(m.binary_bytes)} (text ${mib(text)}, data ${mib(data)}, bss ${mib(bss)})`,
        `  peak RSS                              lunik ${(m.lunik_peak_rss_kib / 1024).toFixed(1)} MiB, host nginx ${(m.host_peak_rss_kib / 1024).toFixed(1)} MiB`,
      ].join('\n') + '\n',
    );
    return 0;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
