import type { Vault } from '../../src/vault.js';
import { adminPool } from './postgres.js';

/**
 * Resolves once `work` has settled or, on PostgreSQL, once a session of this vault's runtime role
 * waits on a lock (it is blocked behind a transaction the test holds open). On SQLite a second
 * transaction queues behind the open one, so there is nothing to wait for. Polls the server's own
 * activity view: the event the test waits for, not an arbitrary delay.
 */
export async function settledOrWaitingOnLock(vault: Vault, work: Promise<unknown>): Promise<void> {
  const url = vault.config.databaseUrl;
  if (!url.startsWith('postgres')) return;
  const role = decodeURIComponent(new URL(url).username);
  let settled = false;
  work.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  const admin = adminPool();
  for (let i = 0; i < 2000 && !settled; i++) {
    const r = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'",
      [role],
    );
    if ((r.rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!settled) throw new Error('neither settled nor waiting on a lock');
}
