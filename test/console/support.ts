import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** A signed-in console client over app.inject: its cookie jar and the CSRF token of its session. */
export interface ConsoleClient {
  cookies: Map<string, string>;
  csrf: string;
}

function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

function keep(jar: Map<string, string>, res: LightMyRequestResponse): void {
  for (const c of res.cookies) {
    if (c.value === '' || (c.maxAge !== undefined && c.maxAge <= 0)) jar.delete(c.name);
    else jar.set(c.name, c.value);
  }
}

export function csrfOf(body: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
  if (token === undefined) throw new Error(`no CSRF token in the page: ${body.slice(0, 200)}`);
  return token;
}

/** Sends a console request with the client's cookies; a form is urlencoded and carries the CSRF token. */
export async function consoleRequest(
  app: FastifyInstance,
  client: ConsoleClient,
  method: 'GET' | 'POST',
  url: string,
  form?: Record<string, string>,
  options: { csrf?: boolean; headers?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {
    cookie: cookieHeader(client.cookies),
    ...(options.headers ?? {}),
  };
  let payload: string | undefined;
  if (method === 'POST') {
    const fields = { ...(form ?? {}) };
    if (options.csrf !== false) fields._csrf = client.csrf;
    payload = new URLSearchParams(fields).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
  keep(client.cookies, res);
  return res;
}

/** Signs in with a key the way a browser does (sign-in page, form post), then takes a session CSRF token. */
export async function signIn(
  app: FastifyInstance,
  apiKey: string,
  headers: Record<string, string> = {},
): Promise<{ client: ConsoleClient; signInResponse: LightMyRequestResponse }> {
  const client: ConsoleClient = { cookies: new Map(), csrf: '' };
  const form = await consoleRequest(app, client, 'GET', '/console/sign-in', undefined, { headers });
  client.csrf = csrfOf(form.body);
  const signInResponse = await consoleRequest(
    app,
    client,
    'POST',
    '/console/sign-in',
    { api_key: apiKey },
    { headers },
  );
  if (signInResponse.statusCode !== 303) throw new Error(`sign-in answered ${signInResponse.statusCode}`);
  const home = await consoleRequest(app, client, 'GET', '/console', undefined, { headers });
  client.csrf = csrfOf(home.body);
  return { client, signInResponse };
}

/** Whether a response sends the caller back to sign in. */
export function toSignIn(res: LightMyRequestResponse): boolean {
  return res.statusCode === 303 && res.headers.location === '/console/sign-in?ended=1';
}

/** The secret part of an `ovk_<keyId>_<secret>` key (the secret itself may contain underscores). */
export function secretOf(apiKey: string): string {
  return apiKey.slice(apiKey.indexOf('_', 4) + 1);
}
