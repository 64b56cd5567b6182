// App stages, rumprun's compile once, bake per platform:
//
//   app-NAME          the recipe's source built with lunik-cc → app.lunik.o
//                     (the program's own objects, relocatable)
//   rootfs-NAME       the recipe's files and templates → rootfs.cpio
//   bake-NAME-P       app.lunik.o + rootfs + settings, linked for platform P
//                     → bin/NAME
//
// A change to a file of the root filesystem re-bakes (a link) without
// rebuilding the program.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cpioArchive, type CpioEntry } from '../core/cpio.js';
import { LunikError } from '../core/errors.js';
import { exists } from '../core/fsutil.js';
import { repoRoot } from '../core/paths.js';
import type { Stage } from '../core/stage.js';
import { renderFile } from '../core/template.js';
import type { Recipe } from '../recipe/schema.js';
import { debianSourceStage } from './debsrc.js';

export interface App {
  recipe: Recipe;
  /** apps/NAME */
  dir: string;
}

/** The build: configure (if the recipe says so) and make, with CC=lunik-cc. */
export function appStage(app: App, toolchain: Stage): Stage {
  const { recipe, dir } = app;
  const source = 'debian' in recipe.source ? debianSourceStage(recipe.source.debian) : undefined;
  const srcDir = 'dir' in recipe.source ? path.join(dir, recipe.source.dir) : undefined;
  const id = `app-${recipe.name}`;
  return {
    id,
    version: 1,
    verb: `building ${recipe.name} with lunik-cc`,
    deps: source ? [toolchain, source] : [toolchain],
    inputs: () => ({
      files: [...(srcDir ? [srcDir] : []), ...(recipe.patches ?? []).map((p) => path.join(dir, p.file)), path.join(repoRoot(), 'src/stages/app.ts')],
      config: { source: recipe.source, patches: recipe.patches ?? [], configure: recipe.configure ?? null, make: recipe.make ?? [], program: recipe.program },
    }),
    artefacts: ['app.lunik.o'],
    async run(ctx) {
      const build = await fs.mkdtemp(path.join(os.tmpdir(), `lunik-${recipe.name}-`));
      try {
        const tree = path.join(build, 'src');
        await fs.cp(source ? path.join(ctx.deps[source.id].out, 'src') : srcDir!, tree, { recursive: true });
        for (const p of recipe.patches ?? []) {
          ctx.log(`applying ${p.file}: ${p.reason}`);
          await ctx.exec('patch', ['-p1', '--forward', '--batch', '-i', path.join(dir, p.file)], { cwd: tree });
        }
        const sysroot = ctx.deps[toolchain.id].out;
        const env = { PATH: `${path.join(sysroot, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`, CC: 'lunik-cc' };
        if (recipe.configure) await ctx.exec('./configure', recipe.configure, { cwd: tree, env, timeoutMs: 20 * 60_000 });
        await ctx.exec('make', [`-j${os.availableParallelism()}`, 'CC=lunik-cc', ...(recipe.make ?? [])], { cwd: tree, env: { ...env, LUNIK_RELOC: '1' }, timeoutMs: 60 * 60_000 });
        const reloc = path.join(tree, `${recipe.program}.lunik.o`);
        if (!(await exists(reloc)))
          throw new LunikError({
            where: id,
            message: `the build did not link ${recipe.program} with lunik-cc (no ${recipe.program}.lunik.o)`,
            fix: `check "program" in apps/${recipe.name}/recipe.json names the file the build links, and that the build uses $CC to link it`,
          });
        await fs.copyFile(reloc, path.join(ctx.out, 'app.lunik.o'));
      } finally {
        await fs.rm(build, { recursive: true, force: true });
      }
    },
  };
}

/** Files every root filesystem has (toolchain/rootfs), under the recipe's own. */
const baseDir = () => path.join(repoRoot(), 'toolchain/rootfs');

async function walk(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await walk(root, r)));
    else out.push(r);
  }
  return out.sort();
}

/** Template variables: what a recipe's *.njk files may use. */
export function templateVars(recipe: Recipe): Record<string, unknown> {
  return { app: recipe.name, ports: recipe.ports ?? [], cmdline: recipe.cmdline, env: recipe.env ?? {} };
}

export function rootfsStage(app: App): Stage {
  const { recipe, dir } = app;
  const files = Object.entries(recipe.files ?? {});
  const templates = Object.entries(recipe.templates ?? {});
  return {
    id: `rootfs-${recipe.name}`,
    version: 1,
    verb: 'packing the root file system',
    deps: [],
    inputs: () => ({
      files: [baseDir(), ...files.map(([, src]) => path.join(dir, src)), ...templates.map(([, src]) => path.join(dir, src)), path.join(repoRoot(), 'src/stages/app.ts'), path.join(repoRoot(), 'src/core/cpio.ts')],
      config: { files: recipe.files ?? {}, templates: recipe.templates ?? {}, vars: templateVars(recipe) as never },
    }),
    artefacts: ['rootfs.cpio'],
    async run(ctx) {
      const entries: CpioEntry[] = [{ path: '/tmp', type: 'dir', mode: 0o1777 }];
      const addTree = async (src: string, dest: string) => {
        const st = await fs.stat(src).catch(() => undefined);
        if (!st) throw new LunikError({ where: ctx.id, message: `${path.relative(repoRoot(), src)} does not exist`, fix: `fix "files" in apps/${recipe.name}/recipe.json`, code: 2 });
        if (st.isDirectory()) {
          for (const r of await walk(src)) await addTree(path.join(src, r), path.posix.join(dest, r));
          return;
        }
        entries.push({ path: dest, type: 'file', mode: st.mode & 0o111 ? 0o755 : 0o644, data: await fs.readFile(src) });
      };
      await addTree(baseDir(), '/');
      for (const [dest, src] of files) await addTree(path.join(dir, src), dest);
      for (const [dest, src] of templates) entries.push({ path: dest, type: 'file', mode: 0o644, data: renderFile(path.join(dir, src), templateVars(recipe), ctx.id) });
      const cpio = cpioArchive(entries);
      await fs.writeFile(path.join(ctx.out, 'rootfs.cpio'), cpio);
      ctx.log(`${entries.length} entries, ${cpio.length} bytes`);
    },
  };
}

/** The runtime's settings from the recipe (toolchain/runtime/start.c). */
export function recipeConfig(recipe: Recipe): string {
  const words: string[] = [];
  if (recipe.memory) words.push(`mem=${recipe.memory}`);
  if (recipe.network?.mode === 'dhcp') words.push('ip=dhcp');
  if (recipe.network?.mode === 'static') {
    words.push(`ip=${recipe.network.address}`);
    if (recipe.network.gateway) words.push(`gw=${recipe.network.gateway}`);
  }
  return words.join(' ');
}

export function bakeStage(app: App, platform: string, build: Stage, rootfs: Stage, toolchain: Stage): Stage {
  const { recipe } = app;
  return {
    id: `bake-${recipe.name}-${platform}`,
    version: 1,
    verb: `linking ${recipe.name} for ${platform}`,
    deps: [build, rootfs, toolchain],
    inputs: () => ({ config: { platform, settings: recipeConfig(recipe) }, files: [path.join(repoRoot(), 'src/stages/app.ts')] }),
    artefacts: platform === 'posix' ? [`bin/${recipe.name}`] : [`bin/${recipe.name}`, `bin/${recipe.name}.debug`],
    async run(ctx) {
      await fs.mkdir(path.join(ctx.out, 'bin'), { recursive: true });
      const out = path.join(ctx.out, 'bin', recipe.name);
      await bakeLink({
        cc: path.join(ctx.deps[toolchain.id].out, 'bin/lunik-cc'),
        program: path.join(ctx.deps[build.id].out, 'app.lunik.o'),
        out,
        platform,
        rootfs: path.join(ctx.deps[rootfs.id].out, 'rootfs.cpio'),
        config: recipeConfig(recipe),
        name: recipe.cmdline[0],
        exec: (file, args, env) => ctx.exec(file, args, { env }),
      });
      if (platform !== 'posix') {
        // an image is loaded whole by the boot loader: debug info goes to a
        // file beside it, which gdb finds through the debug link
        await ctx.exec('objcopy', ['--only-keep-debug', out, `${out}.debug`]);
        await ctx.exec('objcopy', ['--strip-all', `--add-gnu-debuglink=${out}.debug`, out]);
      }
      const st = await fs.stat(out);
      ctx.note(`${recipe.name} for ${platform}: ${(st.size / 1048576).toFixed(1)} MiB`);
    },
  };
}

export interface BakeOptions {
  /** lunik-cc of the toolchain to link with. */
  cc: string;
  /** The relocatable program (PROGRAM.lunik.o from a LUNIK_RELOC=1 link). */
  program: string;
  out: string;
  platform: string;
  /** A newc cpio archive to become the root file system. */
  rootfs?: string;
  /** The runtime's settings (toolchain/runtime/start.c). */
  config?: string;
  /** argv[0] where the platform has no exec to give one (hw). */
  name?: string;
  exec: (file: string, args: string[], env?: Record<string, string>) => Promise<unknown>;
}

/** Link a relocatable program for a platform, with its root file system and settings. */
export async function bakeLink(o: BakeOptions): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'lunik-bake-'));
  try {
    const image = path.join(work, 'image.S');
    // The root file system and the settings, under the names the runtime looks for.
    const lines = ['\t.section .rodata.lunik_image,"a"', '\t.balign 16', '\t.globl __lunik_config, __lunik_app_name', '__lunik_config:', `\t.asciz ${JSON.stringify(o.config ?? '')}`, '__lunik_app_name:', `\t.asciz ${JSON.stringify(o.name ?? path.basename(o.out))}`];
    if (o.rootfs) lines.push('\t.balign 16', '\t.globl __lunik_initrd_start, __lunik_initrd_end', '__lunik_initrd_start:', `\t.incbin ${JSON.stringify(o.rootfs)}`, '__lunik_initrd_end:');
    lines.push('\t.section .note.GNU-stack,"",@progbits', '');
    await fs.writeFile(image, lines.join('\n'));
    await o.exec(o.cc, ['-c', image, '-o', path.join(work, 'image.o')]);
    await o.exec(o.cc, ['-o', o.out, o.program, path.join(work, 'image.o')], { LUNIK_PLATFORM: o.platform });
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
