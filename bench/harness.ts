/**
 * A small timing harness: each case runs in rounds of a fixed duration, interleaved with its floor
 * (the unavoidable work measured in the same run), and reports medians, so machine noise hits
 * both sides alike. Numbers are printed, never asserted.
 */
export interface BenchCase {
  name: string;
  /** One operation of orgvault's API. */
  run: (i: number) => Promise<unknown> | unknown;
  /** The same unavoidable work done bare (a prepared statement, an AES-GCM call). */
  floor: (i: number) => Promise<unknown> | unknown;
  /** For writes: the single bare statement without the transaction and audit row the contract requires. */
  bareStatement?: (i: number) => Promise<unknown> | unknown;
}

export interface CaseResult {
  ops_per_s: number;
  floor_ops_per_s: number;
  /** floor rate / orgvault rate: 1.0 means no overhead over the floor. */
  ratio: number;
  /** For writes: the rate of the lone statement, for reference (not the floor: see BenchCase). */
  bare_statement_ops_per_s?: number;
}

async function rate(
  fn: (i: number) => Promise<unknown> | unknown,
  ms: number,
  offset: number,
): Promise<number> {
  const start = performance.now();
  let n = 0;
  let now = start;
  while (now - start < ms) {
    // Batches of 50 keep clock reads off the measured path.
    for (let k = 0; k < 50; k++) {
      const r = fn(offset + n);
      if (r instanceof Promise) await r;
      n++;
    }
    // Yield to the event loop after every batch, on both sides alike: timers (SQLite's WAL
    // checkpoint) then fire wherever they fall, not only inside the side that awaits.
    await new Promise((resolve) => setImmediate(resolve));
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export async function measure(c: BenchCase, opts: { rounds: number; roundMs: number }): Promise<CaseResult> {
  // Warm-up: JIT, statement caches, key caches.
  await rate(c.run, 150, 0);
  await rate(c.floor, 150, 0);
  const ours: number[] = [];
  const floors: number[] = [];
  let offset = 1_000;
  for (let r = 0; r < opts.rounds; r++) {
    ours.push(await rate(c.run, opts.roundMs, offset));
    floors.push(await rate(c.floor, opts.roundMs, offset));
    offset += 1_000_000;
  }
  const ops = median(ours);
  const floor = median(floors);
  const result: CaseResult = {
    ops_per_s: Math.round(ops),
    floor_ops_per_s: Math.round(floor),
    ratio: Number((floor / ops).toFixed(2)),
  };
  if (c.bareStatement) {
    const lone: number[] = [];
    for (let r = 0; r < Math.min(3, opts.rounds); r++)
      lone.push(await rate(c.bareStatement, opts.roundMs, offset));
    result.bare_statement_ops_per_s = Math.round(median(lone));
  }
  return result;
}

/** One operation measured on a small and a large database, and what growing costs it. */
export interface SizedResult {
  small: CaseResult;
  large: CaseResult;
  /** Median over rounds of (small rate / large rate), the two timed back to back: 1.0 is flat. */
  cost: number;
  /** The same for the floor. */
  floor_cost: number;
  /** The same for the lone statement of a write (for reference). */
  bare_statement_cost?: number;
}

type Side = 'run' | 'floor' | 'bareStatement';

/**
 * `measure` for two databases at once (`bench --scale`): in every round orgvault is timed on both
 * sizes back to back, then the floor on both (then a write's lone statement), the size that goes
 * first alternating, and each cost is the median of the rounds' own small/large ratios. A change of
 * the machine's load between rounds then hits both sizes alike and cancels out of the cost, which it
 * did not when the small database was measured minutes before the large one.
 */
export async function measureSizes(
  small: BenchCase,
  large: BenchCase,
  opts: { rounds: number; roundMs: number },
): Promise<SizedResult> {
  const sides: Side[] =
    small.bareStatement && large.bareStatement ? ['run', 'floor', 'bareStatement'] : ['run', 'floor'];
  const cases = { small, large };
  const side = (size: 'small' | 'large', s: Side) => cases[size][s] as NonNullable<BenchCase[Side]>;
  for (const size of ['small', 'large'] as const) {
    for (const s of sides) await rate(side(size, s), 150, 0);
  }
  const perSide = (): Record<Side, number[]> => ({ run: [], floor: [], bareStatement: [] });
  const rates = { small: perSide(), large: perSide() };
  const costs = perSide();
  let offset = 1_000;
  for (let r = 0; r < opts.rounds; r++) {
    for (const [k, s] of sides.entries()) {
      const order = (r + k) % 2 === 0 ? (['small', 'large'] as const) : (['large', 'small'] as const);
      const got = { small: 0, large: 0 };
      for (const size of order) got[size] = await rate(side(size, s), opts.roundMs, offset);
      rates.small[s].push(got.small);
      rates.large[s].push(got.large);
      costs[s].push(got.small / got.large);
    }
    offset += 1_000_000;
  }
  const resultOf = (size: 'small' | 'large'): CaseResult => {
    const ops = median(rates[size].run);
    const floor = median(rates[size].floor);
    const result: CaseResult = {
      ops_per_s: Math.round(ops),
      floor_ops_per_s: Math.round(floor),
      ratio: Number((floor / ops).toFixed(2)),
    };
    if (sides.includes('bareStatement'))
      result.bare_statement_ops_per_s = Math.round(median(rates[size].bareStatement));
    return result;
  };
  const cost = (s: Side) => Number(median(costs[s]).toFixed(2));
  const out: SizedResult = {
    small: resultOf('small'),
    large: resultOf('large'),
    cost: cost('run'),
    floor_cost: cost('floor'),
  };
  if (sides.includes('bareStatement')) out.bare_statement_cost = cost('bareStatement');
  return out;
}

export function printTable(results: Record<string, CaseResult>, note: string): void {
  const rows = Object.entries(results).map(([name, r]) => [
    name,
    r.ops_per_s.toLocaleString('en-US'),
    r.floor_ops_per_s.toLocaleString('en-US'),
    r.ratio.toFixed(2),
    r.bare_statement_ops_per_s === undefined ? '' : r.bare_statement_ops_per_s.toLocaleString('en-US'),
  ]);
  const head = ['operation', 'ops/s', 'floor ops/s', 'ratio', 'lone statement ops/s'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  process.stdout.write(`${note}\n${line(head)}\n${rows.map(line).join('\n')}\n`);
}
