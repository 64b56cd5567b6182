// The host tools the pipeline needs: how to find each one, its version, and its Debian package.
import { accessSync, constants as fsConstants, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { LunikError } from './errors.js';
import { cacheRoot } from './paths.js';

export interface ToolSpec {
  name: string;
  /** What lunik needs it for, shown by doctor. */
  purpose: string;
  /** Debian package that provides it. */
  pkg: string;
  /** The tool's version, or undefined when it is missing. */
  probe: () => Promise<string | undefined>;
  /**
   * What changes when the tool is replaced (its binary's identity, or dpkg's
   * database), so a probed version can be reused across runs; undefined
   * when the tool is missing.
   */
  stamp: () => string | undefined;
}

function statStamp(file: string): string | undefined {
  try {
    const st = statSync(file);
    return `${file}:${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** The binary a command name runs, by the same PATH search as the shell. */
function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir || '.', cmd);
    try {
      accessSync(p, fsConstants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here, or not executable: keep searching like the shell
    }
  }
  return undefined;
}

const DPKG_STATUS = '/var/lib/dpkg/status';

async function firstLine(cmd: string, args: string[], pattern = /(\d+\.\d+(?:\.\d+)?)/): Promise<string | undefined> {
  try {
    const r = await execa(cmd, args, { reject: false, timeout: 10_000, all: true, stdin: 'ignore' });
    if (r.failed && r.exitCode === undefined) return undefined;
    const text = r.all ?? '';
    if ((r as { code?: string }).code === 'ENOENT') return undefined;
    const m = pattern.exec(text);
    return m ? m[1] : text.split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

async function dpkgVersion(pkg: string): Promise<string | undefined> {
  try {
    const r = await execa('dpkg-query', ['-W', '-f', '${db:Status-Status} ${Version}', pkg], { reject: false, stdin: 'ignore' });
    const m = /^installed (\S+)$/.exec(r.stdout.trim());
    return m ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

function bin(name: string, args: string[], pkg: string, purpose: string, pattern?: RegExp): ToolSpec {
  return {
    name,
    pkg,
    purpose,
    probe: () => firstLine(name, args, pattern),
    stamp: () => {
      const p = which(name);
      return p && statStamp(p);
    },
  };
}

/** The Linux source package the kernel stage builds from. */
export const LINUX_SOURCE_PKG = 'linux-source-6.12';
export const LINUX_SOURCE_TARBALL = '/usr/src/linux-source-6.12.tar.xz';

export const TOOLS: ToolSpec[] = [
  bin('gcc', ['-dumpfullversion'], 'gcc', 'compiles the kernel, platforms and apps', /^(\S+)/),
  bin('make', ['--version'], 'make', 'drives the kernel build'),
  bin('flex', ['--version'], 'flex', 'kernel build (Kconfig lexer)'),
  bin('bison', ['--version'], 'bison', 'kernel build (Kconfig parser)'),
  bin('bc', ['--version'], 'bc', 'kernel build (timeconst)'),
  bin('perl', ['-e', 'print "$^V\\n"'], 'perl', 'kernel build scripts', /v?(\d+\.\d+\.\d+)/),
  {
    name: 'libelf',
    pkg: 'libelf-dev',
    purpose: 'kernel build (objtool, resolve_btfids headers)',
    probe: async () => (existsSync('/usr/include/libelf.h') || existsSync('/usr/include/libelf/libelf.h') ? dpkgVersion('libelf-dev').then((v) => v ?? 'present') : undefined),
    stamp: () => (existsSync('/usr/include/libelf.h') ? statStamp(DPKG_STATUS) : undefined),
  },
  bin('xz', ['--version'], 'xz-utils', 'unpacks the Linux source'),
  bin('cpio', ['--version'], 'cpio', 'initramfs archives'),
  bin('dpkg-source', ['--version'], 'dpkg-dev', 'unpacks Debian source packages (musl, nginx)', /version (\d+(?:\.\d+)+)/),
  {
    name: 'mkfs.vfat',
    pkg: 'dosfstools',
    purpose: 'vfat disk images (disk tests, EFI system partitions)',
    // mkfs.vfat has no --version; its --help ends with "mkfs.fat 4.2 (...)"
    probe: () => firstLine('mkfs.vfat', ['--help'], /mkfs\.fat (\d+\.\d+(?:\.\d+)?)/),
    stamp: () => {
      const p = which('mkfs.vfat');
      return p && statStamp(p);
    },
  },
  bin('mcopy', ['--version'], 'mtools', 'reads files back out of vfat images (disk tests)'),
  bin('mkfs.ext4', ['-V'], 'e2fsprogs', 'ext4 disk images; e2fsck and debugfs check them (disk and fs tests)', /mke2fs (\d+\.\d+(?:\.\d+)?)/),
  bin('sfdisk', ['--version'], 'fdisk', 'partitioned disk images (fs tests)'),
  bin('qemu-system-x86_64', ['--version'], 'qemu-system-x86', 'boots and verifies images'),
  {
    name: 'passt',
    pkg: 'passt',
    purpose: 'rootless networking for posix process unikernels',
    // Debian's passt --version says "passt unknown version": dpkg knows it
    probe: async () => (which('passt') ? ((await dpkgVersion('passt')) ?? firstLine('passt', ['--version'], /^passt (\S+)/)) : undefined),
    stamp: () => {
      const p = which('passt');
      return p && `${statStamp(p)}|${statStamp(DPKG_STATUS)}`;
    },
  },
  bin('wrk', ['--version'], 'wrk', 'HTTP load for the app tests and benchmarks'),
  bin('autoreconf', ['--version'], 'autoconf', 'the configure-based test project (test/fixtures/autoconf-app)'),
  bin('strace', ['-V'], 'strace', 'tests that check what an app asks of the host'),
  bin('cmake', ['--version'], 'cmake', 'the CMake test project (test/fixtures/cmake-app)'),
  bin('gdb', ['--version'], 'gdb', 'debugging hw images (lunik run --gdb) and its test'),
  bin('ip', ['-V'], 'iproute2', 'TAP devices and network namespaces (lunik run --tap, lunik bench)', /iproute2-(\d+(?:\.\d+)+)/),
  bin('nginx', ['-v'], 'nginx', 'the host baseline of lunik bench nginx', /nginx\/(\S+)/),
  {
    name: LINUX_SOURCE_PKG,
    pkg: LINUX_SOURCE_PKG,
    purpose: 'the Linux 6.12 source the kernel library is built from',
    probe: async () => (existsSync(LINUX_SOURCE_TARBALL) ? dpkgVersion(LINUX_SOURCE_PKG) : undefined),
    stamp: () => (existsSync(LINUX_SOURCE_TARBALL) ? `${statStamp(LINUX_SOURCE_TARBALL)}|${statStamp(DPKG_STATUS)}` : undefined),
  },
];

export function toolSpec(name: string): ToolSpec {
  const t = TOOLS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown tool ${name}`);
  return t;
}

const versions = new Map<string, Promise<string | undefined>>();
let remembered: Record<string, { stamp: string; version: string }> | undefined;
const memoFile = () => path.join(cacheRoot(), 'host', 'tool-versions.json');

function memo(): Record<string, { stamp: string; version: string }> {
  if (!remembered) {
    try {
      remembered = JSON.parse(readFileSync(memoFile(), 'utf8')) as Record<string, { stamp: string; version: string }>;
    } catch {
      remembered = {};
    }
  }
  return remembered;
}

function remember(name: string, stamp: string, version: string): void {
  const m = memo();
  m[name] = { stamp, version };
  try {
    mkdirSync(path.dirname(memoFile()), { recursive: true });
    const tmp = `${memoFile()}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(m));
    renameSync(tmp, memoFile());
  } catch {
    // only costs a probe next time
  }
}

/**
 * Version of a tool: probed once per process, and reused across runs while
 * the tool's stamp (binary identity, dpkg database) is unchanged — probing
 * spawns each tool, which a warm build should not pay for.
 */
export function toolVersion(name: string): Promise<string | undefined> {
  let v = versions.get(name);
  if (!v) {
    const spec = toolSpec(name);
    const stamp = spec.stamp();
    const known = stamp !== undefined ? memo()[name] : undefined;
    v = known && known.stamp === stamp ? Promise.resolve(known.version) : spec.probe();
    if (stamp !== undefined && !(known && known.stamp === stamp))
      v = v.then((version) => {
        if (version !== undefined) remember(name, stamp, version);
        return version;
      });
    versions.set(name, v);
  }
  return v;
}

/**
 * Check that tools are present before a command uses them; fail with the
 * same advice doctor gives.
 */
export async function requireTools(where: string, names: string[]): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const missing: ToolSpec[] = [];
  for (const n of names) {
    const v = await toolVersion(n);
    if (v === undefined) missing.push(toolSpec(n));
    else found[n] = v;
  }
  if (missing.length) {
    const pkgs = [...new Set(missing.map((t) => t.pkg))];
    throw new LunikError({
      where,
      message: `missing host tool${missing.length > 1 ? 's' : ''}: ${missing.map((t) => `${t.name} (${t.purpose})`).join(', ')}`,
      fix: `run 'npx lunik doctor --install' as root, or 'apt-get install ${pkgs.join(' ')}'`,
      code: 2,
    });
  }
  return found;
}
