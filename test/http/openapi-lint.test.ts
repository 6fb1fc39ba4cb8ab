import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteBackend } from '../support/backends.js';
import { type HttpWorld, httpWorld } from './support.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}

/** The document does not depend on the engine: one run on SQLite says it for both. */
describe('the served OpenAPI document', () => {
  let world: HttpWorld | undefined;
  afterAll(async () => {
    await world?.close();
  });

  it("passes Redocly CLI's recommended rules with no error and no warning", async () => {
    world = await httpWorld(sqliteBackend);
    const res = await world.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const file = join(mkdtempSync(join(tmpdir(), 'orgvault-openapi-')), 'openapi.json');
    writeFileSync(file, res.body);
    // redocly.yaml extends the recommended rules and turns none off; it exits 1 on an error.
    const { stdout } = await run(
      join(ROOT, 'node_modules/.bin/redocly'),
      ['lint', '--config', join(ROOT, 'redocly.yaml'), '--format', 'json', file],
      {
        cwd: ROOT,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    const report = JSON.parse(stdout) as LintReport;
    const found = report.problems.map(
      (p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`,
    );
    expect(found).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  });
});
