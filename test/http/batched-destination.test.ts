import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchedDestination, type LineSink } from '../../src/http/batched-destination.js';

const ROOT = join(import.meta.dirname, '../..');

/** A sink that records each write it is handed. */
function recordingSink(): LineSink & { writes: string[]; syncFlushes: number } {
  const sink = {
    writes: [] as string[],
    syncFlushes: 0,
    write(chunk: string) {
      sink.writes.push(chunk);
      return true;
    },
    flushSync() {
      sink.syncFlushes += 1;
    },
  };
  return sink;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('BatchedDestination', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('hands the lines of one moment to the sink as one write, in order', async () => {
    const sink = recordingSink();
    const batch = new BatchedDestination(sink, 5);
    batch.write('one\n');
    batch.write('two\n');
    batch.write('three\n');
    expect(sink.writes).toEqual([]);
    await settle(30);
    expect(sink.writes).toEqual(['one\ntwo\nthree\n']);
    batch.write('four\n');
    await settle(30);
    expect(sink.writes).toEqual(['one\ntwo\nthree\n', 'four\n']);
  });

  it('writes a full batch at once, without waiting', () => {
    const sink = recordingSink();
    const batch = new BatchedDestination(sink, 60_000, 10);
    batch.write('12345\n');
    expect(sink.writes).toEqual([]);
    batch.write('67890\n');
    expect(sink.writes).toEqual(['12345\n67890\n']);
  });

  it('flushSync writes what is pending and flushes the sink', () => {
    const sink = recordingSink();
    const batch = new BatchedDestination(sink, 60_000);
    batch.write('pending\n');
    batch.flushSync();
    expect(sink.writes).toEqual(['pending\n']);
    expect(sink.syncFlushes).toBe(1);
    batch.flushSync();
    expect(sink.writes).toEqual(['pending\n']);
  });

  it('flush(cb) hands pending lines over and calls back', async () => {
    const sink = recordingSink();
    const batch = new BatchedDestination(sink, 60_000);
    batch.write('pending\n');
    await new Promise<void>((resolve) => batch.flush(() => resolve()));
    expect(sink.writes).toEqual(['pending\n']);
  });

  it("the server's logger loses no line when the process exits right after logging it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgvault-batch-'));
    dirs.push(dir);
    const script = join(dir, 'exit.ts');
    writeFileSync(
      script,
      `import { createLogger } from ${JSON.stringify(join(ROOT, 'src/http/logger.ts'))};\n` +
        `const log = createLogger('info', undefined, { format: 'json' });\n` +
        `for (let i = 0; i < 3; i++) log.info({ n: i }, 'last words');\n` +
        'process.exit(0);\n',
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status).toBe(0);
    const lines = run.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { n: number; msg: string });
    expect(lines.map((l) => [l.n, l.msg])).toEqual([
      [0, 'last words'],
      [1, 'last words'],
      [2, 'last words'],
    ]);
  });
});
