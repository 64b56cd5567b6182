// Test helpers: a private temp dir per test, the CLI run as a real process, hard timeouts.
import { execa } from 'execa';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const LUNIK = path.join(ROOT, 'bin/lunik.mjs');

const made: string[] = [];

/** A private temp dir, removed when the test process ends (set LUNIK_KEEP_TMP=1 to keep them). */
export async function tempDir(tag: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `lunik-test-${tag}-`));
  made.push(dir);
  return dir;
}

process.on('exit', () => {
  if (process.env.LUNIK_KEEP_TMP) return;
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  all: string;
}

/** Run the lunik CLI as a user would; never throws on a non-zero exit. */
export async function lunik(args: string[], opts: { cache?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [LUNIK, ...args], {
    reject: false,
    all: true,
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 120_000,
    env: { ...(opts.cache ? { LUNIK_CACHE: opts.cache } : {}), CI: '1', ...opts.env },
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), all: String(r.all) };
}

/** Fail a test that runs longer than ms instead of hanging the suite. */
export function withTimeout<T>(ms: number, fn: () => Promise<T>): () => Promise<T> {
  return () =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`test timed out after ${ms} ms`)), ms);
      fn().then(
        (v) => (clearTimeout(t), resolve(v)),
        (e) => (clearTimeout(t), reject(e)),
      );
    });
}

/**
 * Compile test/kernel/NAME.c (glibc-hosted) against the kernel library installed
 * at prefix (`lunik kernel`'s last line) into dir; returns the binary's path.
 * extra: more compiler/linker arguments (include paths, -Wl,--wrap=...).
 */
export async function compileKernelProgram(prefix: string, name: string, dir: string, extra: string[] = []): Promise<string> {
  const out = path.join(dir, name);
  const r = await execa('gcc', ['-O1', '-g', '-Wall', '-Wextra', '-Werror', `-I${path.join(prefix, 'include')}`, path.join(ROOT, 'test/kernel', `${name}.c`), path.join(prefix, 'lib/liblkl.a'), '-lpthread', ...extra, '-o', out], { reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`compiling ${name}.c against the installed prefix failed:\n${r.all}`);
  return out;
}
