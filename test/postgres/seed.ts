import type pg from 'pg';

/**
 * Raw rows for two orgs in every tenant table, written as the runtime role through the system scope
 * (the only path allowed to write more than one org), so the isolation tests read orgvault's tables
 * without going through orgvault's own queries.
 */
export async function seedTwoOrgs(runtime: pg.ClientBase, orgs: string[]): Promise<void> {
  const now = '2026-01-01T00:00:00.000Z';
  await runtime.query('BEGIN');
  await runtime.query("SELECT set_config('orgvault.system', 'on', true)");
  for (const org of orgs) {
    await runtime.query(
      'INSERT INTO organizations (org_id, name, plan, created_at) VALUES ($1, $1, NULL, $2)',
      [org, now],
    );
    await runtime.query(
      `INSERT INTO modules (org_id, module_id, name, category, platform, version, status, health_status, manifest, installed_at, updated_at)
       VALUES ($1, 'weather/openweather', 'openweather', 'weather', 'openweather', '1.0.0', 'installed', 'unknown', '{}', $2, $2)`,
      [org, now],
    );
    await runtime.query(
      `INSERT INTO credentials (org_id, module_id, key_version, nonce, ciphertext, field_names, created_at, updated_at)
       VALUES ($1, 'weather/openweather', 1, '\\x00', '\\x00', '["api_key"]', $2, $2)`,
      [org, now],
    );
    await runtime.query(
      "INSERT INTO org_keys (org_id, version, master_key_id, wrapped, created_at) VALUES ($1, 1, 'k1', '\\x00', $2)",
      [org, now],
    );
    await runtime.query(
      "INSERT INTO api_keys (key_id, org_id, hash, role, status, created_at) VALUES ($1, $2, 'h', 'owner', 'active', $3)",
      [`key_${org}`, org, now],
    );
    await runtime.query(
      `INSERT INTO audit_events (org_id, seq, at, action, outcome, details, prev_hash, hash)
       VALUES ($1, 1, $2, 'org.create', 'success', '{}', 'p', 'h')`,
      [org, now],
    );
    await runtime.query(
      "INSERT INTO checkpoints (org_id, conversation_id, state, version, created_at, updated_at) VALUES ($1, 'c1', '{}', 1, $2, $2)",
      [org, now],
    );
    await runtime.query(
      `INSERT INTO lg_checkpoints (org_id, thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, key_version, nonce, sealed, created_at)
       VALUES ($1, 't1', '', 'c1', NULL, 1, '\\x00', '\\x00', $2)`,
      [org, now],
    );
    await runtime.query(
      `INSERT INTO lg_channel_values (org_id, thread_id, checkpoint_ns, channel, version, checkpoint_id, key_version, nonce, sealed)
       VALUES ($1, 't1', '', 'messages', '1', 'c1', 1, '\\x00', '\\x00')`,
      [org],
    );
    await runtime.query(
      `INSERT INTO lg_writes (org_id, thread_id, checkpoint_ns, checkpoint_id, task_id, idx, task_path, key_version, nonce, sealed)
       VALUES ($1, 't1', '', 'c1', 'task', 0, '', 1, '\\x00', '\\x00')`,
      [org],
    );
    await runtime.query(
      `INSERT INTO tool_results (org_id, conversation_id, seq, tool_result, created_at) VALUES ($1, 'c1', 1, '{}', $2)`,
      [org, now],
    );
    await runtime.query(
      `INSERT INTO oauth_states (org_id, state_hash, module_id, key_id, verifier_nonce, verifier_sealed, return_to, created_at, expires_at)
       VALUES ($1, $2, 'weather/openweather', NULL, '\\x00', '\\x00', NULL, $3, $3)`,
      [org, `hash_${org}`, now],
    );
    await runtime.query(
      `INSERT INTO oauth_connections (org_id, module_id, status, scopes, expires_at, connected_at, updated_at)
       VALUES ($1, 'weather/openweather', 'connected', '[]', NULL, $2, $2)`,
      [org, now],
    );
  }
  await runtime.query('COMMIT');
}
