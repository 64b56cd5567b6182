// lunik conformance [--platform P]: build a platform and run the hypercall conformance suite on it.
import { execa } from 'execa';
import path from 'node:path';
import { Cache } from '../core/cache.js';
import { LunikError, badInput } from '../core/errors.js';
import { bootHw, describeHwExit } from '../core/hw-boot.js';
import { cacheRoot } from '../core/paths.js';
import { makeReporter } from '../core/progress.js';
import { runStages } from '../core/runner.js';
import type { Stage } from '../core/stage.js';
import { parsePlatform } from '../recipe/recipe.js';
import { hwPlatformStage, posixPlatformStage } from '../stages/platform.js';
import type { Command } from './command.js';

/** The suite bounds nothing itself (hypercall/README.md): whoever runs it must. */
const LIMIT_MS = 120_000;

async function build(stage: Stage, verbose: boolean, explain: boolean): Promise<string> {
  const cache = new Cache(cacheRoot());
  await cache.open();
  const reporter = makeReporter(verbose);
  try {
    const run = await runStages([stage], { cache, reporter, verbose, explain });
    return run.targets[0].out;
  } finally {
    reporter.close();
    await cache.close();
  }
}

/** The suite's last line, "N passed, M failed", if it got that far. */
function totals(output: string): { passed: number; failed: number } | undefined {
  const m = [...output.matchAll(/^(\d+) passed, (\d+) failed\r?$/gm)].pop();
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined;
}

export const conformance: Command = {
  name: 'conformance',
  summary: 'build a platform and run the hypercall conformance suite on it',
  usage: 'lunik conformance [--platform P]',
  options: { platform: { type: 'string', valueName: 'P', description: 'platform to test: posix (default, natively) or hw (under QEMU, TCG)' } },
  async run({ values }, g) {
    const platform = parsePlatform(values.platform as string | undefined, 'conformance', 'posix');
    if (platform !== 'posix' && platform !== 'hw') throw badInput('conformance', `the ${platform} platform has not landed yet`, 'use --platform posix or --platform hw');

    if (platform === 'posix') {
      const bin = path.join(await build(posixPlatformStage(), g.verbose, g.explain), 'bin/conformance');
      const r = await execa(bin, [], { reject: false, stdio: 'inherit', timeout: LIMIT_MS });
      if (r.timedOut) throw new LunikError({ where: 'conformance', message: `the suite did not finish within ${LIMIT_MS / 1000} s`, fix: 'run it with --verbose and look for the last test started' });
      return r.exitCode === 0 ? 0 : 1;
    }

    // hw: the suite is the image's program; its status is the machine's
    // (isa-debug-exit), and the serial console carries its TAP lines. TCG
    // always: KVM does not run guests reliably on every host (DESIGN.md).
    const image = path.join(await build(hwPlatformStage(), g.verbose, g.explain), 'boot/conformance.elf');
    const r = await bootHw({ where: 'conformance', image, memMiB: 256, accel: 'tcg', timeoutMs: LIMIT_MS, onOutput: (t) => process.stdout.write(t) });
    const t = totals(r.output);
    if (r.timedOut)
      throw new LunikError({ where: 'conformance', message: `the suite did not finish within ${LIMIT_MS / 1000} s under QEMU`, fix: 'look at the last test started above; a hang in a blocking call is the usual cause' });
    if (r.exit.kind === 'none')
      throw new LunikError({ where: 'conformance', message: `the hw image gave no result: ${r.exit.reason}`, context: r.qemuMessages.trim().split('\n').filter(Boolean), fix: 'run the image by hand (platforms/hw/README.md, "Booting by hand") to see what QEMU says' });
    if (r.exit.kind === 'status' && r.exit.status === 0 && t && t.failed === 0) return 0;
    process.stderr.write(`conformance: the suite failed on hw: ${describeHwExit(r.exit)}${t ? `, ${t.failed} case(s) failed` : ', before its totals'}\n`);
    return 1;
  },
};
