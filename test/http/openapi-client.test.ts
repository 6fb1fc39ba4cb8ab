import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import createClient from 'openapi-fetch';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackends, sqliteBackend } from '../support/backends.js';
import { type HttpWorld, httpWorld } from './support.js';

const run = promisify(execFile);
// ajv-formats is CommonJS: under NodeNext its default export is the module object.
const addFormats = ajvFormats as unknown as typeof ajvFormats.default;
const ROOT = new URL('../../', import.meta.url).pathname;
const CLIENT_DIR = new URL('./openapi-client/', import.meta.url).pathname;
const backends = await selectedBackends();

interface MediaType {
  schema?: Record<string, unknown>;
}
interface ResponseObject {
  headers?: Record<string, unknown>;
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId: string;
  responses: Record<string, ResponseObject>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, unknown>;
}
interface Recorded {
  method: string;
  schemaPath: string;
  status: number;
  contentType: string;
  headers: Headers;
  body: string;
}

/** Schemas of the document point at `#/components/...`; in ajv they live under the id "doc". */
function rebased(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebased);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) =>
      k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? [k, `doc${v}`] : [k, rebased(v)],
    ),
  );
}

/** What is wrong with one answer, judged by the document alone (empty: it is as documented). */
function checkAgainst(doc: Document, ajv: Ajv, r: Recorded): string[] {
  const where = `${r.method} ${r.schemaPath} ${r.status}`;
  const op = doc.paths[r.schemaPath]?.[r.method.toLowerCase()];
  if (op === undefined) return [`${where}: no such operation`];
  const declared = op.responses[String(r.status)] ?? op.responses[`${String(r.status)[0]}XX`];
  if (declared === undefined) return [`${where}: status not declared`];
  const errors: string[] = [];
  if (declared.headers?.['x-request-id'] === undefined) errors.push(`${where}: x-request-id not declared`);
  if (!/^[0-9a-f-]{36}$/.test(r.headers.get('x-request-id') ?? '')) errors.push(`${where}: no x-request-id`);
  if (declared.content === undefined) {
    if (r.body !== '') errors.push(`${where}: a body where none is declared`);
    return errors;
  }
  const media = r.contentType.split(';')[0]?.trim() ?? '';
  const mediaType = declared.content[media];
  if (mediaType === undefined) return [...errors, `${where}: content type ${media} not declared`];
  const schema = mediaType.schema ?? {};
  const value = media.endsWith('json') && !media.endsWith('ndjson') ? JSON.parse(r.body) : r.body;
  const validate = ajv.compile(rebased(schema) as object);
  if (!validate(value)) errors.push(`${where}: ${ajv.errorsText(validate.errors)}`);
  return errors;
}

let document: Document;

beforeAll(async () => {
  // The document is the same on every engine: the types are generated and compiled once.
  const world = await httpWorld(sqliteBackend);
  document = (await world.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Document;
  await world.close();
  const ast = await openapiTS(document as never);
  mkdirSync(`${CLIENT_DIR}generated`, { recursive: true });
  writeFileSync(`${CLIENT_DIR}generated/schema.d.ts`, astToString(ast));
  // calls.ts only compiles if every path, method, parameter and body it uses is in the types.
  const tsc = await run(`${ROOT}node_modules/.bin/tsc`, ['-p', `${CLIENT_DIR}tsconfig.json`], {
    cwd: ROOT,
  }).catch((err: { stdout?: string }) => ({ stdout: `tsc failed: ${err.stdout ?? String(err)}` }));
  expect(tsc.stdout).toBe('');
});

describe.each(backends.map((b) => [b.name, b] as const))(
  'a client generated from /openapi.json on %s',
  (_name, backend) => {
    let world: HttpWorld | undefined;
    afterEach(async () => {
      await world?.close();
      world = undefined;
    });

    it('calls every operation (successes and errors) and each answer is as the document says', async () => {
      world = await httpWorld(backend);
      await world.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = world.app.server.address() as AddressInfo;
      const client = createClient({ baseUrl: `http://127.0.0.1:${port}` });
      const recorded: Recorded[] = [];
      client.use({
        async onResponse({ request, response, schemaPath }) {
          recorded.push({
            method: request.method,
            schemaPath,
            status: response.status,
            contentType: response.headers.get('content-type') ?? '',
            headers: response.headers,
            body: await response.clone().text(),
          });
          return undefined;
        },
      });
      const statusErrors: string[] = [];
      const calls = `${CLIENT_DIR}calls.ts`;
      const { callEveryRoute } = (await import(calls)) as {
        callEveryRoute(
          client: unknown,
          expect: (label: string, got: number, want: number) => void,
        ): Promise<void>;
      };
      await callEveryRoute(client, (label, got, want) => {
        if (got !== want) statusErrors.push(`${label}: ${got}, expected ${want}`);
      });
      expect(statusErrors).toEqual([]);

      const ajv = new Ajv({ strict: false, allErrors: true });
      addFormats(ajv);
      ajv.addSchema({ $id: 'doc', components: document.components });
      expect(recorded.length).toBeGreaterThan(45);
      expect(recorded.flatMap((r) => checkAgainst(document, ajv, r))).toEqual([]);
      // The checker is not blind: a module whose time is not a date-time, or a problem sent as plain
      // JSON, is caught.
      const module = recorded.find(
        (r) => r.schemaPath === '/v1/modules/{category}/{platform}' && r.status === 200,
      );
      const broken = {
        ...(module as Recorded),
        body: JSON.stringify({ ...JSON.parse(module?.body ?? '{}'), installed_at: 'yesterday' }),
      };
      expect(checkAgainst(document, ajv, broken).join()).toMatch(/date-time/);
      const problem = recorded.find((r) => r.status === 404) as Recorded;
      expect(checkAgainst(document, ajv, { ...problem, contentType: 'application/json' }).join()).toMatch(
        /not declared/,
      );

      // Every documented operation answered at least once with a 2xx and, but for the public
      // read-only ones (nothing to get wrong: no parameters, no body, no key), with a 4xx.
      const noErrorCase = new Set(['getHealth', 'getOpenApiDocument', 'getMetrics', 'listAuditPublicKeys']);
      for (const [path, item] of Object.entries(document.paths)) {
        for (const [method, op] of Object.entries(item)) {
          const answers = recorded.filter((r) => r.schemaPath === path && r.method.toLowerCase() === method);
          // The OAuth callback succeeds only with a provider's code: test/oauth/ completes it
          // against oauth2-mock-server (a 200 JSON answer and a 303 to the console).
          if (op.operationId !== 'completeOAuthCallback') {
            expect(
              answers.some((r) => r.status < 300),
              `${op.operationId} 2xx`,
            ).toBe(true);
          }
          if (!noErrorCase.has(op.operationId)) {
            expect(
              answers.some((r) => r.status >= 400 && r.status < 500),
              `${op.operationId} 4xx`,
            ).toBe(true);
          }
        }
      }
    });
  },
);
