// One error type for everything the CLI reports: what happened, the fix, the log.

/** 2 = bad input (unknown command, option, app, key; missing tool), 1 = a failed build or run. */
export type ExitCode = 1 | 2;

export interface LunikErrorInit {
  /** Who reports it: a stage name, or a command such as "doctor". */
  where?: string;
  /** What happened, in one sentence. */
  message: string;
  /** The exact thing to do about it. */
  fix?: string;
  /** Path of the full log, when there is one. */
  log?: string;
  /** Extra lines shown between the message and the fix (e.g. a compiler error). */
  context?: string[];
  code?: ExitCode;
}

export class LunikError extends Error {
  readonly where: string;
  readonly fix?: string;
  readonly log?: string;
  readonly context: string[];
  readonly code: ExitCode;

  constructor(init: LunikErrorInit) {
    super(init.message);
    this.name = 'LunikError';
    this.where = init.where ?? 'lunik';
    this.fix = init.fix;
    this.log = init.log;
    this.context = init.context ?? [];
    this.code = init.code ?? 1;
  }

  /** A copy that names a different reporter (e.g. the stage that hit it). */
  at(where: string, extra: Partial<LunikErrorInit> = {}): LunikError {
    return new LunikError({
      where,
      message: this.message,
      fix: extra.fix ?? this.fix,
      log: extra.log ?? this.log,
      context: extra.context ?? this.context,
      code: extra.code ?? this.code,
    });
  }
}

/** Bad input: exit code 2. */
export function badInput(where: string, message: string, fix?: string): LunikError {
  return new LunikError({ where, message, fix, code: 2 });
}

export function renderError(err: unknown): { text: string; code: ExitCode } {
  if (err instanceof LunikError) {
    const lines = [`${err.where}: error: ${err.message}`];
    for (const d of err.context) lines.push(`  ${d}`);
    if (err.fix) lines.push(`  fix: ${err.fix}`);
    if (err.log) lines.push(`  log: ${err.log}`);
    return { text: lines.join('\n'), code: err.code };
  }
  const e = err as Error;
  return {
    text: `lunik: internal error: ${e?.stack ?? String(err)}\n  fix: this is a bug in lunik; please report it with the command you ran`,
    code: 1,
  };
}
