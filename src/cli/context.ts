import { loadConfig } from '../config.js';
import { isVaultError } from '../errors.js';
import { describeStorageError } from '../storage/engines.js';
import { openVault, type Vault } from '../vault.js';

/** Thrown for a user error; becomes one line on stderr and exit code 1. */
export class CliError extends Error {}

/** Thrown for bad usage that commander cannot see (exit code 2, one line on stderr). */
export class CliUsageError extends CliError {}

/** Exit codes from DESIGN.md: 0 success, 1 user error, 2 bad usage (3 is the importer's partial success). */
export const EXIT = { ok: 0, userError: 1, usage: 2, partial: 3 } as const;

/** Opens the vault from the same environment the server reads, runs fn, always closes. */
export async function withVault<T>(fn: (vault: Vault) => Promise<T>): Promise<T> {
  const vault = await openVault({ config: loadConfig() });
  try {
    return await fn(vault);
  } finally {
    await vault.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as aligned columns (for humans; --json is for programs). */
export function printTable(headers: string[], rows: (string | number | null)[][]): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const r of cells)
    process.stdout.write(
      `${r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
}

/** One line for stderr: never a stack trace, never a secret (VaultError messages carry none). */
export function describeError(err: unknown): string {
  if (isVaultError(err) || err instanceof CliError) return err.message;
  const storage = describeStorageError(err);
  if (storage !== null) return storage;
  const listening = describeListenError(err);
  if (listening !== null) return listening;
  return `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
}

/** The ordinary mistakes of `serve`: a port taken, an address that is not this machine's. */
function describeListenError(err: unknown): string | null {
  if (!(err instanceof Error) || !('code' in err)) return null;
  const { address, port } = err as { address?: string; port?: number };
  const where = address !== undefined ? `${address}:${port ?? ''}` : 'the address';
  switch (err.code) {
    case 'EADDRINUSE':
      return `${where} is already in use (another process listens there): choose another --port or ORGVAULT_PORT`;
    case 'EADDRNOTAVAIL':
      return `${where} is not an address of this machine: choose another --host or ORGVAULT_HOST`;
    case 'EACCES':
      return `not allowed to listen on ${where} (ports below 1024 need privileges): choose another --port`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host ${(err as { hostname?: string }).hostname ?? ''}: choose another --host or ORGVAULT_HOST`;
  }
  return null;
}
