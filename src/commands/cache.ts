// lunik cache ls|clean [STAGE]: what the content-addressed cache holds, and removing it.
import { Cache } from '../core/cache.js';
import { badInput } from '../core/errors.js';
import { formatBytes } from '../core/fsutil.js';
import { cacheRoot } from '../core/paths.js';
import type { Command } from './command.js';

export const cache: Command = {
  name: 'cache',
  summary: 'list (ls) or remove (clean [STAGE]) cached build outputs',
  usage: 'lunik cache ls | lunik cache clean [STAGE]',
  options: {},
  positionals: { min: 1, max: 2, names: 'ls|clean [STAGE]' },
  async run({ positionals }) {
    const [sub, stage] = positionals;
    const c = new Cache(cacheRoot());
    await c.open();
    if (sub === 'ls') {
      if (stage !== undefined) throw badInput('cache', 'cache ls takes no further argument', 'run: lunik cache ls');
      const rows = await c.list();
      let total = 0;
      for (const r of rows) {
        total += r.bytes;
        process.stdout.write(`${r.stage.padEnd(16)} ${r.key.slice(0, 16)}  ${formatBytes(r.bytes).padStart(9)}  ${r.createdAt}\n`);
      }
      process.stdout.write(`${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}, ${formatBytes(total)} in ${c.root}\n`);
      return 0;
    }
    if (sub === 'clean') {
      const n = await c.clean(stage);
      process.stdout.write(`removed ${n} entr${n === 1 ? 'y' : 'ies'}${stage ? ` of stage ${stage}` : ''}\n`);
      return 0;
    }
    throw badInput('cache', `unknown cache subcommand "${sub}"`, 'use: lunik cache ls, or lunik cache clean [STAGE]');
  },
};
