// Installs what lunik needs before `npm start` / `npm test`: npm dependencies, then host
// packages through `lunik doctor --install` (as root), or prints the exact command (otherwise).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules/.package-lock.json');
if (!existsSync(installed) || statSync(lock).mtimeMs > statSync(installed).mtimeMs) {
  console.error('setup: installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
run(process.execPath, [path.join(root, 'bin/lunik.mjs'), 'doctor', '--quiet', ...(isRoot ? ['--install'] : [])]);
