// Kernel config fragments: names resolve, unknown names are bad input, dropped settings are named.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { droppedSymbols } from '../../src/stages/kernel.js';
import { lunik, tempDir, withTimeout } from '../helpers.js';

test('settings Kconfig kept are not reported', () => {
  const frag = 'CONFIG_NET=y\nCONFIG_MODULES=n\n# CONFIG_TTY is not set\nCONFIG_LKL_MEM_DEFAULT="64M"\n';
  const dot = 'CONFIG_NET=y\n# CONFIG_MODULES is not set\nCONFIG_LKL_MEM_DEFAULT="64M"\n';
  assert.equal(droppedSymbols(frag, dot), []);
});

test('a setting Kconfig dropped (unmet dependency) or changed is named', () => {
  const frag = 'CONFIG_INET=y\nCONFIG_HZ=100\nCONFIG_NET=y\n';
  const dot = 'CONFIG_NET=y\nCONFIG_HZ=250\n';
  assert.equal(droppedSymbols(frag, dot), ['CONFIG_INET=y (Kconfig chose n)', 'CONFIG_HZ=100 (Kconfig chose 250)']);
});

test(
  'lunik kernel --config with an unknown fragment name is bad input naming the choices',
  withTimeout(30_000, async () => {
    const r = await lunik(['kernel', '--config', 'nosuchfrag'], { cache: await tempDir('kcfg') });
    assert.is(r.exitCode, 2);
    assert.match(r.stderr, /^kernel: error: unknown config fragment "nosuchfrag"\n  fix: use one of: .*base/m);
  }),
);

test.run();
