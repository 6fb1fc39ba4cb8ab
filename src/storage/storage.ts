import type { StorageEngine } from './engines.js';
import type { Repositories } from './stores.js';

/**
 * Who a unit of work runs as. PostgreSQL turns this into `SET LOCAL orgvault.org_id` (row-level
 * security); `system` is the deliberate cross-org path, taken only by vault.system and the CLI;
 * `auth` is the narrow path of key verification and bootstrap, before any org is known.
 */
export type Scope = { kind: 'org'; orgId: string } | { kind: 'system' } | { kind: 'auth' };

export interface StorageCapabilities {
  engine: StorageEngine;
}

export interface Storage {
  readonly capabilities: StorageCapabilities;
  /** The schema versions opening this storage applied (empty: the schema was already current). */
  readonly migrationsApplied?: readonly number[];
  /**
   * Runs fn in one transaction. The callback may await; no other transaction interleaves on SQLite
   * (queued, BEGIN IMMEDIATE; transactions queued together may share one COMMIT, each under its own
   * savepoint). Throwing rolls everything fn wrote back. Resolves once the writes are committed.
   */
  transaction<T>(scope: Scope, fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Runs reads with the scope applied; no write lock is taken. */
  read<T>(scope: Scope, fn: (r: Repositories) => Promise<T>): Promise<T>;
  /**
   * Optional capability: a value that changes whenever any write has been committed to the
   * database, by this process or another. Lets callers cache results derived from reads (the HTTP
   * module list) without ever serving stale data; engines that cannot tell cheaply leave it out
   * and callers then do not cache.
   */
  changeToken?(): string;
  /**
   * Optional, narrower: a value that changes whenever an API key row may have changed (a commit of
   * this storage that wrote api_keys or organizations, whose deletion cascades to keys; or any
   * commit by another connection or process, which it cannot see into). What key verification
   * caches under, so the writes of ordinary traffic (installs, credential stores) do not empty it.
   */
  authChangeToken?(): string;
  /**
   * Optional, with both of the above: the two tokens from one read, as changeToken() and
   * authChangeToken() would answer at this moment (the HTTP auth hook needs both per request).
   */
  changeTokens?(): { data: string; auth: string };
  /**
   * Optional: runs fn holding a lock shared by every process on this database, outside any
   * transaction, for work that must not span one, such as an outbound call (the OAuth2 token
   * broker). PostgreSQL: a session advisory lock on a connection of its own, which fn's units of
   * work run on too, so a holder never needs a second pooled connection. Engines without one
   * (SQLite) leave it out: their callers re-check what they read when they write.
   */
  withLock?<T>(name: SessionLock, key: string, fn: (units: UnitsOfWork) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The locks withLock knows. */
export type SessionLock = 'oauth-token';

/** What runs under withLock: transactions and reads, on the lock's connection. */
export type UnitsOfWork = Pick<Storage, 'transaction' | 'read'>;

export const orgScope = (orgId: string): Scope => ({ kind: 'org', orgId });
export const SYSTEM_SCOPE: Scope = { kind: 'system' };
export const AUTH_SCOPE: Scope = { kind: 'auth' };
