// The Linux-VM baseline of lunik bench boot and lunik bench nginx --platform
// hw: Debian's kernel (linux-image-amd64, booted uncompressed through its PVH
// entry, as QEMU boots a lunik image) with an initramfs of busybox-static,
// Debian's nginx and its shared libraries, the virtio-net-pci drivers, and
// the same nginx.conf and page as the nginx app.
//
// Every package is fetched with `apt-get download` (the version apt's
// candidate names now, so a new Debian upload is a new cache key) and
// unpacked with dpkg-deb; nothing comes from the host's own installation.
//
//   out/vmlinux          the kernel, uncompressed (a PVH ELF)
//   out/initramfs.cpio   newc, uncompressed (nothing for TCG to decompress)
//   out/info.json        package versions, modules, sizes (VmBaselineInfo)
import { execa } from 'execa';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { cpioArchive, type CpioEntry } from '../core/cpio.js';
import { LunikError } from '../core/errors.js';
import { repoRoot } from '../core/paths.js';
import type { Stage, StageContext } from '../core/stage.js';
import { renderFile } from '../core/template.js';
import { templateVars, type App } from './app.js';

/** The kernel's command line: serial console, and a panic ends QEMU (-no-reboot). */
export const VM_CMDLINE = 'console=ttyS0 panic=-1 quiet';

/** The drivers of virtio-net-pci; their dependencies are read from the modules. */
const ROOT_MODULES = ['virtio_pci', 'virtio_net'];

const LIB_DIRS = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu', 'lib64', 'usr/lib64', 'lib', 'usr/lib'];

export interface VmBaselineInfo {
  /** Debian package → version, as fetched. */
  packages: Record<string, string>;
  /** The kernel's release (its modules folder), e.g. 6.1.0-56-amd64. */
  kernelRelease: string;
  /** Loaded by /init in this order. */
  modules: string[];
  /** Of ROOT_MODULES and their dependencies, those built into the kernel. */
  builtin: string[];
  /** What the kernel's bzImage compresses itself with. */
  vmlinuzCompression: string;
  cmdline: string;
  bytes: {
    vmlinuz: number;
    vmlinux: number;
    initramfs: number;
    /** gzip -9 of vmlinux and of the initramfs, summed. */
    gzip: number;
    /** nginx and its shared libraries, in the initramfs. */
    nginxAndLibs: number;
  };
}

const memo = new Map<string, Promise<string>>();

async function aptCache(args: string[]): Promise<string> {
  const r = await execa('apt-cache', args, { reject: false, stdin: 'ignore', timeout: 60_000 });
  return r.exitCode === 0 ? r.stdout : '';
}

/** apt's candidate version of a binary package. */
function candidate(pkg: string, where: string): Promise<string> {
  let v = memo.get(pkg);
  if (!v) {
    v = (async () => {
      const m = /^\s*Candidate: (\S+)$/m.exec(await aptCache(['policy', pkg]));
      if (!m || m[1] === '(none)')
        throw new LunikError({ where, message: `apt has no candidate for the Debian package ${pkg}`, fix: "run 'apt-get update' as root and try again", code: 2 });
      return m[1];
    })();
    v.catch(() => memo.delete(pkg));
    memo.set(pkg, v);
  }
  return v;
}

/** The packages a binary package version depends on (first of each alternative). */
async function depends(pkg: string, version: string): Promise<string[]> {
  const show = await aptCache(['show', `${pkg}=${version}`]);
  const field = /^Depends: (.*)$/m.exec(show.split(/\n\n/)[0])?.[1] ?? '';
  return field
    .split(',')
    .map((d) => d.split('|')[0].trim().split(/[\s(:]/)[0])
    .filter(Boolean);
}

/**
 * The packages and versions the baseline is made of: the kernel image that
 * linux-image-amd64 names, busybox-static, nginx and the libraries nginx
 * depends on.
 */
export async function vmBaselinePackages(where = 'vm-baseline'): Promise<Record<string, string>> {
  const meta = await candidate('linux-image-amd64', where);
  const image = (await depends('linux-image-amd64', meta)).find((d) => /^linux-image-\d/.test(d));
  if (!image) throw new LunikError({ where, message: `linux-image-amd64 ${meta} names no kernel image package` });
  const nginx = await candidate('nginx', where);
  const libs = (await depends('nginx', nginx)).filter((d) => /^(lib|zlib)/.test(d));
  const out: Record<string, string> = { [image]: await candidate(image, where), 'busybox-static': await candidate('busybox-static', where), nginx };
  for (const l of libs) out[l] = await candidate(l, where);
  return out;
}

// ---- ELF, as much as needed here (64-bit, little-endian) ----

interface Elf {
  buf: Buffer;
  phdrs: { type: number; offset: number; vaddr: number; filesz: number }[];
}

function readElf(buf: Buffer, name: string, where: string): Elf {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1)
    throw new LunikError({ where, message: `${name} is not a 64-bit little-endian ELF file` });
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  const phdrs = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    phdrs.push({ type: buf.readUInt32LE(o), offset: Number(buf.readBigUInt64LE(o + 8)), vaddr: Number(buf.readBigUInt64LE(o + 16)), filesz: Number(buf.readBigUInt64LE(o + 32)) });
  }
  return { buf, phdrs };
}

/** The program interpreter and DT_NEEDED libraries of a dynamic ELF. */
function dynamicDeps(elf: Elf): { interp?: string; needed: string[] } {
  const cstr = (o: number) => elf.buf.toString('latin1', o, elf.buf.indexOf(0, o));
  const interpH = elf.phdrs.find((p) => p.type === 3);
  const dyn = elf.phdrs.find((p) => p.type === 2);
  const needed: number[] = [];
  let strtab = 0;
  if (dyn)
    for (let o = dyn.offset; o + 16 <= dyn.offset + dyn.filesz; o += 16) {
      const tag = Number(elf.buf.readBigInt64LE(o));
      const val = Number(elf.buf.readBigUInt64LE(o + 8));
      if (tag === 0) break;
      if (tag === 1) needed.push(val);
      if (tag === 5) strtab = val;
    }
  const load = elf.phdrs.find((p) => p.type === 1 && strtab >= p.vaddr && strtab < p.vaddr + p.filesz);
  if (needed.length && !load) throw new Error('DT_STRTAB outside every load segment');
  const base = load ? strtab - load.vaddr + load.offset : 0;
  return { interp: interpH && cstr(interpH.offset), needed: needed.map((n) => cstr(base + n)) };
}

/** Whether an ELF kernel carries the PVH entry note (Xen, XEN_ELFNOTE_PHYS32_ENTRY = 18). */
export function hasPvhNote(buf: Buffer): boolean {
  const elf = readElf(buf, 'the kernel', 'vm-baseline');
  for (const p of elf.phdrs.filter((h) => h.type === 4))
    for (let o = p.offset; o + 12 <= p.offset + p.filesz; ) {
      const namesz = buf.readUInt32LE(o);
      const descsz = buf.readUInt32LE(o + 4);
      const type = buf.readUInt32LE(o + 8);
      const name = buf.toString('latin1', o + 12, o + 12 + Math.max(0, namesz - 1));
      if (name === 'Xen' && type === 18) return true;
      o += 12 + Math.ceil(namesz / 4) * 4 + Math.ceil(descsz / 4) * 4;
    }
  return false;
}

// ---- the stage ----

/** A newc archive of character devices (cpio.ts writes no devices). */
function deviceArchive(devices: { path: string; major: number; minor: number; mode: number }[]): Buffer {
  const f = (v: number) => v.toString(16).padStart(8, '0');
  const parts: Buffer[] = [];
  const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 0x100000;
  const add = (name: string, mode: number, major: number, minor: number) => {
    const nameBuf = Buffer.from(name + '\0');
    const head = Buffer.from('070701' + [ino++, mode, 0, 0, 1, 0, 0, 0, 0, major, minor, nameBuf.length, 0].map(f).join(''));
    parts.push(head, nameBuf, pad(head.length + nameBuf.length));
  };
  for (const d of devices) add(d.path, 0o020000 | d.mode, d.major, d.minor);
  add('TRAILER!!!', 0, 0, 0);
  return Buffer.concat(parts);
}

/** Find a file below root by name in the library folders; its bytes, symlinks followed inside root. */
async function findLib(root: string, name: string): Promise<Buffer | undefined> {
  const resolve = async (rel: string, depth = 0): Promise<string | undefined> => {
    const p = path.join(root, rel);
    const st = await fs.lstat(p).catch(() => undefined);
    if (!st) return undefined;
    if (!st.isSymbolicLink()) return st.isFile() ? p : undefined;
    if (depth > 8) return undefined;
    const t = await fs.readlink(p);
    return resolve(t.startsWith('/') ? t.slice(1) : path.join(path.dirname(rel), t), depth + 1);
  };
  for (const d of LIB_DIRS) {
    const p = await resolve(path.join(d, name));
    if (p) return fs.readFile(p);
  }
  return undefined;
}

/** Find a kernel image's vmlinux inside its bzImage: the first compressed stream that unpacks to an ELF. */
async function extractVmlinux(ctx: StageContext, vmlinuz: string, out: string): Promise<string> {
  const buf = await fs.readFile(vmlinuz);
  const xz = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
  for (let at = buf.indexOf(xz); at >= 0; at = buf.indexOf(xz, at + 1)) {
    // --single-stream: the bzImage goes on after the payload
    await ctx.exec('sh', ['-c', 'tail -c +"$1" "$2" | xz -dc --single-stream > "$3" 2>/dev/null; exit 0', 'sh', String(at + 1), vmlinuz, out]);
    const head = Buffer.alloc(4);
    const fh = await fs.open(out);
    await fh.read(head, 0, 4, 0);
    await fh.close();
    if (head.readUInt32BE(0) === 0x7f454c46) return 'xz';
  }
  const kinds: [string, number[]][] = [['gzip', [0x1f, 0x8b, 0x08]], ['zstd', [0x28, 0xb5, 0x2f, 0xfd]], ['lz4', [0x02, 0x21, 0x4c, 0x18]]];
  const found = kinds.filter(([, m]) => buf.indexOf(Buffer.from(m)) >= 0).map(([k]) => k);
  throw new LunikError({ where: ctx.id, message: `no xz-compressed vmlinux found in ${path.basename(vmlinuz)}${found.length ? ` (it may be ${found.join(' or ')}, which this stage does not unpack)` : ''}` });
}

export function vmBaselineStage(app: App): Stage {
  const initScript = () => path.join(repoRoot(), 'bench/vm-init.sh');
  const id = 'vm-baseline';
  return {
    id,
    version: 1,
    verb: "making the Linux-VM baseline (Debian's kernel, busybox, nginx)",
    deps: [],
    artefacts: ['vmlinux', 'initramfs.cpio'],
    async inputs() {
      return {
        files: [initScript(), path.join(app.dir, 'nginx.conf.njk'), path.join(app.dir, 'www'), path.join(repoRoot(), 'src/stages/vm-baseline.ts'), path.join(repoRoot(), 'src/core/cpio.ts')],
        config: { cmdline: VM_CMDLINE, vars: templateVars(app.recipe) as never },
        tools: ['xz'],
        facts: Object.fromEntries(Object.entries(await vmBaselinePackages(id)).map(([p, v]) => [`${p} (Debian)`, v])),
      };
    },
    async run(ctx) {
      const packages = await vmBaselinePackages(id);
      const image = Object.keys(packages).find((p) => p.startsWith('linux-image-'))!;
      ctx.note(`Linux-VM baseline: Debian ${image} ${packages[image]}, nginx ${packages.nginx}, busybox-static ${packages['busybox-static']}`);
      const dl = await fs.mkdtemp(path.join(os.tmpdir(), 'lunik-vm-'));
      try {
        // apt runs the download as the unprivileged _apt user where it can
        await fs.chmod(dl, 0o777);
        await ctx.exec('apt-get', ['download', '-q', ...Object.entries(packages).map(([p, v]) => `${p}=${v}`)], { cwd: dl, timeoutMs: 15 * 60_000 });
        const debs = (await fs.readdir(dl)).filter((n) => n.endsWith('.deb'));
        const tree = path.join(dl, 'tree');
        const kernelTree = path.join(dl, 'kernel');
        for (const deb of debs) await ctx.exec('dpkg-deb', ['-x', deb, deb.startsWith(`${image}_`) ? kernelTree : tree], { cwd: dl, timeoutMs: 10 * 60_000 });

        // the kernel
        const boot = path.join(kernelTree, 'boot');
        const vmlinuzName = (await fs.readdir(boot)).find((n) => n.startsWith('vmlinuz-'));
        if (!vmlinuzName) throw new LunikError({ where: id, message: `${image} holds no /boot/vmlinuz-*` });
        const release = vmlinuzName.slice('vmlinuz-'.length);
        const vmlinux = path.join(ctx.out, 'vmlinux');
        const compression = await extractVmlinux(ctx, path.join(boot, vmlinuzName), vmlinux);
        const kernelBytes = await fs.readFile(vmlinux);
        if (!hasPvhNote(kernelBytes))
          throw new LunikError({ where: id, message: `Debian's kernel ${release} has no PVH entry note (CONFIG_PVH): QEMU cannot boot its vmlinux directly` });

        // the drivers of virtio-net-pci, dependencies first
        const modDir = path.join(kernelTree, 'lib/modules', release);
        const builtinText = await fs.readFile(path.join(modDir, 'modules.builtin'), 'utf8').catch(() => '');
        const norm = (n: string) => n.replace(/-/g, '_');
        const builtinSet = new Set(builtinText.split('\n').map((l) => norm(path.basename(l).replace(/\.ko.*$/, ''))));
        const koPath = new Map<string, string>();
        const walk = async (d: string): Promise<void> => {
          for (const e of await fs.readdir(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) await walk(p);
            else if (/\.ko(\.xz)?$/.test(e.name)) koPath.set(norm(e.name.replace(/\.ko(\.xz)?$/, '')), p);
          }
        };
        await walk(path.join(modDir, 'kernel'));
        const order: string[] = [];
        const builtin: string[] = [];
        const moduleFiles: CpioEntry[] = [];
        const visit = async (name: string, trail: string[]): Promise<void> => {
          if (order.includes(name) || builtin.includes(name)) return;
          if (trail.includes(name)) throw new LunikError({ where: id, message: `module dependency cycle: ${[...trail, name].join(' → ')}` });
          const file = koPath.get(name);
          if (!file) {
            if (builtinSet.has(name)) return void builtin.push(name);
            throw new LunikError({ where: id, message: `${release} has no module ${name} and does not build it in` });
          }
          let data = await fs.readFile(file);
          if (file.endsWith('.xz')) data = Buffer.from((await ctx.exec('sh', ['-c', 'xz -dc "$1" | base64 -w0', 'sh', file])).stdout, 'base64');
          const deps = /\0depends=([^\0]*)\0/.exec(data.toString('latin1'))?.[1] ?? '';
          for (const d of deps.split(',').filter(Boolean)) await visit(norm(d), [...trail, name]);
          order.push(name);
          moduleFiles.push({ path: `/lib/modules/${name}.ko`, type: 'file', mode: 0o644, data });
        };
        for (const m of ROOT_MODULES) await visit(m, []);
        ctx.log(`modules, in load order: ${order.join(' ')}; built in: ${builtin.join(' ') || 'none'}`);

        // nginx and the libraries it loads
        const libs = new Map<string, Buffer>();
        let interp = '';
        const needs = async (bytes: Buffer, what: string) => {
          const d = dynamicDeps(readElf(bytes, what, id));
          if (d.interp && !interp) interp = d.interp;
          for (const n of d.needed) {
            if (libs.has(n)) continue;
            const lib = await findLib(tree, n);
            if (!lib) throw new LunikError({ where: id, message: `${what} needs ${n}, which none of the fetched packages holds` });
            libs.set(n, lib);
            await needs(lib, n);
          }
        };
        const nginx = await fs.readFile(path.join(tree, 'usr/sbin/nginx'));
        await needs(nginx, 'nginx');
        const ld = interp && (await findLib(tree, path.basename(interp)));
        if (!ld) throw new LunikError({ where: id, message: `nginx's program interpreter ${interp || '(none)'} is missing` });
        ctx.log(`nginx loads ${[...libs.keys()].join(' ')} through ${interp}`);

        const busybox = await fs.readFile(path.join(tree, 'bin/busybox'));
        const www = path.join(app.dir, 'www');
        const entries: CpioEntry[] = [
          { path: '/init', type: 'file', mode: 0o755, data: await fs.readFile(initScript()) },
          { path: '/bin/busybox', type: 'file', mode: 0o755, data: busybox },
          ...['sh', 'mount', 'insmod', 'ip', 'sleep', 'echo'].map((a) => ({ path: `/bin/${a}`, type: 'symlink' as const, mode: 0o777, data: 'busybox' })),
          { path: '/usr/sbin/nginx', type: 'file', mode: 0o755, data: nginx },
          ...[...libs].map(([n, data]) => ({ path: `/lib/x86_64-linux-gnu/${n}`, type: 'file' as const, mode: 0o755, data })),
          libs.has(path.basename(interp)) ? { path: interp, type: 'symlink', mode: 0o777, data: `/lib/x86_64-linux-gnu/${path.basename(interp)}` } : { path: interp, type: 'file', mode: 0o755, data: ld },
          ...moduleFiles,
          { path: '/lib/modules/load-order', type: 'file', mode: 0o644, data: order.join('\n') + '\n' },
          // nginx looks these up even as root with master_process off
          { path: '/etc/passwd', type: 'file', mode: 0o644, data: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
          { path: '/etc/group', type: 'file', mode: 0o644, data: 'root:x:0:\nnogroup:x:65534:\n' },
          { path: '/etc/nginx/nginx.conf', type: 'file', mode: 0o644, data: renderFile(path.join(app.dir, 'nginx.conf.njk'), templateVars(app.recipe), id) },
          // Debian's nginx's built-in paths: its temp files and logs
          { path: '/var/lib/nginx', type: 'dir', mode: 0o755 },
          { path: '/var/log/nginx', type: 'dir', mode: 0o755 },
          { path: '/tmp', type: 'dir', mode: 0o1777 },
          { path: '/proc', type: 'dir', mode: 0o755 },
          { path: '/sys', type: 'dir', mode: 0o755 },
          { path: '/root', type: 'dir', mode: 0o700 },
          { path: '/dev', type: 'dir', mode: 0o755 },
          ...[0, 1, 2].map((fd) => ({ path: `/dev/${['stdin', 'stdout', 'stderr'][fd]}`, type: 'symlink' as const, mode: 0o777, data: `/proc/self/fd/${fd}` })),
          { path: '/dev/fd', type: 'symlink', mode: 0o777, data: '/proc/self/fd' },
        ];
        for (const n of await fs.readdir(www, { recursive: true })) {
          const p = path.join(www, n);
          if ((await fs.stat(p)).isFile()) entries.push({ path: path.posix.join('/var/www/html', n.split(path.sep).join('/')), type: 'file', mode: 0o644, data: await fs.readFile(p) });
        }
        // the kernel opens /dev/console for init before anything runs
        const initramfs = Buffer.concat([
          cpioArchive(entries),
          deviceArchive([
            { path: 'dev/console', major: 5, minor: 1, mode: 0o600 },
            { path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
          ]),
        ]);
        await fs.writeFile(path.join(ctx.out, 'initramfs.cpio'), initramfs);

        const gz = (b: Buffer) => new Promise<number>((res, rej) => zlib.gzip(b, { level: 9 }, (e, r) => (e ? rej(e) : res(r.length))));
        const info: VmBaselineInfo = {
          packages,
          kernelRelease: release,
          modules: order,
          builtin,
          vmlinuzCompression: compression,
          cmdline: VM_CMDLINE,
          bytes: {
            vmlinuz: (await fs.stat(path.join(boot, vmlinuzName))).size,
            vmlinux: kernelBytes.length,
            initramfs: initramfs.length,
            gzip: (await gz(kernelBytes)) + (await gz(initramfs)),
            nginxAndLibs: nginx.length + (libs.has(path.basename(interp)) ? 0 : ld.length) + [...libs.values()].reduce((s, b) => s + b.length, 0),
          },
        };
        await fs.writeFile(path.join(ctx.out, 'info.json'), JSON.stringify(info, null, 2) + '\n');
        ctx.log(`vmlinux ${info.bytes.vmlinux} bytes, initramfs ${info.bytes.initramfs} bytes`);
      } finally {
        await fs.rm(dl, { recursive: true, force: true });
      }
    },
  };
}
