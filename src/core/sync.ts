// Mirror a source folder into a build tree, touching only files whose content differs,
// so that make's timestamps see exactly what changed (incremental kernel builds).
import fs from 'node:fs/promises';
import path from 'node:path';

export interface SyncReport {
  /** files whose content changed, new files included */
  written: string[];
  /** files that did not exist before */
  added: string[];
  removed: string[];
}

async function sameContent(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([fs.stat(a), fs.stat(b)]);
    if (sa.size !== sb.size || (sa.mode & 0o111) !== (sb.mode & 0o111)) return false;
    const [ba, bb] = await Promise.all([fs.readFile(a), fs.readFile(b)]);
    return ba.equals(bb);
  } catch {
    return false;
  }
}

/** Make dest hold exactly src's files (by content); leave identical files untouched. */
export async function syncTree(src: string, dest: string): Promise<SyncReport> {
  const report: SyncReport = { written: [], added: [], removed: [] };
  const walk = async (s: string, d: string, rel: string) => {
    await fs.mkdir(d, { recursive: true });
    const names = new Set(await fs.readdir(s));
    for (const name of await fs.readdir(d)) {
      if (!names.has(name)) {
        await fs.rm(path.join(d, name), { recursive: true, force: true });
        report.removed.push(path.join(rel, name));
      }
    }
    for (const name of [...names].sort()) {
      const sp = path.join(s, name);
      const dp = path.join(d, name);
      const st = await fs.stat(sp);
      if (st.isDirectory()) {
        const dst = await fs.lstat(dp).catch(() => undefined);
        if (dst && !dst.isDirectory()) await fs.rm(dp, { recursive: true, force: true });
        await walk(sp, dp, path.join(rel, name));
      } else if (!(await sameContent(sp, dp))) {
        if (!(await fs.lstat(dp).catch(() => undefined))) report.added.push(path.join(rel, name));
        await fs.rm(dp, { recursive: true, force: true });
        await fs.copyFile(sp, dp);
        await fs.chmod(dp, st.mode & 0o777);
        report.written.push(path.join(rel, name));
      }
    }
  };
  await walk(src, dest, '');
  return report;
}
