// passt for one posix process unikernel: a private UNIX socket the guest's virtio-net
// device connects to (QEMU -netdev stream framing), TCP port forwards, fixed guest addresses.
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LunikError, badInput } from '../core/errors.js';
import { requireTools } from '../core/tools.js';

/** A host TCP port forwarded to a guest port (`-p HOST:GUEST`). */
export interface PortForward {
  host: number;
  guest: number;
}

/** How the guest configures its interface: statically, the same values passt assumes (`-a`, `-n`, `-g`). */
export interface GuestNetwork {
  /** The guest's IPv4 address. */
  address: string;
  /** Its prefix length. */
  prefix: number;
  /** The same as a dotted netmask. */
  netmask: string;
  /** The default gateway: passt itself (it answers ARP for it); connections to it reach the host's 127.0.0.1. */
  gateway: string;
  /** The MTU to give the guest's device (`lkl_netdev_stream_create(spec, LKL_NETDEV_STREAM, mtu)`). */
  mtu: number;
}

/** The fixed addressing every guest gets (QEMU user networking's numbers). */
export const GUEST_NETWORK: Readonly<GuestNetwork> = Object.freeze({
  address: '10.0.2.15',
  prefix: 24,
  netmask: '255.255.255.0',
  gateway: '10.0.2.2',
  mtu: 65520,
});

export interface PasstOptions {
  /** Host TCP ports to forward; each is checked free on 127.0.0.1 and 0.0.0.0 first. */
  forwards: PortForward[];
  /** Who reports errors (default "run"). */
  where?: string;
  /** How long passt may take to open its socket (default 5000 ms). */
  timeoutMs?: number;
}

export interface Passt {
  /** The UNIX socket path passt listens on (in a private temp dir). */
  socket: string;
  /** `unix:PATH`, for `lkl_netdev_stream_create(spec, LKL_NETDEV_STREAM, mtu)`. */
  spec: string;
  /** The addressing to configure in the guest. */
  guest: GuestNetwork;
  forwards: PortForward[];
  pid: number;
  /** passt's command line (without the program name). */
  args: string[];
  /** Milliseconds from spawning passt until its socket accepted connections. */
  startupMs: number;
  /** Resolves when passt exits (after stop(), or if it dies). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What passt has printed so far (syslog complaints left out). */
  output(): string;
  /** Stop passt (SIGTERM, then SIGKILL after 3 s), wait for it, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Parse `-p HOST:GUEST` (bad input, exit 2, when it is not two ports 1-65535). */
export function parsePortForward(spec: string, where = 'run'): PortForward {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(spec);
  const [host, guest] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || host < 1 || host > 65535 || guest < 1 || guest > 65535)
    throw badInput(where, `bad port mapping "${spec}"`, 'write it as HOST:GUEST with ports 1-65535, e.g. -p 8080:80');
  return { host, guest };
}

function tryBind(port: number, host: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}

/** The first error binding port on 127.0.0.1 or 0.0.0.0 (passt binds the IPv4 wildcard), with the address. */
async function bindProblem(port: number): Promise<{ host: string; err: NodeJS.ErrnoException } | undefined> {
  for (const host of ['127.0.0.1', '0.0.0.0']) {
    const err = await tryBind(port, host);
    if (err) return { host, err };
  }
  return undefined;
}

/** A free port to suggest instead: the next ones up, or PORT+8000 for a privileged one (80: 8080). */
async function freePortNear(port: number, taken: Set<number>): Promise<number | undefined> {
  const start = port < 1024 ? port + 8000 : port + 1;
  for (let p = start; p < Math.min(start + 100, 65536); p++) if (!taken.has(p) && !(await bindProblem(p))) return p;
  return undefined;
}

/**
 * Check that every host port can be bound, before passt starts: a clear
 * error naming the port (and a free one to use instead) rather than passt's.
 */
/** A TCP port on 127.0.0.1 that nothing listens on now (the kernel picks it). */
export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export async function checkHostPorts(forwards: PortForward[], where = 'run'): Promise<void> {
  const taken = new Set(forwards.map((f) => f.host));
  for (const f of forwards) {
    const bad = await bindProblem(f.host);
    if (!bad) continue;
    const alt = await freePortNear(f.host, taken);
    const instead = alt ? `-p ${alt}:${f.guest}` : `another host port in -p HOST:${f.guest}`;
    if (bad.err.code === 'EADDRINUSE')
      throw new LunikError({
        where,
        message: `host port ${f.host} is already in use (binding ${bad.host}:${f.host} failed)`,
        fix: `publish another host port, e.g. ${instead}, or stop what listens there (ss -ltnp 'sport = :${f.host}' shows it)`,
        code: 2,
      });
    if (bad.err.code === 'EACCES')
      throw new LunikError({
        where,
        message: `host port ${f.host} needs privileges to bind (ports below net.ipv4.ip_unprivileged_port_start, usually 1024, are reserved for root)`,
        fix: `publish a port from 1024 up, e.g. ${instead}, or run as root`,
        code: 2,
      });
    throw new LunikError({ where, message: `cannot bind host port ${f.host} on ${bad.host}: ${bad.err.message}`, fix: `publish another host port, e.g. ${instead}`, code: 2 });
  }
}

/** nobody's uid and gid from /etc/passwd, for passt's --runas when we are root. */
function nobody(): { uid: number; gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
    const f = line?.split(':');
    if (f && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3])) return { uid: Number(f[2]), gid: Number(f[3]) };
  } catch {
    // no passwd file: passt keeps root
  }
  return undefined;
}

/** Is a UNIX socket bound at file and listening (flag __SO_ACCEPTCON in /proc/net/unix)? */
function listening(file: string): boolean {
  let table: string;
  try {
    table = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return existsSync(file);
  }
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 8 && f.slice(7).join(' ') === file && (parseInt(f[3], 16) & 0x10000) !== 0) return true;
  }
  return false;
}

const SYSLOG_NOISE = /^Failed to send \d+ bytes to syslog$/;

/**
 * Start passt for one guest. Resolves once its socket accepts connections;
 * the guest then connects to `spec` and configures `guest` statically.
 * Errors (LunikError): passt missing, a host port in use or privileged,
 * passt exiting early (its messages in the context), or not coming up in time.
 */
export async function startPasst(opts: PasstOptions): Promise<Passt> {
  const where = opts.where ?? 'run';
  const timeoutMs = opts.timeoutMs ?? 5000;
  const forwards = opts.forwards.map((f) => parsePortForward(`${f.host}:${f.guest}`, where));
  const dup = forwards.find((f, i) => forwards.findIndex((g) => g.host === f.host) !== i);
  if (dup) throw badInput(where, `host port ${dup.host} is published twice`, 'give each -p a different HOST port');
  await requireTools(where, ['passt']);
  await checkHostPorts(forwards, where);

  // sun_path holds 107 bytes; a long TMPDIR falls back to /tmp
  let base = os.tmpdir();
  if (path.join(base, 'lunik-passt-XXXXXX', 'passt.sock').length > 107) base = '/tmp';
  const dir = mkdtempSync(path.join(base, 'lunik-passt-'));
  const socket = path.join(dir, 'passt.sock');
  const g = GUEST_NETWORK;
  const args = ['--foreground', '--ipv4-only', '--socket', socket, '--address', g.address, '--netmask', String(g.prefix), '--gateway', g.gateway, '--tcp-ports', forwards.length ? forwards.map((f) => `${f.host}:${f.guest}`).join(',') : 'none', '--udp-ports', 'none'];
  // As root, passt switches to nobody before it binds its socket, which then
  // cannot enter our 0700 dir: give nobody the dir and say so with --runas
  // (-p 80:80 still works); without a nobody user passt keeps root.
  if (process.getuid?.() === 0) {
    const n = nobody();
    if (n) chownSync(dir, n.uid, n.gid);
    args.push('--runas', n ? `${n.uid}:${n.gid}` : '0');
  }

  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-65536);
  };
  const output = () =>
    out
      .split('\n')
      .filter((l) => !SYSLOG_NOISE.test(l.trim()))
      .join('\n')
      .trim();
  const t0 = performance.now();
  const child = spawn('passt', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (e) => {
      spawnError = e;
      status ??= { code: null, signal: null };
      resolve(status);
    });
    child.once('close', (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
  });
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const onProcessExit = () => {
    if (!status) child.kill('SIGKILL');
    cleanup();
  };
  process.on('exit', onProcessExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (!status) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      process.off('exit', onProcessExit);
      cleanup();
    })());

  const context = () => [`$ passt ${args.join(' ')}`, ...output().split('\n').filter(Boolean).slice(-20)];
  for (;;) {
    if (status) {
      await stop();
      const how = spawnError ? spawnError.message : status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
      throw new LunikError({
        where,
        message: `passt exited before its socket was ready (${how})`,
        context: context(),
        fix: "see passt's messages above; passt needs an IPv4 default route on the host to take its template interface from",
      });
    }
    if (listening(socket)) break;
    if (performance.now() - t0 > timeoutMs) {
      await stop();
      throw new LunikError({ where, message: `passt did not open its socket within ${(timeoutMs / 1000).toFixed(1)} s`, context: context(), fix: 'see its messages above, and check the machine is not overloaded' });
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const startupMs = Math.round((performance.now() - t0) * 10) / 10;

  return {
    socket,
    spec: `unix:${socket}`,
    guest: { ...g },
    forwards,
    pid: child.pid!,
    args,
    startupMs,
    exited,
    output,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
