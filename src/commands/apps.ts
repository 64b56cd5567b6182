// lunik build / run / toolchain: apps from their recipes, and lunik-cc.
import { LunikError, badInput } from '../core/errors.js';
import { parseAccel, resolveAccel } from '../core/accel.js';
import { Cache } from '../core/cache.js';
import { cacheRoot } from '../core/paths.js';
import { makeReporter } from '../core/progress.js';
import { printSummary, runStages } from '../core/runner.js';
import type { Stage, StageResult } from '../core/stage.js';
import { loadRecipe, parsePlatform, PLATFORMS, type Platform } from '../recipe/recipe.js';
import { parsePortForward } from '../run/passt.js';
import { requireTools } from '../core/tools.js';
import { runPosix } from '../run/posix.js';
import { hwAppend, megabytes, runQemu } from '../run/qemu.js';
import { appTarget, toolchainTarget } from '../stages/pipeline.js';
import { TOOLCHAIN_PLATFORMS } from '../stages/toolchain.js';
import type { Command, Globals } from './command.js';
import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { bakeLink } from '../stages/app.js';

const platformOpt = { type: 'string', valueName: 'P', description: `target platform: ${PLATFORMS.join(' | ')} (default hw)` } as const;

/** Platforms an app can be built for in this version. */
function buildable(platform: Platform, where: string): void {
  if (!TOOLCHAIN_PLATFORMS.includes(platform))
    throw new LunikError({
      where,
      message: `apps cannot be built for ${platform} in this version of lunik yet`,
      fix: `use --platform ${TOOLCHAIN_PLATFORMS.join(' or --platform ')}`,
      code: 2,
    });
}

/** Run stages with the usual progress and summary; stdout stays free for the result. */
async function runTarget(target: Stage, g: Globals, summary = true): Promise<StageResult> {
  const cache = new Cache(cacheRoot());
  await cache.open();
  const reporter = makeReporter(g.verbose);
  const t0 = Date.now();
  try {
    const run = await runStages([target], { cache, reporter, verbose: g.verbose, explain: g.explain });
    if (summary) await printSummary(reporter, run, Date.now() - t0);
    return run.targets[0];
  } finally {
    reporter.close();
    await cache.close();
  }
}

export const build: Command = {
  name: 'build',
  summary: 'build an app for a platform; prints the path of what it made',
  usage: 'lunik build APP [--platform P]',
  options: { platform: platformOpt },
  positionals: { min: 1, max: 1, names: 'APP' },
  async run({ values, positionals }, g) {
    const platform = parsePlatform(values.platform as string | undefined, 'build');
    const app = loadRecipe(positionals[0], 'build');
    buildable(platform, 'build');
    const res = await runTarget(await appTarget(app, platform), g);
    process.stdout.write(path.join(res.out, 'bin', app.recipe.name) + '\n');
    return 0;
  },
};

export const run: Command = {
  name: 'run',
  summary: 'build (if needed) and run an app; posix runs it as a process, hw boots it under QEMU',
  usage: 'lunik run APP [--platform P] [-p HOST:GUEST]... [--mem M] [--disk IMG] [--tap NAME] [--gdb] [--accel auto|kvm|tcg] [-- ARG...]',
  options: {
    platform: platformOpt,
    publish: { type: 'string', short: 'p', multiple: true, valueName: 'HOST:GUEST', description: 'forward a host TCP port to the guest' },
    mem: { type: 'string', valueName: 'M', description: "hw: the guest's memory; posix: the kernel's (e.g. 64M; default from the recipe)" },
    disk: { type: 'string', valueName: 'IMG', description: "an ext4 image attached as a disk, mounted where the recipe's \"disk\" says" },
    tap: { type: 'string', valueName: 'NAME', description: 'posix: a host TAP device instead of passt (made and removed by lunik when missing; root)' },
    gdb: { type: 'boolean', description: "hw: start QEMU's gdb stub (port 1234) and wait for gdb; prints the gdb command line" },
    accel: { type: 'string', valueName: 'A', description: 'auto (default): KVM only if a probe boot shows it works; kvm; tcg' },
  },
  positionals: { min: 1, max: Infinity, names: 'APP [-- ARG...]' },
  async run({ values, positionals }, g) {
    const platform = parsePlatform(values.platform as string | undefined, 'run');
    const forwards = ((values.publish as string[] | undefined) ?? []).map((p) => parsePortForward(p, 'run'));
    const mem = values.mem as string | undefined;
    if (mem !== undefined) megabytes(mem, 'run'); // checks it
    const app = loadRecipe(positionals[0], 'run');
    const disk = values.disk as string | undefined;
    if (disk !== undefined && !app.recipe.disk) throw badInput('run', `${app.recipe.name} takes no disk (its recipe has no "disk")`, 'leave out --disk');
    buildable(platform, 'run');
    const accelChoice = parseAccel(values.accel as string | undefined);
    const args = positionals.length > 1 ? positionals.slice(1) : undefined;
    const onServing = (url: string) => process.stderr.write(`lunik: serving on ${url}\n`);
    if (platform === 'hw') {
      if (values.tap) throw badInput('run', '--tap is for --platform posix', 'leave it out: on hw, QEMU\'s user network with -p forwards is used');
      await requireTools('run', ['qemu-system-x86_64']); // before a build that would be wasted
      const res = await runTarget(await appTarget(app, platform), g, g.verbose);
      const image = path.join(res.out, 'bin', app.recipe.name);
      const { accel, reason } = await resolveAccel(accelChoice, (l) => g.verbose && process.stderr.write(`${l}\n`));
      if (g.verbose) process.stderr.write(`lunik: accelerator ${accel} (${reason})\n`);
      const mem = hwMemory(app.recipe.memory, values.mem as string | undefined, fs.statSync(image).size, app.recipe.name);
      const network = !!app.recipe.network || forwards.length > 0;
      return runQemu({
        image,
        memMiB: mem.guestMiB,
        accel,
        forwards,
        network,
        disk: disk ? path.resolve(disk) : undefined,
        gdbPort: values.gdb ? 1234 : undefined,
        append: hwAppend({ kernelMiB: mem.kernelMiB, network, disk: disk ? app.recipe.disk : undefined, argv: args ?? app.recipe.cmdline.slice(1) }),
        onServing,
      });
    }
    if (values.gdb) throw badInput('run', '--gdb is for --platform hw', 'on posix, run the program under gdb yourself: lunik build prints its path');
    const res = await runTarget(await appTarget(app, platform), g, g.verbose);
    return runPosix({
      binary: path.join(res.out, 'bin', app.recipe.name),
      recipe: app.recipe,
      args,
      forwards,
      mem,
      disk,
      tap: values.tap as string | undefined,
      verbose: g.verbose,
      onServing,
    });
  },
};

/**
 * Guest memory on hw: --mem, or the recipe's kernel memory plus the image and
 * room for the app (its heap and stacks come from the platform, not the
 * kernel). The kernel gets what is left after the image and that room.
 */
export function hwMemory(recipeMem: string | undefined, mem: string | undefined, imageBytes: number, app: string): { guestMiB: number; kernelMiB: number } {
  const imageMiB = Math.ceil(imageBytes / 1048576);
  const room = 16; // the app's heap and stacks, the platform's own, alignment
  const minKernel = 16;
  if (mem === undefined) {
    const kernelMiB = recipeMem ? Math.max(minKernel, megabytes(recipeMem)) : 64;
    return { guestMiB: kernelMiB + imageMiB + room, kernelMiB };
  }
  const guestMiB = megabytes(mem);
  const kernelMiB = guestMiB - imageMiB - room;
  if (kernelMiB < minKernel)
    throw badInput('run', `--mem ${mem} is too little memory for ${app}: its image takes ${imageMiB} MiB, the app needs about ${room} MiB more and the kernel at least ${minKernel} MiB`, `give at least --mem ${imageMiB + room + minKernel}M`);
  return { guestMiB, kernelMiB };
}

export const toolchain: Command = {
  name: 'toolchain',
  summary: 'build (or reuse) lunik-cc and its sysroot; prints the path of lunik-cc',
  usage: 'lunik toolchain',
  options: {},
  async run(_args, g) {
    const res = await runTarget(await toolchainTarget(), g);
    process.stdout.write(path.join(res.out, 'bin/lunik-cc') + '\n');
    return 0;
  },
};

export const bake: Command = {
  name: 'bake',
  summary: 'link a program compiled with lunik-cc (LUNIK_RELOC=1) for a platform',
  usage: 'lunik bake PROGRAM.lunik.o [--platform P] [-o OUT] [--rootfs ARCHIVE.cpio] [--config SETTINGS]',
  options: {
    platform: { type: 'string', valueName: 'P', description: `platform to link for (default posix; this version: ${TOOLCHAIN_PLATFORMS.join(', ')})` },
    output: { type: 'string', short: 'o', valueName: 'OUT', description: 'the program to write (default: PROGRAM without .lunik.o, plus .PLATFORM)' },
    rootfs: { type: 'string', valueName: 'FILE', description: 'a newc cpio archive to link in as the root file system' },
    config: { type: 'string', valueName: 'SETTINGS', description: 'runtime settings linked in, e.g. "mem=32M ip=10.0.2.15/24 gw=10.0.2.2"' },
  },
  positionals: { min: 1, max: 1, names: 'PROGRAM.lunik.o' },
  async run({ values, positionals }, g) {
    const platform = parsePlatform((values.platform as string | undefined) ?? 'posix', 'bake');
    buildable(platform, 'bake');
    const program = path.resolve(positionals[0]);
    const rootfs = values.rootfs ? path.resolve(values.rootfs as string) : undefined;
    for (const [what, f] of [['program', program], ['root file system archive', rootfs]] as const)
      if (f && !fs.existsSync(f)) throw badInput('bake', `the ${what} ${f} does not exist`, what === 'program' ? 'link it with LUNIK_RELOC=1 lunik-cc …, which writes OUTPUT.lunik.o' : 'give an existing cpio archive (newc)');
    if (rootfs && fs.readFileSync(rootfs).subarray(0, 6).toString() !== '070701') throw badInput('bake', `${rootfs} is not a newc cpio archive`, 'make it with cpio -o -H newc, or let lunik build make the root file system');
    const out = path.resolve((values.output as string | undefined) ?? `${program.replace(/\.lunik\.o$/, '')}.${platform}`);
    const res = await runTarget(await toolchainTarget(), g, false);
    await bakeLink({
      cc: path.join(res.out, 'bin/lunik-cc'),
      program,
      out,
      platform,
      rootfs,
      config: values.config as string | undefined,
      exec: async (file, args, env) => {
        const r = await execa(file, args, { reject: false, all: true, env });
        if (r.exitCode !== 0) throw new LunikError({ where: 'bake', message: `linking ${path.basename(program)} for ${platform} failed`, context: String(r.all).split('\n').filter((l) => /error|undefined reference/.test(l)).slice(0, 6) });
      },
    });
    process.stdout.write(out + '\n');
    return 0;
  },
};
