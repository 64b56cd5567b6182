// apt on the host: reading its sources, deriving deb-src entries from them, installing packages.
// No registry host name appears here: everything is read from the machine's own apt configuration.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export interface AptSource {
  file: string;
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  options: Record<string, string>;
}

const SOURCES_DIR = '/etc/apt/sources.list.d';
export const LUNIK_SOURCES_FILE = path.join(SOURCES_DIR, 'lunik-deb-src.sources');

function parseOneLine(file: string, text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const options: Record<string, string> = {};
    for (const kv of (m[2] ?? '').trim().split(/\s+/).filter(Boolean)) {
      const [k, v] = kv.split('=');
      if (k === 'signed-by') options['Signed-By'] = v ?? '';
      else options[k] = v ?? '';
    }
    out.push({ file, types: [m[1]], uris: [m[3]], suites: [m[4]], components: m[5].split(/\s+/).filter(Boolean), options });
  }
  return out;
}

function parseDeb822(file: string, text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    let last = '';
    for (const raw of para.split('\n')) {
      if (raw.startsWith('#')) continue;
      if (/^\s/.test(raw) && last) {
        fields[last] += '\n' + raw.trim();
        continue;
      }
      const m = /^([\w-]+):\s*(.*)$/.exec(raw);
      if (m) fields[(last = m[1])] = m[2];
    }
    if (!fields.Types || !fields.URIs || (fields.Enabled ?? 'yes').toLowerCase() === 'no') continue;
    const list = (v?: string) => (v ?? '').split(/\s+/).filter(Boolean);
    const options: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) if (!['Types', 'URIs', 'Suites', 'Components'].includes(k)) options[k] = v;
    out.push({ file, types: list(fields.Types), uris: list(fields.URIs), suites: list(fields.Suites), components: list(fields.Components), options });
  }
  return out;
}

/** Every enabled source apt reads on this machine. */
export function readSources(root = '/etc/apt'): AptSource[] {
  const out: AptSource[] = [];
  const main = path.join(root, 'sources.list');
  if (fs.existsSync(main)) out.push(...parseOneLine(main, fs.readFileSync(main, 'utf8')));
  const dir = path.join(root, 'sources.list.d');
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    const f = path.join(dir, name);
    if (name.endsWith('.list')) out.push(...parseOneLine(f, fs.readFileSync(f, 'utf8')));
    else if (name.endsWith('.sources')) out.push(...parseDeb822(f, fs.readFileSync(f, 'utf8')));
  }
  return out;
}

/**
 * The (uri, suite) pairs whose Release file says the archive is Debian's or
 * Ubuntu's, from `apt-cache policy`. Only those publish source packages we
 * can rely on; third-party binary repositories often have none.
 */
export async function distroArchives(): Promise<Set<string>> {
  const r = await execa('apt-cache', ['policy'], { reject: false, stdin: 'ignore' });
  const set = new Set<string>();
  let current: string | undefined;
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*-?\d+\s+(\S+)\s+(\S+?)(?:\/\S+)?\s+\S+\s+Packages$/.exec(line);
    if (m) {
      current = `${m[1].replace(/\/$/, '')} ${m[2]}`;
      continue;
    }
    const rel = /^\s+release\s+(.*)$/.exec(line);
    if (rel && current && /(^|,)o=(Debian|Ubuntu)(,|$)/.test(rel[1])) set.add(current);
  }
  return set;
}

export interface DebSrcStatus {
  /** distro (uri suite) pairs that have a deb-src entry */
  present: string[];
  /** deb sources from the distro whose suites lack a deb-src entry */
  missing: AptSource[];
}

export async function debSrcStatus(): Promise<DebSrcStatus> {
  const sources = readSources();
  const distro = await distroArchives();
  const have = new Set<string>();
  for (const s of sources) if (s.types.includes('deb-src')) for (const u of s.uris) for (const su of s.suites) have.add(`${u.replace(/\/$/, '')} ${su}`);
  const present: string[] = [];
  const missing: AptSource[] = [];
  for (const s of sources) {
    if (!s.types.includes('deb') || s.file === LUNIK_SOURCES_FILE) continue;
    const suites = s.suites.filter((su) => s.uris.some((u) => distro.has(`${u.replace(/\/$/, '')} ${su}`)));
    const lacking = suites.filter((su) => !s.uris.every((u) => have.has(`${u.replace(/\/$/, '')} ${su}`)));
    present.push(...suites.filter((su) => !lacking.includes(su)));
    if (lacking.length) missing.push({ ...s, types: ['deb-src'], suites: lacking });
  }
  return { present, missing };
}

/** A deb822 file adding deb-src for the given sources (same URIs, suites, components, keys). */
export function debSrcFileText(missing: AptSource[]): string {
  const paras = missing.map((s) => {
    const lines = [`# derived by lunik from ${s.file}`, 'Types: deb-src', `URIs: ${s.uris.join(' ')}`, `Suites: ${s.suites.join(' ')}`, `Components: ${s.components.join(' ')}`];
    const key = s.options['Signed-By'];
    if (key) lines.push(`Signed-By: ${key.split('\n').join('\n ')}`);
    return lines.join('\n');
  });
  return paras.join('\n\n') + '\n';
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export async function hasApt(): Promise<boolean> {
  return fs.existsSync('/usr/bin/apt-get') && fs.existsSync('/usr/bin/dpkg-query');
}
