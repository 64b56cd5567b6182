// lunik conformance [--platform P]: build a platform and run the hypercall conformance suite on it.
import { execa } from 'execa';
import path from 'node:path';
import { Cache } from '../core/cache.js';
import { LunikError, badInput } from '../core/errors.js';
import { cacheRoot } from '../core/paths.js';
import { makeReporter } from '../core/progress.js';
import { runStages } from '../core/runner.js';
import { parsePlatform } from '../recipe/recipe.js';
import { posixPlatformStage } from '../stages/platform.js';
import type { Command } from './command.js';

export const conformance: Command = {
  name: 'conformance',
  summary: 'build a platform and run the hypercall conformance suite on it',
  usage: 'lunik conformance [--platform P]',
  options: { platform: { type: 'string', valueName: 'P', description: 'platform to test (default posix)' } },
  async run({ values }, g) {
    const platform = parsePlatform(values.platform as string | undefined, 'conformance', 'posix');
    if (platform !== 'posix') throw badInput('conformance', `the ${platform} platform has not landed yet`, 'use --platform posix');
    const cache = new Cache(cacheRoot());
    await cache.open();
    const reporter = makeReporter(g.verbose);
    let bin: string;
    try {
      const run = await runStages([posixPlatformStage()], { cache, reporter, verbose: g.verbose, explain: g.explain });
      bin = path.join(run.targets[0].out, 'bin/conformance');
    } finally {
      reporter.close();
      await cache.close();
    }
    const r = await execa(bin, [], { reject: false, stdio: 'inherit', timeout: 120_000 });
    if (r.timedOut) throw new LunikError({ where: 'conformance', message: 'the suite did not finish within 120 s', fix: 'run it with --verbose and look for the last test started' });
    return r.exitCode === 0 ? 0 : 1;
  },
};
