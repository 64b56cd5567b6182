// lunik build / run / image: argument checks shared by the app commands.
import { LunikError, badInput } from '../core/errors.js';
import { parseAccel } from '../core/accel.js';
import { loadRecipe, parsePlatform, PLATFORMS } from '../recipe/recipe.js';
import type { Command } from './command.js';

const platformOpt = { type: 'string', valueName: 'P', description: `target platform: ${PLATFORMS.join(' | ')} (default hw)` } as const;

/** Raised after the inputs are validated, for pipeline steps this version does not have yet. */
function notYet(where: string, what: string): LunikError {
  return new LunikError({ where, message: `${what} is not available in this version of lunik yet`, fix: 'see the open issues in the project tracker; `lunik kernel` and `lunik doctor` work today', code: 1 });
}

export const build: Command = {
  name: 'build',
  summary: 'build an app image for a platform',
  usage: 'lunik build APP [--platform P]',
  options: { platform: platformOpt },
  positionals: { min: 1, max: 1, names: 'APP' },
  async run({ values, positionals }) {
    const platform = parsePlatform(values.platform as string | undefined, 'build');
    loadRecipe(positionals[0], 'build');
    throw notYet('build', `building apps for ${platform}`);
  },
};

export const run: Command = {
  name: 'run',
  summary: 'build (if needed) and run an app; hw boots it under QEMU',
  usage: 'lunik run APP [--platform P] [-p HOST:GUEST]... [--mem M] [--accel auto|kvm|tcg]',
  options: {
    platform: platformOpt,
    publish: { type: 'string', short: 'p', multiple: true, valueName: 'HOST:GUEST', description: 'forward a host TCP port to the guest' },
    mem: { type: 'string', valueName: 'M', description: 'guest memory, e.g. 64M' },
    accel: { type: 'string', valueName: 'A', description: 'auto (default): KVM only if a probe boot shows it works; kvm; tcg' },
  },
  positionals: { min: 1, max: 1, names: 'APP' },
  async run({ values, positionals }) {
    const platform = parsePlatform(values.platform as string | undefined, 'run');
    parseAccel(values.accel as string | undefined);
    for (const p of (values.publish as string[] | undefined) ?? [])
      if (!/^\d{1,5}:\d{1,5}$/.test(p)) throw badInput('run', `bad port mapping "${p}"`, 'write it as HOST:GUEST, e.g. -p 8080:80');
    if (values.mem !== undefined && !/^\d+[KMG]$/.test(values.mem as string)) throw badInput('run', `bad memory size "${values.mem}"`, 'write it as a number with K, M or G, e.g. --mem 64M');
    loadRecipe(positionals[0], 'run');
    throw notYet('run', `running apps on ${platform}`);
  },
};
