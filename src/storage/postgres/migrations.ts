/**
 * PostgreSQL schema, as versioned migrations run by the owner role (never by the runtime role).
 * Same tables and columns as SQLite; timestamps are ISO-8601 UTC text exactly as on SQLite, so the
 * adapters order and compare them identically. JSON is `json` (not jsonb) so a manifest or audit
 * detail comes back with its keys as written. Ids, names and sort keys are COLLATE "C" (byte order)
 * so that lists come out in the same order as on SQLite whatever the database locale. Never edit a released migration: add the next one.
 *
 * Row-level security: every tenant table is ENABLEd and FORCEd (FORCE makes the owner subject to it
 * too) with three permissive policies:
 * - `tenant`: org_id = current_setting('orgvault.org_id', true), the only path of tenant requests;
 * - `system`: current_setting('orgvault.system', true) = 'on', set only for vault.system and the CLI;
 * - on api_keys only, `auth_read` / `auth_touch`: current_setting('orgvault.auth', true) = 'on', the
 *   key-verification path (lookup by key id or legacy hash, count usable keys, touch last_used_at);
 *   a trigger refuses any auth-scope UPDATE that changes more than last_used_at, and auth scope can
 *   neither insert nor delete.
 * All three settings are only ever set with set_config(..., true): transaction-local.
 */
export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

/** The tenant tables of migration 1 (a released migration: this list never changes). */
const V1_TENANT_TABLES = [
  'organizations',
  'modules',
  'credentials',
  'org_keys',
  'api_keys',
  'audit_events',
  'checkpoints',
] as const;

/** The tenant tables of migration 4: LangGraph threads (src/storage/sql/langgraph.ts). */
const V4_TENANT_TABLES = ['lg_checkpoints', 'lg_channel_values', 'lg_writes'] as const;

/** The tenant tables of migration 5: a conversation's tool results (src/storage/sql/tool-results.ts). */
const V5_TENANT_TABLES = ['tool_results'] as const;

/** The tables that carry org_id and must be guarded by RLS (checked at start-up and by doctor). */
/** The tenant tables of migration 6: OAuth2 states and connections (src/storage/sql/oauth.ts). */
const V6_TENANT_TABLES = ['oauth_states', 'oauth_connections'] as const;

/** The tables that carry org_id and must be guarded by RLS (checked at start-up and by doctor). */
export const TENANT_TABLES = [
  ...V1_TENANT_TABLES,
  ...V4_TENANT_TABLES,
  ...V5_TENANT_TABLES,
  ...V6_TENANT_TABLES,
] as const;

/** Tables the runtime role reads and writes without RLS: no tenant data in them. */
export const SHARED_TABLES = ['master_keys', 'deployment_marks'] as const;

const ORG = "current_setting('orgvault.org_id', true)";
const SYSTEM = "current_setting('orgvault.system', true) = 'on'";
const AUTH = "current_setting('orgvault.auth', true) = 'on'";

const rls = (table: string): string => `
  ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
  ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
  CREATE POLICY tenant ON ${table} USING (org_id = ${ORG}) WITH CHECK (org_id = ${ORG});
  CREATE POLICY system ON ${table} USING (${SYSTEM}) WITH CHECK (${SYSTEM});
`;

export const PG_MIGRATIONS: PgMigration[] = [
  {
    version: 1,
    name: 'core: organizations, modules, credentials, keys, audit, checkpoints, row-level security',
    sql: `
      CREATE TABLE organizations (
        org_id      text COLLATE "C" PRIMARY KEY,
        name        text NOT NULL,
        plan        text,
        created_at  text NOT NULL
      );

      CREATE TABLE modules (
        org_id               text COLLATE "C" NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        module_id            text COLLATE "C" NOT NULL,
        name                 text COLLATE "C" NOT NULL,
        category             text COLLATE "C" NOT NULL,
        platform             text NOT NULL,
        version              text NOT NULL,
        status               text NOT NULL,
        health_status        text NOT NULL,
        manifest             json NOT NULL,
        installed_at         text NOT NULL,
        updated_at           text NOT NULL,
        failure_count        integer NOT NULL DEFAULT 0,
        success_count        integer NOT NULL DEFAULT 0,
        consecutive_failures integer NOT NULL DEFAULT 0,
        last_failure_at      text,
        last_used_at         text,
        PRIMARY KEY (org_id, module_id)
      );
      CREATE INDEX modules_by_order ON modules (org_id, category, name, module_id);

      CREATE TABLE credentials (
        org_id       text COLLATE "C" NOT NULL,
        module_id    text COLLATE "C" NOT NULL,
        key_version  integer NOT NULL,
        nonce        bytea NOT NULL,
        ciphertext   bytea NOT NULL,
        field_names  json NOT NULL,
        created_at   text NOT NULL,
        updated_at   text NOT NULL,
        PRIMARY KEY (org_id, module_id),
        FOREIGN KEY (org_id, module_id) REFERENCES modules(org_id, module_id) ON DELETE CASCADE
      );

      CREATE TABLE master_keys (
        key_id       text COLLATE "C" PRIMARY KEY,
        check_value  bytea NOT NULL,
        created_at   text NOT NULL
      );

      CREATE TABLE org_keys (
        org_id         text COLLATE "C" NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        version        integer NOT NULL,
        master_key_id  text COLLATE "C" NOT NULL,
        wrapped        bytea NOT NULL,
        created_at     text NOT NULL,
        PRIMARY KEY (org_id, version)
      );

      CREATE TABLE api_keys (
        key_id                text COLLATE "C" PRIMARY KEY,
        org_id                text COLLATE "C" NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        hash                  text NOT NULL,
        legacy                boolean NOT NULL DEFAULT false,
        role                  text NOT NULL,
        name                  text,
        status                text NOT NULL,
        created_at            text COLLATE "C" NOT NULL,
        created_by            text,
        expires_at            text COLLATE "C",
        grace_until           text COLLATE "C",
        revoked_at            text,
        last_used_at          text,
        rotated_to            text,
        rate_limit_per_minute integer
      );
      CREATE INDEX api_keys_by_org ON api_keys (org_id, created_at);
      CREATE UNIQUE INDEX api_keys_legacy_hash ON api_keys (hash) WHERE legacy;

      CREATE TABLE audit_events (
        org_id        text COLLATE "C" NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        seq           integer NOT NULL,
        at            text NOT NULL,
        actor_key_id  text,
        action        text NOT NULL,
        target_type   text,
        target_id     text,
        request_id    text,
        outcome       text NOT NULL,
        details       json NOT NULL,
        prev_hash     text NOT NULL,
        hash          text NOT NULL,
        PRIMARY KEY (org_id, seq)
      );

      CREATE TABLE checkpoints (
        org_id           text COLLATE "C" NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        conversation_id  text COLLATE "C" NOT NULL,
        state            json NOT NULL,
        version          integer NOT NULL,
        created_at       text NOT NULL,
        updated_at       text NOT NULL,
        PRIMARY KEY (org_id, conversation_id)
      );

      ${V1_TENANT_TABLES.map(rls).join('\n')}

      CREATE POLICY auth_read ON api_keys FOR SELECT USING (${AUTH});
      CREATE POLICY auth_touch ON api_keys FOR UPDATE USING (${AUTH}) WITH CHECK (${AUTH});

      -- Auth scope may touch last_used_at and nothing else: a bug on the verification path must not
      -- be able to un-revoke a key or move it to another org.
      CREATE FUNCTION orgvault_api_keys_auth_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF ${AUTH} AND (to_jsonb(NEW) - 'last_used_at') IS DISTINCT FROM (to_jsonb(OLD) - 'last_used_at') THEN
          RAISE EXCEPTION 'orgvault: the auth scope may only update api_keys.last_used_at'
            USING ERRCODE = '42501';
        END IF;
        RETURN NEW;
      END
      $fn$;
      CREATE TRIGGER api_keys_auth_guard BEFORE UPDATE ON api_keys
        FOR EACH ROW EXECUTE FUNCTION orgvault_api_keys_auth_guard();
    `,
  },
  {
    version: 2,
    name: 'credentials: layout of the associated data (2 = bound to the destination)',
    sql: `
      ALTER TABLE credentials ADD COLUMN aad_version integer NOT NULL DEFAULT 1;
    `,
  },
  {
    version: 3,
    name: 'deployment marks: facts about the whole deployment (an API key was ever issued)',
    sql: `
      CREATE TABLE deployment_marks (
        name  text COLLATE "C" PRIMARY KEY,
        at    text NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'langgraph: checkpoints, channel values and pending writes of LangGraph threads, sealed per org',
    sql: `
      CREATE TABLE lg_checkpoints (
        org_id                text COLLATE "C" NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        thread_id             text COLLATE "C" NOT NULL,
        checkpoint_ns         text COLLATE "C" NOT NULL,
        checkpoint_id         text COLLATE "C" NOT NULL,
        parent_checkpoint_id  text COLLATE "C",
        key_version           integer NOT NULL,
        nonce                 bytea NOT NULL,
        sealed                bytea NOT NULL,
        created_at            text NOT NULL,
        PRIMARY KEY (org_id, thread_id, checkpoint_ns, checkpoint_id)
      );

      CREATE TABLE lg_channel_values (
        org_id         text COLLATE "C" NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        thread_id      text COLLATE "C" NOT NULL,
        checkpoint_ns  text COLLATE "C" NOT NULL,
        channel        text COLLATE "C" NOT NULL,
        version        text COLLATE "C" NOT NULL,
        checkpoint_id  text COLLATE "C" NOT NULL,
        key_version    integer NOT NULL,
        nonce          bytea NOT NULL,
        sealed         bytea NOT NULL,
        PRIMARY KEY (org_id, thread_id, checkpoint_ns, channel, version)
      );

      CREATE TABLE lg_writes (
        org_id         text COLLATE "C" NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        thread_id      text COLLATE "C" NOT NULL,
        checkpoint_ns  text COLLATE "C" NOT NULL,
        checkpoint_id  text COLLATE "C" NOT NULL,
        task_id        text COLLATE "C" NOT NULL,
        idx            integer NOT NULL,
        task_path      text COLLATE "C" NOT NULL,
        key_version    integer NOT NULL,
        nonce          bytea NOT NULL,
        sealed         bytea NOT NULL,
        PRIMARY KEY (org_id, thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
      );

      ${V4_TENANT_TABLES.map(rls).join('\n')}
    `,
  },
  {
    version: 5,
    name: 'conversations: tool results as rows (the checkpoint keeps a window of the newest)',
    // Existing checkpoints keep their whole toolResults array; it is copied here as seq 1..n so the
    // history stays readable page by page once the next call trims the state to its window.
    sql: `
      CREATE TABLE tool_results (
        org_id           text COLLATE "C" NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        conversation_id  text COLLATE "C" NOT NULL,
        seq              integer NOT NULL,
        tool_result      json NOT NULL,
        created_at       text NOT NULL,
        PRIMARY KEY (org_id, conversation_id, seq)
      );

      ${V5_TENANT_TABLES.map(rls).join('\n')}

      INSERT INTO tool_results (org_id, conversation_id, seq, tool_result, created_at)
        SELECT c.org_id, c.conversation_id, t.ord, t.value, c.updated_at
        FROM checkpoints c,
          json_array_elements(CASE WHEN json_typeof(c.state->'toolResults') = 'array'
            THEN c.state->'toolResults' ELSE '[]'::json END) WITH ORDINALITY AS t(value, ord);
    `,
  },
  {
    version: 6,
    name: 'oauth: pending authorization states (hashed) and the non-secret facts of each connection',
    sql: `
      CREATE TABLE oauth_states (
        org_id           text COLLATE "C" NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
        state_hash       text COLLATE "C" NOT NULL,
        module_id        text COLLATE "C" NOT NULL,
        key_id           text COLLATE "C",
        verifier_nonce   bytea NOT NULL,
        verifier_sealed  bytea NOT NULL,
        return_to        text,
        created_at       text NOT NULL,
        expires_at       text NOT NULL,
        PRIMARY KEY (org_id, state_hash)
      );
      CREATE UNIQUE INDEX oauth_states_by_hash ON oauth_states (state_hash);

      CREATE TABLE oauth_connections (
        org_id        text COLLATE "C" NOT NULL,
        module_id     text COLLATE "C" NOT NULL,
        status        text NOT NULL,
        scopes        jsonb NOT NULL,
        expires_at    text,
        connected_at  text NOT NULL,
        updated_at    text NOT NULL,
        PRIMARY KEY (org_id, module_id),
        FOREIGN KEY (org_id, module_id) REFERENCES credentials(org_id, module_id) ON DELETE CASCADE
      );

      ${V6_TENANT_TABLES.map(rls).join('\n')}

      -- The callback knows no org before it has the state: the auth scope may find and consume a
      -- state by its hash (the hash of a 256-bit random value), and nothing else.
      CREATE POLICY auth_read ON oauth_states FOR SELECT USING (${AUTH});
      CREATE POLICY auth_consume ON oauth_states FOR DELETE USING (${AUTH});
    `,
  },
  {
    version: 7,
    name: 'console: when each key last signed out of the console (its older sessions end)',
    // Written in the key's org scope (tenant policy); read with the key's row in the auth scope.
    sql: `
      ALTER TABLE api_keys ADD COLUMN console_signed_out_at text;
    `,
  },
  {
    version: 8,
    name: 'langgraph: a checkpoint row holds the channel values it introduced, and where each of its channels lives',
    // See the SQLite migration of the same number. text, not jsonb: the exact bytes are associated data.
    sql: `
      ALTER TABLE lg_checkpoints ADD COLUMN channel_homes text;
    `,
  },
];

export const LATEST_PG_VERSION = PG_MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
