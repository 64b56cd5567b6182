// Rootless networking for posix process unikernels: passt started by src/run/passt.ts, the
// kernel library on its socket (test/kernel/passt.c), real host sockets on both ends.
// LUNIK_KERNEL_PREFIX=DIR uses an already built kernel library instead of `lunik kernel`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { LunikError } from '../src/core/errors.js';
import { toolVersion } from '../src/core/tools.js';
import { GUEST_NETWORK, parsePortForward, startPasst, type Passt } from '../src/run/passt.js';
import { ROOT, compileKernelProgram, lunik, tempDir, withTimeout } from './helpers.js';

const RESPONSE =
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 41\r\nConnection: close\r\n\r\nhello from Linux 6.12 in a host process\r\n';

let skip: string | null = null;
let bin = '';

/** A port nothing listens on now (the kernel's pick for an ephemeral bind). */
function freePort(host = '0.0.0.0'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ port: 0, host }, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Listen on host:port (0: any) until closed. */
function listenOn(host: string, port = 0, onConn?: (c: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer(onConn ?? ((c) => c.destroy()));
    s.once('error', reject);
    s.listen({ port, host }, () => resolve(s));
  });
}

/** Send a raw request on a plain TCP socket; every byte until the server closes. */
function rawRequest(port: number, request: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const c = net.connect({ port, host: '127.0.0.1' }, () => c.write(request));
    c.on('data', (d) => chunks.push(d));
    c.on('end', () => resolve(Buffer.concat(chunks)));
    c.on('error', reject);
  });
}

/** Run a module snippet in a fresh node (its own tool-version memo and PATH). */
async function inFreshNode(code: string, env: Record<string, string>): Promise<{ message: string; fix?: string; code: number; context: string[] }> {
  const r = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, reject: false, all: true, env, extendEnv: false, timeout: 60_000 });
  const line = String(r.stdout).split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `no result from the snippet:\n${r.all}`);
  return JSON.parse(line!) as { message: string; fix?: string; code: number; context: string[] };
}

const REPORT = `.then(() => console.log('{}'), (e) => console.log(JSON.stringify({ message: e.message, fix: e.fix, code: e.code, context: e.context })))`;

test(
  'setup: passt is installed, the test program builds against the kernel library',
  withTimeout(40 * 60_000, async () => {
    if (!(await toolVersion('passt'))) {
      skip = process.getuid?.() === 0 ? 'passt is not installed and `lunik doctor --install` did not install it' : 'passt is not installed (run `npx lunik doctor --install` as root)';
      console.log(`  skipped: ${skip}`);
      return;
    }
    let prefix = process.env.LUNIK_KERNEL_PREFIX ?? '';
    if (!prefix) {
      const r = await lunik(['kernel'], { timeoutMs: 39 * 60_000 });
      assert.is(r.exitCode, 0, r.all.slice(-4000));
      prefix = r.stdout.trim().split('\n').pop()!;
    }
    bin = await compileKernelProgram(prefix, 'passt', await tempDir('passt-bin'));
  }),
);

test(
  'a kernel-library HTTP server behind passt answers http://127.0.0.1:PORT/ byte for byte (static addressing, ARP, outbound to the host)',
  withTimeout(120_000, async () => {
    if (skip) return void console.log(`  skipped: ${skip}`);
    const port = await freePort();
    // the host side of the outbound check: a banner line, then 8 MiB
    const bulk = Buffer.alloc(8 << 20, 0x5a);
    const host = await listenOn('127.0.0.1', 0, (c) => {
      c.write('lunik-host\n');
      c.end(bulk);
    });
    const hostPort = (host.address() as net.AddressInfo).port;
    let passt: Passt | undefined;
    try {
      passt = await startPasst({ forwards: [{ host: port, guest: 80 }], where: 'test' });
      console.log(`  passt up in ${passt.startupMs} ms (pid ${passt.pid}): passt ${passt.args.join(' ')}`);
      assert.equal(passt.guest, { ...GUEST_NETWORK });
      assert.equal(passt.forwards, [{ host: port, guest: 80 }]);
      assert.is(passt.spec, `unix:${passt.socket}`);
      assert.ok(passt.startupMs < 5000);

      const g = passt.guest;
      const prog = execa(bin, [passt.socket, `${g.address}/${g.prefix}`, g.gateway, '-n', '2', '-o', String(hostPort), '-m', String(g.mtu)], { reject: false, all: true, timeout: 90_000, killSignal: 'SIGKILL' });
      // wait until the guest listens
      let seen = '';
      await new Promise<void>((resolve, reject) => {
        prog.stdout!.on('data', (d: Buffer) => {
          seen += d.toString();
          if (seen.includes('# listening on ')) resolve();
        });
        prog.then(() => reject(new Error(`the program ended before listening:\n${seen}`)), reject);
      });
      const raw = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      assert.is(raw.toString('latin1'), RESPONSE, 'the exact bytes the guest sent');
      const res = await fetch(`http://127.0.0.1:${port}/second`);
      assert.is(res.status, 200);
      assert.is(await res.text(), 'hello from Linux 6.12 in a host process\r\n');

      const r = await prog;
      const all = String(r.all);
      assert.not.match(all, /^not ok/m, all);
      assert.is(r.exitCode, 0, all.slice(-3000));
      assert.match(all, /^\d+ passed, 0 failed$/m);
      assert.match(all, /^ok \d+ - ARP: the gateway 10\.0\.2\.2 is at [0-9a-f:]{17} \(answered by passt\)$/m);
      assert.match(all, new RegExp(`^# from the host: ${11 + (8 << 20)} bytes, banner: lunik-host$`, 'm'));
      // a client on the host's loopback reaches the guest from the gateway address
      assert.match(all, /^# request 1 from 10\.0\.2\.2:\d+: GET \/ HTTP\/1\.1$/m);
      assert.match(all, /^# request 2 from 10\.0\.2\.2:\d+: GET \/second HTTP\/1\.1$/m);
    } finally {
      await passt?.stop();
      host.close();
    }
    // stopped cleanly: exited on SIGTERM, its socket and temp dir gone
    const st = await passt!.exited;
    assert.ok(st.code === 0 || st.signal === 'SIGTERM', `passt ended with ${JSON.stringify(st)}`);
    assert.not.ok(existsSync(path.dirname(passt!.socket)), 'the temp dir is removed');
    await passt!.stop(); // idempotent
  }),
);

test(
  'a host port already in use is a clear error naming it and a free port to use instead, before passt starts',
  withTimeout(60_000, async () => {
    if (skip) return void console.log(`  skipped: ${skip}`);
    for (const addr of ['127.0.0.1', '0.0.0.0']) {
      const busy = await listenOn(addr);
      const port = (busy.address() as net.AddressInfo).port;
      try {
        const err = await startPasst({ forwards: [{ host: port, guest: 80 }] }).then(
          async (p) => (await p.stop(), undefined),
          (e: unknown) => e,
        );
        assert.instance(err, LunikError, `listening on ${addr}:${port} did not make startPasst fail`);
        const e = err as LunikError;
        assert.is(e.where, 'run');
        assert.is(e.code, 2);
        assert.match(e.message, new RegExp(`^host port ${port} is already in use \\(binding (127\\.0\\.0\\.1|0\\.0\\.0\\.0):${port} failed\\)$`));
        assert.match(e.fix!, /publish another host port, e\.g\. -p \d+:80/);
        const alt = Number(/-p (\d+):80/.exec(e.fix!)![1]);
        assert.is.not(alt, port);
        (await listenOn('0.0.0.0', alt)).close(); // the suggestion really is free
      } finally {
        busy.close();
      }
    }
  }),
);

test(
  'bad port mappings, a port published twice, passt missing, passt exiting early: clear errors',
  withTimeout(120_000, async () => {
    for (const bad of ['8080', '0:80', '70000:80', '8080:0', 'a:b'])
      assert.throws(() => parsePortForward(bad), (e: unknown) => e instanceof LunikError && e.code === 2 && /^bad port mapping/.test(e.message));
    assert.equal(parsePortForward('8080:80'), { host: 8080, guest: 80 });
    const twice = await startPasst({ forwards: [{ host: 18080, guest: 80 }, { host: 18080, guest: 81 }] }).then(
      () => undefined,
      (e: unknown) => e as LunikError,
    );
    assert.match(twice?.message ?? '', /host port 18080 is published twice/);

    const cache = await tempDir('passt-cache');
    const emptyBin = await tempDir('passt-nopath');
    const missing = await inFreshNode(`import('./src/run/passt.ts').then((m) => m.startPasst({ forwards: [] }))${REPORT}`, { PATH: emptyBin, LUNIK_CACHE: cache, HOME: cache });
    assert.match(missing.message, /^missing host tool: passt \(/);
    assert.match(missing.fix ?? '', /lunik doctor --install/);
    assert.is(missing.code, 2);

    if (skip) return void console.log(`  (early-exit case) skipped: ${skip}`);
    // a passt that fails at once: its messages are shown
    const fake = await tempDir('passt-fake');
    await fs.writeFile(path.join(fake, 'passt'), '#!/bin/sh\necho "passt: something went wrong for the test" >&2\nexit 1\n', { mode: 0o755 });
    const early = await inFreshNode(`import('./src/run/passt.ts').then((m) => m.startPasst({ forwards: [] }))${REPORT}`, { PATH: `${fake}:${process.env.PATH}`, LUNIK_CACHE: cache, HOME: cache });
    assert.is(early.message, 'passt exited before its socket was ready (exit code 1)');
    assert.ok(early.context.includes('passt: something went wrong for the test'), early.context.join('\n'));
    assert.match(early.context[0], /^\$ passt --foreground --ipv4-only --socket \S+\/passt\.sock /);
  }),
);

test.run();
