import type pg from 'pg';
import { VaultError } from '../../errors.js';
import { TENANT_TABLES } from './migrations.js';

/** One line of the start-up check (also printed by `orgvault doctor`). */
export interface RlsFinding {
  ok: boolean;
  check: string;
  detail: string;
  /** The tenant table checked, with each of its problems (to group them across tables). */
  table?: string;
  problems?: string[];
}

interface RoleRecord {
  role: string;
  superuser: boolean;
  bypassrls: boolean;
  via_super: string | null;
  via_bypass: string | null;
}

interface TableRecord {
  relname: string;
  owner: string;
  owned: boolean;
  enabled: boolean;
  forced: boolean;
  policies: number;
}

/**
 * Checks that row-level security actually binds the role this connection runs as: it must not be a
 * superuser or BYPASSRLS (nor able to SET ROLE to one), must not own (or be a member of the owner of)
 * any tenant table, since an owner can switch RLS off, and every tenant table must have RLS ENABLED
 * and FORCED with at least one policy. Any failure means one org's rows could reach another.
 */
export async function checkRowLevelSecurity(db: pg.ClientBase): Promise<RlsFinding[]> {
  const findings: RlsFinding[] = [];
  const role = (
    await db.query<RoleRecord>(
      `SELECT r.rolname AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
         (SELECT min(o.rolname) FROM pg_roles o WHERE o.rolsuper AND o.oid <> r.oid AND pg_has_role(r.oid, o.oid, 'MEMBER')) AS via_super,
         (SELECT min(o.rolname) FROM pg_roles o WHERE o.rolbypassrls AND o.oid <> r.oid AND pg_has_role(r.oid, o.oid, 'MEMBER')) AS via_bypass
       FROM pg_roles r WHERE r.rolname = current_user`,
    )
  ).rows[0];
  if (!role) throw new Error('cannot read the current role from pg_roles');
  findings.push({
    ok: !role.superuser && role.via_super === null,
    check: 'runtime role is not a superuser',
    detail: role.superuser
      ? `role "${role.role}" is a superuser: superusers bypass row-level security`
      : role.via_super !== null
        ? `role "${role.role}" is a member of superuser "${role.via_super}" (SET ROLE would bypass row-level security)`
        : `role "${role.role}"`,
  });
  findings.push({
    ok: !role.bypassrls && role.via_bypass === null,
    check: 'runtime role has no BYPASSRLS',
    detail: role.bypassrls
      ? `role "${role.role}" has BYPASSRLS`
      : role.via_bypass !== null
        ? `role "${role.role}" is a member of "${role.via_bypass}", which has BYPASSRLS`
        : `role "${role.role}"`,
  });

  const tables = (
    await db.query<TableRecord>(
      `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner,
         pg_has_role(current_user, c.relowner, 'MEMBER') AS owned,
         c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
         (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[])`,
      [[...TENANT_TABLES]],
    )
  ).rows;
  const byName = new Map(tables.map((t) => [t.relname, t]));
  for (const name of TENANT_TABLES) {
    const t = byName.get(name);
    if (!t) {
      findings.push({
        ok: false,
        check: `${name}: exists`,
        detail: `table "${name}" is missing (schema not migrated?)`,
      });
      continue;
    }
    const problems: string[] = [];
    if (t.owned) problems.push(`owned by "${t.owner}", which the runtime role is or is a member of`);
    if (!t.enabled) problems.push('row-level security is not enabled');
    if (!t.forced) problems.push('row-level security is not forced');
    if (t.policies === 0) problems.push('has no policy');
    findings.push({
      ok: problems.length === 0,
      table: name,
      problems,
      check: `${name}: RLS enabled and forced, not owned by the runtime role`,
      detail: problems.length === 0 ? `owner "${t.owner}"` : problems.join('; '),
    });
  }
  return findings;
}

/** The start-up check: throws a clear CONFIG_INVALID listing every failed check. */
export async function assertRowLevelSecurity(db: pg.ClientBase): Promise<void> {
  const failed = (await checkRowLevelSecurity(db)).filter((f) => !f.ok);
  if (failed.length === 0) return;
  throw new VaultError(
    'CONFIG_INVALID',
    `refusing to start: row-level security would not isolate orgs on this PostgreSQL connection: ${summarize(
      failed,
    )}. Connect ORGVAULT_DATABASE_URL as a runtime role that is neither superuser, BYPASSRLS nor ` +
      'owner of the tables, and give the owner role as ORGVAULT_DATABASE_OWNER_URL (see `orgvault doctor`).',
  );
}

/** One clause per distinct problem, naming the tables it concerns (not one sentence per table). */
function summarize(failed: RlsFinding[]): string {
  const tablesByDetail = new Map<string, string[]>();
  for (const f of failed) {
    for (const problem of f.table !== undefined && f.problems ? f.problems : [f.detail]) {
      const tables = tablesByDetail.get(problem) ?? [];
      if (f.table !== undefined) tables.push(f.table);
      tablesByDetail.set(problem, tables);
    }
  }
  return [...tablesByDetail]
    .map(([detail, tables]) => (tables.length === 0 ? detail : `${detail}: ${tables.join(', ')}`))
    .join('; ');
}
