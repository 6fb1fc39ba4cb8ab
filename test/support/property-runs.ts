import fc from 'fast-check';

/**
 * Property runs that can be replayed. The seed comes from ORGVAULT_TEST_SEED when set (and the
 * shrink path from ORGVAULT_TEST_SEED_PATH, to jump straight to a counterexample), otherwise a fresh
 * one; a failure names both, as the environment to set to run exactly that case again.
 */
function chosenSeed(): { seed: number; path?: string } {
  const given = process.env.ORGVAULT_TEST_SEED?.trim();
  const path = process.env.ORGVAULT_TEST_SEED_PATH?.trim() || undefined;
  if (given) {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed)) throw new Error(`ORGVAULT_TEST_SEED must be an integer, got "${given}"`);
    return { seed, ...(path ? { path } : {}) };
  }
  return { seed: (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0 };
}

function replayHint(seed: number, path: string | undefined): string {
  return `replay with ORGVAULT_TEST_SEED=${seed}${path ? ` ORGVAULT_TEST_SEED_PATH=${path}` : ''}`;
}

/** fc.assert for an async property, with a replayable seed. */
export async function assertAsyncProperty<Ts>(
  property: fc.IAsyncProperty<Ts>,
  options: { numRuns: number },
): Promise<void> {
  const { seed, path } = chosenSeed();
  const details = await fc.check(property, { numRuns: options.numRuns, seed, ...(path ? { path } : {}) });
  if (details.failed) {
    const report = (await fc.asyncDefaultReportMessage(details)) ?? 'property failed';
    throw new Error(`${report}\n${replayHint(details.seed, details.counterexamplePath ?? undefined)}`);
  }
}

/** fc.assert for a synchronous property, with a replayable seed. */
export function assertProperty<Ts>(property: fc.IProperty<Ts>, options: { numRuns: number }): void {
  const { seed, path } = chosenSeed();
  const details = fc.check(property, { numRuns: options.numRuns, seed, ...(path ? { path } : {}) });
  if (details.failed) {
    const report = fc.defaultReportMessage(details) ?? 'property failed';
    throw new Error(`${report}\n${replayHint(details.seed, details.counterexamplePath ?? undefined)}`);
  }
}
