// The host tools the pipeline needs: how to find each one, its version, and its Debian package.
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { LunikError } from './errors.js';

export interface ToolSpec {
  name: string;
  /** What lunik needs it for, shown by doctor. */
  purpose: string;
  /** Debian package that provides it. */
  pkg: string;
  /** The tool's version, or undefined when it is missing. */
  probe: () => Promise<string | undefined>;
}

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
  return { name, pkg, purpose, probe: () => firstLine(name, args, pattern) };
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
  },
  bin('xz', ['--version'], 'xz-utils', 'unpacks the Linux source'),
  bin('cpio', ['--version'], 'cpio', 'initramfs archives'),
  {
    name: 'mkfs.vfat',
    pkg: 'dosfstools',
    purpose: 'vfat disk images (disk tests, EFI system partitions)',
    // mkfs.vfat has no --version; its --help ends with "mkfs.fat 4.2 (...)"
    probe: () => firstLine('mkfs.vfat', ['--help'], /mkfs\.fat (\d+\.\d+(?:\.\d+)?)/),
  },
  bin('mcopy', ['--version'], 'mtools', 'reads files back out of vfat images (disk tests)'),
  bin('mkfs.ext4', ['-V'], 'e2fsprogs', 'ext4 disk images; e2fsck and debugfs check them (disk and fs tests)', /mke2fs (\d+\.\d+(?:\.\d+)?)/),
  bin('sfdisk', ['--version'], 'fdisk', 'partitioned disk images (fs tests)'),
  bin('qemu-system-x86_64', ['--version'], 'qemu-system-x86', 'boots and verifies images'),
  {
    name: LINUX_SOURCE_PKG,
    pkg: LINUX_SOURCE_PKG,
    purpose: 'the Linux 6.12 source the kernel library is built from',
    probe: async () => (existsSync(LINUX_SOURCE_TARBALL) ? dpkgVersion(LINUX_SOURCE_PKG) : undefined),
  },
];

export function toolSpec(name: string): ToolSpec {
  const t = TOOLS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown tool ${name}`);
  return t;
}

const versions = new Map<string, Promise<string | undefined>>();

/** Version of a tool, probed once per process. */
export function toolVersion(name: string): Promise<string | undefined> {
  let v = versions.get(name);
  if (!v) versions.set(name, (v = toolSpec(name).probe()));
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
