import type { ServerResponse } from 'node:http';
import { ModuleServer, type SeenRequest } from '../../agent/support/module-server.js';

/** One held token request: resolves when it has arrived; release() lets it through to the provider. */
export interface Held {
  arrived: Promise<void>;
  release(): void;
}

/**
 * A token endpoint in front of the test provider's: it passes requests through, except one the
 * test asked to hold, which waits (the broker's request in flight) until the test releases it. No
 * sleeps: the test awaits `arrived`, does what must happen meanwhile, then releases.
 */
export class TokenGate {
  private readonly server = new ModuleServer();
  private pending: { arrived: () => void; released: Promise<void> } | null = null;

  constructor(private readonly providerUrl: () => string) {
    this.server.route('POST', '/token', (req, res) => this.pass(req, res));
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  get tokenUrl(): string {
    return `${this.server.url()}/token`;
  }

  /** Holds the next token request. */
  hold(): Held {
    let arrived!: () => void;
    let release!: () => void;
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.pending = { arrived, released };
    return { arrived: arrival, release };
  }

  private async pass(req: SeenRequest, res: ServerResponse): Promise<void> {
    const pending = this.pending;
    if (pending !== null) {
      this.pending = null;
      pending.arrived();
      await pending.released;
    }
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'authorization', 'accept', 'dpop']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await fetch(`${this.providerUrl()}/token`, { method: 'POST', headers, body: req.body });
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/json',
    });
    res.end(await answer.text());
  }
}
