// nginx built from Debian's source with lunik-cc, checked from the host over
// real sockets on each platform: as a posix process unikernel serving through
// passt (issue: Toolchain), and baked for hw, booted under QEMU TCG and
// served through QEMU's user network (issue: Bare-metal x86_64 platform).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa, type ResultPromise } from 'execa';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { LUNIK, ROOT, lunik, tempDir, withTimeout } from './helpers.js';
import { freeLocalPort } from '../src/run/passt.js';

const BUILD_TIMEOUT = 40 * 60_000;
let port = 0;
let server: ResultPromise | undefined;
let output = '';
let big: Buffer | undefined;
let disk = '';

/** An ext4 image with a 5 MiB random file, written through the kernel library without root. */
async function diskImage(): Promise<string> {
  if (disk) return disk;
  const dir = await tempDir('nginx');
  big = crypto.randomBytes(5 * 1024 * 1024);
  await fs.writeFile(path.join(dir, 'big.bin'), big);
  const img = path.join(dir, 'www.ext4');
  await execa('truncate', ['-s', '32M', img]);
  await execa('mkfs.ext4', ['-q', '-F', img]);
  const cp = await lunik(['fs', 'cp', path.join(dir, 'big.bin'), `${img}:/big.bin`]);
  assert.is(cp.exitCode, 0, cp.all);
  return (disk = img);
}


interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(p: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method, agent: false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${p} timed out`)));
    req.on('error', reject);
    req.end();
  });
}


/** The tests every platform passes; posix and hw add their own below. */
function nginxSuite(platform: 'posix' | 'hw') {
  const t = suite(`nginx on ${platform}`);
  t(
    `lunik build nginx --platform ${platform} builds Debian nginx with lunik-cc`,
    withTimeout(BUILD_TIMEOUT, async () => {
      const r = await lunik(['build', 'nginx', '--platform', platform], { timeoutMs: BUILD_TIMEOUT });
      assert.is(r.exitCode, 0, r.all.slice(-3000));
      assert.match(r.stderr, /nginx source: Debian 1\.22\./);
    }),
  );

  t(
    `lunik run nginx --platform ${platform} -p PORT:80 --disk IMG serves until stopped`,
    withTimeout(5 * 60_000, async () => {
      const img = await diskImage();
      output = '';
      port = await freeLocalPort();
      server = execa(process.execPath, [LUNIK, 'run', 'nginx', '--platform', platform, '-p', `${port}:80`, '--disk', img], { reject: false, all: true, env: { CI: '1' }, cwd: ROOT });
      server.all!.on('data', (d: Buffer) => (output += d.toString()));
      const t0 = Date.now();
      while (!/serving on http:\/\/localhost:\d+/.test(output)) {
        if (server.exitCode !== null || Date.now() - t0 > 120_000) assert.unreachable(`nginx did not come up:\n${output.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }),
  );

  t(
    'the default page, a 404 and a HEAD, byte for byte',
    withTimeout(60_000, async () => {
      const page = await fs.readFile(path.join(ROOT, 'apps/nginx/www/index.html'));
      const r = await request('/');
      assert.is(r.status, 200);
      assert.is(r.headers['content-type'], 'text/html');
      assert.ok(r.body.equals(page), `page differs:\n${r.body.toString()}`);
      const missing = await request('/no/such/page.html');
      assert.is(missing.status, 404);
      const head = await request('/', 'HEAD');
      assert.is(head.status, 200);
      assert.is(head.headers['content-length'], String(page.length));
      assert.is(head.body.length, 0);
    }),
  );

  t(
    'a 5 MiB file from the ext4 disk arrives intact',
    withTimeout(60_000, async () => {
      const r = await request('/disk/big.bin');
      assert.is(r.status, 200);
      assert.is(r.body.length, big!.length);
      const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
      assert.is(sha(r.body), sha(big!));
    }),
  );

  t(
    '50 concurrent keep-alive connections for 3 s: no failed request',
    withTimeout(60_000, async () => {
      const r = await execa('wrk', ['-t2', '-c50', '-d3s', '--timeout', '5s', `http://127.0.0.1:${port}/`], { reject: false, all: true });
      assert.is(r.exitCode, 0, String(r.all));
      const text = String(r.all);
      const done = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
      assert.ok(done > 500, text);
      assert.not.match(text, /Socket errors|Non-2xx/, text);
    }),
  );

  /** The stop test, registered after a platform's own tests (they need the server). */
  const stop = () =>
    t(
      `stopping lunik run stops ${platform === 'posix' ? 'nginx and passt' : 'QEMU'}`,
      withTimeout(30_000, async () => {
        const kids = (await execa('pgrep', ['-P', String(server!.pid)], { reject: false })).stdout.split('\n').filter(Boolean);
        server!.kill('SIGINT');
        await server;
        for (const k of kids) assert.not.ok(await fs.access(`/proc/${k}`).then(() => true, () => false), `process ${k} still runs`);
        assert.match(output, /\] "GET \/ HTTP\/1\.1" 200 612 /, 'nginx logs to stdout');
      }),
    );
  return { t, stop };
}

const posix = nginxSuite('posix');
posix.t(
  'strace: the host sees no accept and no open of the served files',
  withTimeout(60_000, async () => {
    const kids = (await execa('pgrep', ['-P', String(server!.pid)], { reject: false })).stdout.split('\n').filter(Boolean);
    let pid = '';
    for (const k of kids) if ((await fs.readlink(`/proc/${k}/exe`).catch(() => '')).endsWith('/bin/nginx')) pid = k;
    assert.ok(pid, `no nginx process among ${kids.join(' ')}`);
    const dir = await tempDir('strace');
    const log = path.join(dir, 'strace.log');
    const st = execa('strace', ['-f', '-p', pid, '-o', log], { reject: false, all: true });
    await new Promise((r) => setTimeout(r, 1000)); // strace attaches
    for (const p of ['/', '/disk/big.bin', '/index.html']) assert.is((await request(p)).status, 200);
    st.kill('SIGINT');
    await st;
    const trace = await fs.readFile(log, 'utf8');
    assert.ok(trace.length > 0, 'strace recorded nothing');
    assert.not.match(trace, /\baccept4?\(/, 'a host accept: the listening socket must live in the kernel library');
    assert.not.match(trace, /(open|openat|stat|newfstatat|statx)\([^\n]*(index\.html|big\.bin|\/var\/www|\/srv)/, 'the host opened a served file');
  }),
);


posix.t(
  '--tap NAME (root): lunik makes the TAP device, nginx answers at its own address, the device goes at exit',
  withTimeout(90_000, async () => {
    if (!(typeof process.getuid === 'function' && process.getuid() === 0)) {
      console.log('  skip: --tap needs root to make a TAP device');
      return;
    }
    const tap = `lunikt${process.pid % 10000}`;
    const run = execa(process.execPath, [LUNIK, 'run', 'nginx', '--platform', 'posix', '--tap', tap], { reject: false, all: true, env: { CI: '1' }, cwd: ROOT });
    let out = '';
    run.all!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const t0 = Date.now();
      let got: Reply | undefined;
      while (!got) {
        if (run.exitCode !== null || Date.now() - t0 > 30_000) assert.unreachable(`nginx on TAP did not answer:\n${out.slice(-2000)}`);
        // until the device exists, 10.0.2.15 may be routed elsewhere
        if (!(await fs.access(`/sys/class/net/${tap}`).then(() => true, () => false))) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        got = await new Promise<Reply | undefined>((resolve) => {
          const req = http.get({ host: '10.0.2.15', port: 80, path: '/', agent: false, timeout: 1000 }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          });
          req.on('error', () => resolve(undefined));
          req.on('timeout', () => (req.destroy(), resolve(undefined)));
        });
        // until the device has its address, 10.0.2.15 may still be routed
        // elsewhere (this machine's network has a host there answering 404)
        if (got && got.status !== 200) got = undefined;
        if (!got) await new Promise((r) => setTimeout(r, 200));
      }
      assert.is(got.status, 200);
      assert.ok(got.body.equals(await fs.readFile(path.join(ROOT, 'apps/nginx/www/index.html'))));
    } finally {
      // stop it as Ctrl-C would; never leave it running if that fails
      const kids = (await execa('pgrep', ['-P', String(run.pid)], { reject: false })).stdout.split('\n').filter(Boolean);
      run.kill('SIGINT');
      const late = setTimeout(() => {
        for (const k of kids) execa('kill', ['-KILL', k], { reject: false });
        run.kill('SIGKILL');
        execa('ip', ['link', 'del', tap], { reject: false });
      }, 15_000);
      await run;
      clearTimeout(late);
    }
    assert.not.ok(await fs.access(`/sys/class/net/${tap}`).then(() => true, () => false), `${tap} was left behind`);
  }),
);

posix.stop();

const hw = nginxSuite('hw');
hw.t(
  'the console shows the Linux 6.12 boot log',
  withTimeout(10_000, async () => {
    assert.match(output, /^Linux version 6\.12\.\d+/m);
    assert.match(output, /^pci 0000:00:\S+ \[1af4:/m); // QEMU's virtio devices, found by Linux's PCI core
  }),
);

hw.t(
  'bad input on hw: an occupied host port; no QEMU',
  withTimeout(240_000, async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const used = (busy.address() as net.AddressInfo).port;
    try {
      const r = await lunik(['run', 'nginx', '-p', `${used}:80`]);
      assert.is(r.exitCode, 2, r.all.slice(-2000));
      assert.match(r.stderr, new RegExp(`host port ${used} is already in use`));
    } finally {
      busy.close();
    }
    // a PATH with the build tools (everything is cached by now) and no QEMU
    const bin = await tempDir('noqemu');
    for (const tool of ['gcc', 'cc', 'make', 'ar', 'as', 'ld', 'objcopy', 'dpkg-query', 'apt-get', 'apt-cache', 'dpkg', 'sh', 'patch', 'cpio', 'passt', 'dpkg-source']) {
      const { stdout } = await execa('sh', ['-c', `command -v ${tool} || true`]);
      if (stdout.trim()) await fs.symlink(stdout.trim(), path.join(bin, tool));
    }
    const r = await lunik(['run', 'hello'], { env: { PATH: bin }, timeoutMs: 200_000 });
    assert.is(r.exitCode, 2, r.all.slice(-2000));
    assert.match(r.stderr, /missing host tool: qemu-system-x86_64/);
  }),
);

hw.stop();

for (const s of [posix.t, hw.t])
  s.after(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGKILL');
      await server;
    }
  });

posix.t.run();
hw.t.run();
