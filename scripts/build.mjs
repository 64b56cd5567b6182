// Bundles the orchestrator (src/) into dist/lunik.mjs with esbuild.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export async function bundle({ quiet = false } = {}) {
  await build({
    entryPoints: [path.join(root, 'src/cli.ts')],
    outfile: path.join(root, 'dist/lunik.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // prefer ESM builds: jsonc-parser's UMD build hides its requires from the bundler
    mainFields: ['module', 'main'],
    sourcemap: 'linked',
    // nunjucks and xml2js are CommonJS and call require(); give the ESM
    // bundle a real one. chokidar/fsevents are nunjucks' optional watchers.
    banner: { js: "import { createRequire as __lunikRequire } from 'node:module'; const require = __lunikRequire(import.meta.url);" },
    external: ['chokidar', 'fsevents'],
    logLevel: quiet ? 'error' : 'info',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle();
}
