/**
 * Facts about the whole deployment (no tenant data, so no row-level security on PostgreSQL): one
 * row per fact, written once. Today: that an API key was ever issued, which closes bootstrap for
 * good even after every key is revoked, expires or goes with its org. The statements are the same
 * on both engines (`?` placeholders; the PostgreSQL store numbers them).
 */
export const EVER_ISSUED_SQL = `SELECT CASE WHEN EXISTS (SELECT 1 FROM api_keys)
  OR EXISTS (SELECT 1 FROM deployment_marks WHERE name = 'api_key_issued') THEN 1 ELSE 0 END AS n`;

export const MARK_ISSUED_SQL =
  "INSERT INTO deployment_marks (name, at) VALUES ('api_key_issued', ?) ON CONFLICT (name) DO NOTHING";
