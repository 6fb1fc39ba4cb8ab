import cliProgress from 'cli-progress';

/** A progress bar for long work, or nothing. */
export interface Progress {
  /** Sets the total once it is known. */
  start(total: number): void;
  /** `detail`, when given, is shown after the count (what is being worked on now). */
  tick(by?: number, detail?: string): void;
  stop(): void;
}

const SILENT: Progress = { start() {}, tick() {}, stop() {} };

/**
 * A bar on stderr while long work runs, shown only to a person at a terminal: with --json, or when
 * stderr is a pipe or a file, the output stays exactly what a script expects (nothing on stderr).
 */
export function progressFor(label: string, options: { json?: boolean }): Progress {
  if (options.json === true || process.stderr.isTTY !== true) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total}{detail}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    // The payload starts empty: cli-progress would otherwise print the token `{detail}` itself.
    start: (total) => bar.start(total, 0, { detail: '' }),
    tick: (by = 1, detail) => bar.increment(by, detail === undefined ? {} : { detail: ` ${detail}` }),
    stop: () => bar.stop(),
  };
}
