// lunik doctor [--install]: host tools, the deb-src entry and the accelerator, one line each.
import fs from 'node:fs';
import { execa } from 'execa';
import { kvmProbe } from '../core/accel.js';
import { LUNIK_SOURCES_FILE, debSrcFileText, debSrcStatus, hasApt, isRoot } from '../core/apt.js';
import { LunikError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fsutil.js';
import { TOOLS, type ToolSpec } from '../core/tools.js';
import type { Command } from './command.js';

interface Finding {
  ok: boolean;
  name: string;
  detail: string;
  pkg?: string;
}

async function checkTools(): Promise<Finding[]> {
  return Promise.all(
    TOOLS.map(async (t: ToolSpec) => {
      const v = await t.probe();
      return v === undefined ? { ok: false, name: t.name, detail: `missing — ${t.purpose}`, pkg: t.pkg } : { ok: true, name: t.name, detail: `${v} — ${t.purpose}` };
    }),
  );
}

async function checkDebSrc(): Promise<Finding & { text?: string }> {
  if (!(await hasApt())) return { ok: false, name: 'deb-src', detail: 'apt is not available on this host' };
  const s = await debSrcStatus();
  if (!s.missing.length && s.present.length) return { ok: true, name: 'deb-src', detail: `source packages available for ${[...new Set(s.present)].join(', ')}` };
  if (!s.missing.length) return { ok: false, name: 'deb-src', detail: 'no Debian or Ubuntu archive found in the apt sources' };
  return { ok: false, name: 'deb-src', detail: `missing for ${s.missing.flatMap((m) => m.suites).join(', ')} — needed to fetch musl and nginx sources`, text: debSrcFileText(s.missing) };
}

function line(f: Finding): string {
  return `${f.ok ? 'ok     ' : 'MISSING'} ${f.name.padEnd(20)} ${f.detail}`;
}

export const doctor: Command = {
  name: 'doctor',
  summary: 'check host tools, Debian packages and the accelerator; --install installs what is missing',
  usage: 'lunik doctor [--install] [--reprobe] [--quiet]',
  options: {
    install: { type: 'boolean', description: 'install what is missing with apt (root, Debian/Ubuntu)' },
    reprobe: { type: 'boolean', description: 'probe KVM again instead of using the cached result' },
    quiet: { type: 'boolean', description: 'print only problems and what was installed' },
  },
  async run({ values }) {
    const out = (s: string) => process.stdout.write(s + '\n');
    const quiet = !!values.quiet;
    let tools = await checkTools();
    let debsrc = await checkDebSrc();
    const missingPkgs = [...new Set(tools.filter((t) => !t.ok).map((t) => t.pkg!))];

    if (values.install && (missingPkgs.length || !debsrc.ok)) {
      if (!(await hasApt())) throw new LunikError({ where: 'doctor', message: 'cannot install: apt is not available on this host', fix: `install these packages by hand: ${missingPkgs.join(' ')}`, code: 2 });
      const cmds = [...(debsrc.text ? [`write ${LUNIK_SOURCES_FILE}`] : []), 'apt-get update', ...(missingPkgs.length ? [`apt-get install -y ${missingPkgs.join(' ')}`] : [])];
      if (!isRoot()) {
        throw new LunikError({
          where: 'doctor',
          message: 'installing needs root',
          fix: `run as root: sudo npx lunik doctor --install   (it will: ${cmds.join('; ')})`,
          code: 2,
        });
      }
      if (debsrc.text) {
        await writeFileAtomic(LUNIK_SOURCES_FILE, debsrc.text);
        out(`doctor: wrote ${LUNIK_SOURCES_FILE} (deb-src entries derived from this machine's apt sources)`);
      }
      const run = async (args: string[]) => {
        out(`doctor: $ apt-get ${args.join(' ')}`);
        const r = await execa('apt-get', args, { reject: false, all: true, stdin: 'ignore', env: { DEBIAN_FRONTEND: 'noninteractive' } });
        if (r.exitCode !== 0) throw new LunikError({ where: 'doctor', message: `apt-get ${args[0]} failed (exit ${r.exitCode})`, context: (r.all ?? '').trim().split('\n').slice(-5), fix: 'fix the apt problem shown above, then run lunik doctor --install again' });
      };
      await run(['update', '-qq']);
      if (missingPkgs.length) await run(['install', '-y', '-qq', '--no-install-recommends', ...missingPkgs]);
      tools = await checkTools();
      debsrc = await checkDebSrc();
    }

    const all = [...tools, debsrc];
    for (const f of all) if (!quiet || !f.ok) out(line(f));

    if (fs.existsSync('/dev/kvm') && tools.find((t) => t.name === 'qemu-system-x86_64')?.ok) {
      const p = await kvmProbe((s) => out(`doctor: ${s}`), !!values.reprobe);
      if (!quiet) out(`${'ok     '} ${'accel auto'.padEnd(20)} ${p.kvm ? 'kvm' : 'tcg'} — ${p.reason} (probed ${p.probedAt.slice(0, 10)})`);
    } else if (!quiet) {
      out(`${'ok     '} ${'accel auto'.padEnd(20)} tcg — /dev/kvm is not available`);
    }

    const bad = all.filter((f) => !f.ok);
    if (bad.length) {
      const pkgs = [...new Set(bad.map((b) => b.pkg).filter(Boolean))];
      throw new LunikError({
        where: 'doctor',
        message: `${bad.length} requirement${bad.length > 1 ? 's are' : ' is'} missing: ${bad.map((b) => b.name).join(', ')}`,
        fix: isRoot() ? 'run: npx lunik doctor --install' : `run as root: sudo npx lunik doctor --install${pkgs.length ? `   (or: sudo apt-get install ${pkgs.join(' ')})` : ''}`,
        code: 2,
      });
    }
    if (!quiet) out('doctor: everything lunik needs is here');
    return 0;
  },
};

