import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stand-in saw: the key of each request, so a walkthrough can show the upstream got it. */
export interface Upstream {
  port: number;
  keysSeen: string[];
  close(): Promise<void>;
}

/**
 * A local stand-in for api.openweathermap.org's `GET /data/2.5/weather?q=&units=&appid=`, for the
 * README's agent walkthrough: it answers a fixed temperature and echoes the `appid` it received
 * (which orgvault then scrubs from the reply), so the whole path runs offline.
 */
export async function startUpstream(port = 9911, host = '127.0.0.1'): Promise<Upstream> {
  const keysSeen: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (req.method !== 'GET' || url.pathname !== '/data/2.5/weather') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"cod":"404","message":"not found"}');
      return;
    }
    const appid = url.searchParams.get('appid') ?? '';
    if (appid === '') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"cod":401,"message":"no appid"}');
      return;
    }
    keysSeen.push(appid);
    const body = { name: url.searchParams.get('q') ?? 'Oslo', main: { temp: 7.5 }, debug: `appid=${appid}` };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    keysSeen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
