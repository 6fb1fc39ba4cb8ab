import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream, type Upstream } from '../../examples/weather-upstream/upstream.js';
import { type HttpWorld, httpWorld } from '../http/support.js';
import { selectedBackends } from '../support/backends.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const backends = await selectedBackends();
const KEY = 'owm-0123456789abcdef';

describe('examples/library (npm run example:library)', () => {
  it("runs README's library snippet to the end", async () => {
    const { stdout } = await run('npm', ['run', '-s', 'example:library'], { cwd: ROOT });
    expect(JSON.parse(stdout)).toEqual({
      retrieved: { api_key: 'sk-example' },
      inDefaultOrg: null,
      disabled: true,
      modules: [{ id: 'weather/openweather', status: 'disabled' }],
      unhealthy: 0,
    });
  });
});

describe.each(backends.map((b) => [b.name, b] as const))(
  "README's agent walkthrough with examples/weather-upstream on %s",
  (_n, backend) => {
    let world: HttpWorld | undefined;
    let upstream: Upstream | undefined;
    afterEach(async () => {
      await world?.close();
      await upstream?.close();
      world = undefined;
      upstream = undefined;
    });

    it('the upstream gets the key, the reply and the stored state do not', async () => {
      // Port 0: the README's 9911 may be taken on a shared machine; the manifest names the one given.
      upstream = await startUpstream(0);
      world = await httpWorld(backend, { httpAllowPrivate: true });
      const owner = (await world.app.inject({ method: 'POST', url: '/v1/bootstrap' })).json()
        .api_key as string;
      const headers = { 'x-api-key': owner, 'content-type': 'application/json' };
      const manifest = {
        name: 'openweather',
        category: 'weather',
        platform: 'openweather',
        version: '1.0.0',
        auth_type: 'api_key',
        credential_fields: [{ name: 'api_key', required: true }],
        http: {
          base_url: `http://127.0.0.1:${upstream.port}/data/2.5`,
          auth: { in: 'query', name: 'appid', credential: 'api_key' },
          actions: { current: { method: 'GET', path: '/weather', query: ['q', 'units'] } },
        },
      };
      const put = await world.app.inject({
        method: 'PUT',
        url: '/v1/modules/weather/openweather',
        headers,
        payload: manifest,
      });
      expect(put.statusCode).toBe(201);
      const creds = await world.app.inject({
        method: 'PUT',
        url: '/v1/modules/weather/openweather/credentials',
        headers,
        payload: { credentials: { api_key: KEY } },
      });
      expect(creds.statusCode).toBe(204);
      const invoked = await world.app.inject({
        method: 'POST',
        url: '/v1/conversations/trip-42/invoke',
        headers,
        payload: {
          module_id: 'weather/openweather',
          action: 'current',
          input: { q: 'Oslo', units: 'metric' },
        },
      });
      expect(invoked.statusCode, invoked.body).toBe(200);
      expect(invoked.json().result).toEqual({
        status: 200,
        body: { name: 'Oslo', main: { temp: 7.5 }, debug: 'appid=[redacted]' },
      });
      expect(upstream.keysSeen).toEqual([KEY]);
      expect(invoked.body).not.toContain(KEY);
      const state = await world.app.inject({
        url: '/v1/conversations/trip-42',
        headers: { 'x-api-key': owner },
      });
      expect(state.json().state.tool_results).toHaveLength(1);
      expect(state.body).not.toContain(KEY);
    });
  },
);
