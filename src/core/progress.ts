// Progress: a live view of running stages on a TTY, plain event lines otherwise.
import { formatDuration } from './fsutil.js';

export type Outcome = 'built' | 'cached' | 'failed';

export interface Reporter {
  start(id: string, verb: string): void;
  /** A line of a running stage's output (the live view shows the latest). */
  line(id: string, text: string): void;
  /** A command about to run (shown with --verbose). */
  command(id: string, text: string): void;
  note(id: string, text: string): void;
  end(id: string, outcome: Outcome, ms: number, detail?: string): void;
  /** Free-form text that must not be torn by the live view. */
  info(text: string): void;
  close(): void;
}

interface Running {
  verb: string;
  started: number;
  last: string;
}

const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Redraws one line per running stage in place, with its elapsed time and last log line. */
export class TtyReporter implements Reporter {
  private running = new Map<string, Running>();
  private drawn = 0;
  private tick = 0;
  private timer: NodeJS.Timeout;

  constructor(private readonly out: NodeJS.WriteStream, private readonly verbose: boolean) {
    this.timer = setInterval(() => this.render(), 100);
    this.timer.unref();
  }

  private clear(): void {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A\r\x1b[J`);
    this.drawn = 0;
  }

  private render(): void {
    this.clear();
    const width = Math.max(60, (this.out.columns || 100) - 1);
    this.tick++;
    for (const [id, r] of this.running) {
      const head = `${SPIN[this.tick % SPIN.length]} ${id} ${r.verb}… ${formatDuration(Date.now() - r.started)}`;
      // the head always shows; the last log line gets what is left of the row
      const room = width - [...head].length;
      const tail = r.last && room > 8 ? `  ${r.last.replace(/\s+/g, ' ')}`.slice(0, room) : '';
      this.out.write(`${head}\x1b[2m${tail}\x1b[0m\n`);
      this.drawn++;
    }
  }

  private print(text: string): void {
    this.clear();
    this.out.write(text + '\n');
    this.render();
  }

  start(id: string, verb: string): void {
    this.running.set(id, { verb, started: Date.now(), last: '' });
    this.render();
  }
  line(id: string, text: string): void {
    const r = this.running.get(id);
    if (r && text.trim()) r.last = text.trim();
    if (this.verbose) this.print(`  ${id} | ${text}`);
  }
  command(id: string, text: string): void {
    if (this.verbose) this.print(`  ${id} $ ${text}`);
  }
  note(id: string, text: string): void {
    this.print(`  ${id}: ${text}`);
  }
  end(id: string, outcome: Outcome, ms: number, detail?: string): void {
    this.running.delete(id);
    const mark = outcome === 'failed' ? '\x1b[31m✗\x1b[0m' : outcome === 'cached' ? '\x1b[2m·\x1b[0m' : '\x1b[32m✓\x1b[0m';
    const what = outcome === 'cached' ? 'cached' : `${outcome} in ${formatDuration(ms)}`;
    this.print(`${mark} ${id} ${what}${detail ? ` (${detail})` : ''}`);
  }
  info(text: string): void {
    this.print(text);
  }
  close(): void {
    clearInterval(this.timer);
    this.clear();
    this.running.clear();
  }
}

/** One line per event, for logs and CI. */
export class PlainReporter implements Reporter {
  constructor(private readonly out: NodeJS.WritableStream, private readonly verbose: boolean) {}
  start(id: string, verb: string): void {
    this.out.write(`${id}: ${verb}\n`);
  }
  line(id: string, text: string): void {
    if (this.verbose) this.out.write(`${id} | ${text}\n`);
  }
  command(id: string, text: string): void {
    if (this.verbose) this.out.write(`${id} $ ${text}\n`);
  }
  note(id: string, text: string): void {
    this.out.write(`${id}: ${text}\n`);
  }
  end(id: string, outcome: Outcome, ms: number, detail?: string): void {
    const what = outcome === 'cached' ? 'cached' : `${outcome} in ${formatDuration(ms)}`;
    this.out.write(`${id}: ${what}${detail ? ` (${detail})` : ''}\n`);
  }
  info(text: string): void {
    this.out.write(text + '\n');
  }
  close(): void {}
}

export function makeReporter(verbose: boolean, stream: NodeJS.WriteStream = process.stderr): Reporter {
  return stream.isTTY && process.env.TERM !== 'dumb' && !process.env.CI ? new TtyReporter(stream, verbose) : new PlainReporter(stream, verbose);
}
