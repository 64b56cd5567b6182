// The shape every subcommand has, and the global options they share.
import type { ParseArgsConfig } from 'node:util';

export interface Globals {
  verbose: boolean;
  explain: boolean;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { description: string; valueName?: string };

export interface Parsed {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** How many positionals it takes (default: none). */
  positionals?: { min: number; max: number; names: string };
  run(args: Parsed, g: Globals): Promise<number>;
}
