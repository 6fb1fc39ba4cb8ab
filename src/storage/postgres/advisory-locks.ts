/**
 * Advisory lock keys, in the two-integer form (purpose, hash of the schema [and object]): advisory
 * locks are per database, so the schema is part of the key and two orgvault deployments (or test
 * schemas) sharing one database never wait on each other.
 */
const SCHEMA = 'hashtext(current_schema())';

/** Held for the whole migration (session lock): two nodes starting together never both migrate. */
export const MIGRATION_LOCK = {
  lock: `SELECT pg_advisory_lock(28530, ${SCHEMA})`,
  unlock: `SELECT pg_advisory_unlock(28530, ${SCHEMA})`,
};

/** System-scope write transactions, serialised as on SQLite (see scoped-transaction.ts). */
export const SYSTEM_WRITE_LOCK_SQL = `SELECT pg_advisory_xact_lock(28531, ${SCHEMA})`;

/** Bootstrap's count-then-insert (api-keys.ts). */
export const BOOTSTRAP_LOCK_SQL = `SELECT pg_advisory_xact_lock(28532, ${SCHEMA})`;

/** One org's audit chain append; $1 = org id (audit.ts). */
export const AUDIT_CHAIN_LOCK_SQL = `SELECT pg_advisory_xact_lock(28533, hashtext(current_schema() || ':' || $1::text))`;

/**
 * One (org, module)'s OAuth2 token requests, a session lock (postgres-storage.ts withLock);
 * $1 = `<org id>/<module id>`. The token broker holds it across its token request, with no
 * transaction open, until its write has committed: every node refreshing the same connection
 * waits here, then finds the token the first one stored.
 */
export const OAUTH_TOKEN_SESSION_LOCK = {
  lock: `SELECT pg_advisory_lock(28534, hashtext(current_schema() || ':' || $1::text))`,
  unlock: `SELECT pg_advisory_unlock(28534, hashtext(current_schema() || ':' || $1::text))`,
};
