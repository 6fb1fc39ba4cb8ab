/**
 * SQLite schema, as versioned migrations. A migration is applied once, inside the same transaction
 * that records it in schema_migrations, so opening a database twice (or from two processes at once)
 * is safe. Never edit a released migration: add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'core: organizations, modules, credentials, keys, audit, checkpoints',
    sql: `
      CREATE TABLE organizations (
        org_id      TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        plan        TEXT,
        created_at  TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE modules (
        org_id               TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        module_id            TEXT NOT NULL,
        name                 TEXT NOT NULL,
        category             TEXT NOT NULL,
        platform             TEXT NOT NULL,
        version              TEXT NOT NULL,
        status               TEXT NOT NULL,
        health_status        TEXT NOT NULL,
        manifest             TEXT NOT NULL,
        installed_at         TEXT NOT NULL,
        updated_at           TEXT NOT NULL,
        failure_count        INTEGER NOT NULL DEFAULT 0,
        success_count        INTEGER NOT NULL DEFAULT 0,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_failure_at      TEXT,
        last_used_at         TEXT,
        PRIMARY KEY (org_id, module_id)
      ) WITHOUT ROWID;
      -- No secondary index for the (category, name) order: an org's rows are already contiguous in
      -- the primary key, sorting them is cheap, and an index would double the pages every install writes.

      CREATE TABLE credentials (
        org_id       TEXT NOT NULL,
        module_id    TEXT NOT NULL,
        key_version  INTEGER NOT NULL,
        nonce        BLOB NOT NULL,
        ciphertext   BLOB NOT NULL,
        field_names  TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        PRIMARY KEY (org_id, module_id),
        FOREIGN KEY (org_id, module_id) REFERENCES modules(org_id, module_id) ON DELETE CASCADE
      ) WITHOUT ROWID;

      CREATE TABLE master_keys (
        key_id       TEXT PRIMARY KEY,
        check_value  BLOB NOT NULL,
        created_at   TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE org_keys (
        org_id         TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        version        INTEGER NOT NULL,
        master_key_id  TEXT NOT NULL,
        wrapped        BLOB NOT NULL,
        created_at     TEXT NOT NULL,
        PRIMARY KEY (org_id, version)
      ) WITHOUT ROWID;

      CREATE TABLE api_keys (
        key_id                TEXT PRIMARY KEY,
        org_id                TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        hash                  TEXT NOT NULL,
        legacy                INTEGER NOT NULL DEFAULT 0,
        role                  TEXT NOT NULL,
        name                  TEXT,
        status                TEXT NOT NULL,
        created_at            TEXT NOT NULL,
        created_by            TEXT,
        expires_at            TEXT,
        grace_until           TEXT,
        revoked_at            TEXT,
        last_used_at          TEXT,
        rotated_to            TEXT,
        rate_limit_per_minute INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX api_keys_by_org ON api_keys (org_id, created_at);
      CREATE UNIQUE INDEX api_keys_legacy_hash ON api_keys (hash) WHERE legacy = 1;

      CREATE TABLE audit_events (
        org_id        TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        seq           INTEGER NOT NULL,
        at            TEXT NOT NULL,
        actor_key_id  TEXT,
        action        TEXT NOT NULL,
        target_type   TEXT,
        target_id     TEXT,
        request_id    TEXT,
        outcome       TEXT NOT NULL,
        details       TEXT NOT NULL,
        prev_hash     TEXT NOT NULL,
        hash          TEXT NOT NULL,
        PRIMARY KEY (org_id, seq)
      ) WITHOUT ROWID;

      CREATE TABLE checkpoints (
        org_id           TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        conversation_id  TEXT NOT NULL,
        state            TEXT NOT NULL,
        version          INTEGER NOT NULL,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        PRIMARY KEY (org_id, conversation_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'credentials: layout of the associated data (2 = bound to the destination)',
    sql: `
      ALTER TABLE credentials ADD COLUMN aad_version INTEGER NOT NULL DEFAULT 1;
    `,
  },
  {
    version: 3,
    name: 'deployment marks: facts about the whole deployment (an API key was ever issued)',
    sql: `
      CREATE TABLE deployment_marks (
        name  TEXT PRIMARY KEY,
        at    TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: 'langgraph: checkpoints, channel values and pending writes of LangGraph threads, sealed per org',
    sql: `
      CREATE TABLE lg_checkpoints (
        org_id                TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        thread_id             TEXT NOT NULL,
        checkpoint_ns         TEXT NOT NULL,
        checkpoint_id         TEXT NOT NULL,
        parent_checkpoint_id  TEXT,
        key_version           INTEGER NOT NULL,
        nonce                 BLOB NOT NULL,
        sealed                BLOB NOT NULL,
        created_at            TEXT NOT NULL,
        PRIMARY KEY (org_id, thread_id, checkpoint_ns, checkpoint_id)
      ) WITHOUT ROWID;

      CREATE TABLE lg_channel_values (
        org_id         TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        thread_id      TEXT NOT NULL,
        checkpoint_ns  TEXT NOT NULL,
        channel        TEXT NOT NULL,
        version        TEXT NOT NULL,
        checkpoint_id  TEXT NOT NULL,
        key_version    INTEGER NOT NULL,
        nonce          BLOB NOT NULL,
        sealed         BLOB NOT NULL,
        PRIMARY KEY (org_id, thread_id, checkpoint_ns, channel, version)
      ) WITHOUT ROWID;

      CREATE TABLE lg_writes (
        org_id         TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        thread_id      TEXT NOT NULL,
        checkpoint_ns  TEXT NOT NULL,
        checkpoint_id  TEXT NOT NULL,
        task_id        TEXT NOT NULL,
        idx            INTEGER NOT NULL,
        task_path      TEXT NOT NULL,
        key_version    INTEGER NOT NULL,
        nonce          BLOB NOT NULL,
        sealed         BLOB NOT NULL,
        PRIMARY KEY (org_id, thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    name: 'conversations: tool results as rows (the checkpoint keeps a window of the newest)',
    // Existing checkpoints keep their whole toolResults array; it is copied here as seq 1..n so the
    // history stays readable page by page once the next call trims the state to its window.
    sql: `
      CREATE TABLE tool_results (
        org_id           TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        conversation_id  TEXT NOT NULL,
        seq              INTEGER NOT NULL,
        tool_result      TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        PRIMARY KEY (org_id, conversation_id, seq)
      ) WITHOUT ROWID;

      INSERT INTO tool_results (org_id, conversation_id, seq, tool_result, created_at)
        SELECT c.org_id, c.conversation_id, CAST(t.key AS INTEGER) + 1, t.value, c.updated_at
        FROM checkpoints c, json_each(c.state, '$.toolResults') t;
    `,
  },
  {
    version: 6,
    name: 'oauth: pending authorization states (hashed) and the non-secret facts of each connection',
    sql: `
      -- The state is the credential of the callback: only its hash is kept, with the PKCE verifier
      -- sealed under a key derived from the state itself (so the row alone cannot finish a flow).
      CREATE TABLE oauth_states (
        org_id           TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        state_hash       TEXT NOT NULL,
        module_id        TEXT NOT NULL,
        key_id           TEXT,
        verifier_nonce   BLOB NOT NULL,
        verifier_sealed  BLOB NOT NULL,
        return_to        TEXT,
        created_at       TEXT NOT NULL,
        expires_at       TEXT NOT NULL,
        PRIMARY KEY (org_id, state_hash)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX oauth_states_by_hash ON oauth_states (state_hash);

      -- Status, scopes and expiry of a connection; the tokens themselves are sealed inside the
      -- module's credentials row, so they go with it (disconnect, uninstall, a new client).
      CREATE TABLE oauth_connections (
        org_id        TEXT NOT NULL,
        module_id     TEXT NOT NULL,
        status        TEXT NOT NULL,
        scopes        TEXT NOT NULL,
        expires_at    TEXT,
        connected_at  TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (org_id, module_id),
        FOREIGN KEY (org_id, module_id) REFERENCES credentials(org_id, module_id) ON DELETE CASCADE
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    name: 'console: when each key last signed out of the console (its older sessions end)',
    // The console's session is an encrypted cookie; signing out records the time on the key's row,
    // which every console request reads anyway, so a copy of an older cookie no longer opens.
    sql: `
      ALTER TABLE api_keys ADD COLUMN console_signed_out_at TEXT;
    `,
  },
  {
    version: 8,
    name: 'langgraph: a checkpoint row holds the channel values it introduced, and where each of its channels lives',
    // One row (one seal) per put instead of one per changed channel; channel_homes (plaintext, part
    // of the row's associated data) names, per channel version, the checkpoint row holding the
    // value. Rows written before keep NULL there and their values in lg_channel_values.
    // The table becomes a rowid table with its key as a separate index: a put appends to the
    // table's last page and adds a short index entry, where the WITHOUT ROWID table inserted ~600
    // bytes in the middle of each thread's range and rebalanced leaves every few puts (measured:
    // 3.2 WAL pages a put, against 2.6 for LangGraph's own SqliteSaver, which has this layout).
    sql: `
      CREATE TABLE lg_checkpoints_v8 (
        org_id                TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        thread_id             TEXT NOT NULL,
        checkpoint_ns         TEXT NOT NULL,
        checkpoint_id         TEXT NOT NULL,
        parent_checkpoint_id  TEXT,
        channel_homes         TEXT,
        key_version           INTEGER NOT NULL,
        nonce                 BLOB NOT NULL,
        sealed                BLOB NOT NULL,
        created_at            TEXT NOT NULL,
        PRIMARY KEY (org_id, thread_id, checkpoint_ns, checkpoint_id)
      );
      INSERT INTO lg_checkpoints_v8
        (org_id, thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, channel_homes, key_version, nonce, sealed, created_at)
        SELECT org_id, thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, NULL, key_version, nonce, sealed, created_at
        FROM lg_checkpoints ORDER BY org_id, thread_id, checkpoint_ns, checkpoint_id;
      DROP TABLE lg_checkpoints;
      ALTER TABLE lg_checkpoints_v8 RENAME TO lg_checkpoints;
    `,
  },
];
