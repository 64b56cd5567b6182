// The lunik command line: parses arguments strictly, dispatches, renders errors with exit codes.
import { parseArgs } from 'node:util';
import { bake, build, run, toolchain } from './commands/apps.js';
import { cache } from './commands/cache.js';
import type { Command, Globals, OptionSpec } from './commands/command.js';
import { doctor } from './commands/doctor.js';
import { kernel } from './commands/kernel.js';
import { conformance } from './commands/conformance.js';
import { bench } from './commands/bench.js';
import { fsCommand } from './commands/fs.js';
import { badInput, renderError } from './core/errors.js';
import { suggest } from './recipe/recipe.js';

const COMMANDS: Command[] = [doctor, kernel, toolchain, bake, build, run, conformance, fsCommand, bench, cache];

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  verbose: { type: 'boolean', short: 'v', description: 'show every command run and its output' },
  explain: { type: 'boolean', description: 'say why each stage that runs missed the cache' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', description: 'print the lunik version' },
};

const VERSION = '0.1.0';

function optionLines(opts: Record<string, OptionSpec>): string[] {
  return Object.entries(opts).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}`;
    return `  ${flag.padEnd(28)} ${o.description}`;
  });
}

function mainHelp(): string {
  return [
    'lunik: the Linux kernel as a library, and Linux-stack unikernels',
    '',
    'usage: lunik <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
    '',
    'options for every command:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    "Run 'lunik <command> --help' for a command's options.",
    'Exit status: 0 success, 1 a build or run failed, 2 bad input (unknown command, option, app, key; missing tool).',
  ].join('\n');
}

function commandHelp(c: Command): string {
  return [`usage: ${c.usage}`, '', c.summary, '', 'options:', ...optionLines(c.options), ...optionLines(GLOBAL_OPTIONS)].join('\n');
}

function stripDescriptions(opts: Record<string, OptionSpec>) {
  return Object.fromEntries(Object.entries(opts).map(([k, { description: _d, valueName: _v, ...rest }]) => [k, rest]));
}

export async function main(argv: string[]): Promise<number> {
  try {
    const name = argv.find((a) => !a.startsWith('-'));
    const cmd = COMMANDS.find((c) => c.name === name);
    if (!cmd) {
      if (name !== undefined) throw badInput('lunik', `unknown command "${name}"${suggest(name, COMMANDS.map((c) => c.name))}`, "run 'lunik --help' to see the commands");
      const { values } = parseArgs({ args: argv, options: stripDescriptions(GLOBAL_OPTIONS), strict: true, allowPositionals: false });
      if (values.version) {
        process.stdout.write(VERSION + '\n');
        return 0;
      }
      process.stdout.write(mainHelp() + '\n');
      return values.help ? 0 : 2;
    }
    const rest = [...argv];
    rest.splice(argv.indexOf(name!), 1);
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: stripDescriptions({ ...GLOBAL_OPTIONS, ...cmd.options }), strict: true, allowPositionals: true });
    } catch (e) {
      const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/^Unknown option '([^']+)'$/, 'unknown option $1');
      throw badInput(cmd.name, msg, `run 'lunik ${cmd.name} --help' to see its options`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(commandHelp(cmd) + '\n');
      return 0;
    }
    const want = cmd.positionals ?? { min: 0, max: 0, names: '' };
    if (positionals.length < want.min) throw badInput(cmd.name, `missing argument ${want.names}`, `usage: ${cmd.usage}`);
    if (positionals.length > want.max) throw badInput(cmd.name, `unexpected argument "${positionals[want.max]}"`, `usage: ${cmd.usage}`);
    const g: Globals = { verbose: !!values.verbose, explain: !!values.explain };
    return await cmd.run({ values, positionals }, g);
  } catch (e) {
    const { text, code } = renderError(e);
    process.stderr.write(text + '\n');
    return code;
  }
}
