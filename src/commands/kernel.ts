// lunik kernel [--config FRAGMENT]...: build (or reuse) the kernel library; print its install prefix.
import { Cache } from '../core/cache.js';
import { cacheRoot } from '../core/paths.js';
import { makeReporter } from '../core/progress.js';
import { printSummary, runStages } from '../core/runner.js';
import { DEFAULT_FRAGMENTS, kernelStage, resolveFragments } from '../stages/kernel.js';
import type { Command } from './command.js';

export const kernel: Command = {
  name: 'kernel',
  summary: 'build (or reuse) the kernel library; prints its install prefix (include/, lib/liblkl.a)',
  usage: 'lunik kernel [--config FRAGMENT]...',
  options: {
    config: { type: 'string', multiple: true, valueName: 'FRAG', description: `extra config fragment: a name from kernel/config/ or a file path (always: ${DEFAULT_FRAGMENTS.join(', ')})` },
  },
  async run({ values }, g) {
    const extra = (values.config as string[] | undefined) ?? [];
    const fragments = await resolveFragments([...DEFAULT_FRAGMENTS, ...extra.filter((f) => !DEFAULT_FRAGMENTS.includes(f))]);
    const cache = new Cache(cacheRoot());
    await cache.open();
    const reporter = makeReporter(g.verbose);
    const t0 = Date.now();
    try {
      const run = await runStages([kernelStage(fragments)], { cache, reporter, verbose: g.verbose, explain: g.explain });
      await printSummary(reporter, run, Date.now() - t0);
      process.stdout.write(run.targets[0].out + '\n');
      return 0;
    } finally {
      reporter.close();
      await cache.close();
    }
  },
};
