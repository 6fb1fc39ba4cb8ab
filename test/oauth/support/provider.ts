import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';

/** One request the token endpoint answered, as the provider saw it (for counting and asserting). */
export interface TokenRequest {
  grant: string;
  clientId: string | null;
  refreshToken: string | null;
}

type MockRequest = IncomingMessage & { body: Record<string, string> };
type MockResponse = { body: Record<string, unknown>; statusCode: number };

/**
 * A real authorization server on loopback (oauth2-mock-server: authorize redirect, PKCE S256 check,
 * token endpoint, revocation endpoint), with what a strict provider adds on top, configured here:
 * registered clients whose secret is checked, refresh-token rotation (only the newest refresh token
 * of a grant works, a reused one is invalid_grant), short lifetimes on the test's clock, opaque
 * unique access tokens, and switches for "answer without a refresh token" and "the grant is gone".
 */
export class TestProvider {
  readonly server = new OAuth2Server();
  readonly tokenRequests: TokenRequest[] = [];
  /** The client id of every revocation request. */
  readonly revoked: string[] = [];
  /** Lifetime of issued access tokens. */
  ttlSeconds = 120;
  /** Answer refreshes without a refresh_token (the client must keep its old one). */
  omitRefreshToken = false;
  /** Refuse every refresh with invalid_grant (the user revoked the app). */
  grantRevoked = false;
  private readonly clients = new Map<string, string>();
  private readonly labels = new Map<string, string>();
  private readonly access = new Map<string, { expiresAt: number; clientId: string | null }>();
  private readonly refresh = new Set<string>();

  constructor(private readonly now: () => number) {}

  async start(): Promise<this> {
    await this.server.issuer.keys.generate('RS256');
    this.server.service.on('beforeResponse', (res: MockResponse, req: MockRequest) => this.shape(res, req));
    // The mock does not parse the revocation body: what is recorded is which client asked.
    this.server.service.on('beforeRevoke', (_res: unknown, req: MockRequest) => {
      this.revoked.push(this.clientOf(req).id ?? '(no client)');
    });
    await this.server.start(0, '127.0.0.1');
    return this;
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  get url(): string {
    return this.server.issuer.url as string;
  }

  /** A client and the label the upstream reports for its tokens (a client id is a credential value, scrubbed from results). */
  register(clientId: string, secret: string, label: string): void {
    this.clients.set(clientId, secret);
    this.labels.set(clientId, label);
  }

  labelOf(clientId: string | null): string | null {
    return clientId === null ? null : (this.labels.get(clientId) ?? null);
  }

  /** Whether the upstream should accept this bearer token now, and for which client it was issued. */
  check(token: string): { ok: boolean; clientId: string | null } {
    const found = this.access.get(token);
    return found && !this.rejectAll && found.expiresAt > this.now()
      ? { ok: true, clientId: found.clientId }
      : { ok: false, clientId: null };
  }

  /** The token endpoint answers 503 (an outage: a failure for the breaker, not a lost grant). */
  unavailable = false;
  /** The upstream refuses every token (a provider that revoked the app's access entirely). */
  rejectAll = false;

  issuedAccessTokens(): string[] {
    return [...this.access.keys()];
  }

  /** Makes a still-unexpired access token invalid (revoked upstream before its expiry). */
  invalidate(token: string): void {
    this.access.delete(token);
  }

  refreshRequests(): TokenRequest[] {
    return this.tokenRequests.filter((r) => r.grant === 'refresh_token');
  }

  /** The oauth2 section of a manifest pointing at this provider. */
  oauth2(grant: 'authorization_code' | 'client_credentials', extra: Record<string, unknown> = {}) {
    return {
      grant,
      ...(grant === 'authorization_code' ? { authorization_url: `${this.url}/authorize` } : {}),
      token_url: `${this.url}/token`,
      revocation_url: `${this.url}/revoke`,
      scopes: ['calendar.read', 'calendar.write'],
      ...extra,
    };
  }

  private clientOf(req: MockRequest): { id: string | null; ok: boolean } {
    const header = req.headers.authorization;
    let id: string | null = null;
    let secret: string | null = null;
    if (typeof header === 'string' && header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      id = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    } else if (typeof req.body?.client_id === 'string') {
      id = req.body.client_id;
      secret = req.body.client_secret ?? null;
    }
    return { id, ok: id !== null && this.clients.get(id) === secret };
  }

  private shape(res: MockResponse, req: MockRequest): void {
    const grant = req.body.grant_type ?? '';
    const client = this.clientOf(req);
    const presented = grant === 'refresh_token' ? (req.body.refresh_token ?? null) : null;
    this.tokenRequests.push({ grant, clientId: client.id, refreshToken: presented });
    const refuse = (status: number, error: string) => {
      res.statusCode = status;
      res.body = { error };
    };
    if (res.statusCode !== 200) return;
    if (this.unavailable) {
      refuse(503, 'temporarily_unavailable');
      return;
    }
    if (!client.ok) {
      refuse(401, 'invalid_client');
      return;
    }
    if (
      grant === 'refresh_token' &&
      (this.grantRevoked || presented === null || !this.refresh.has(presented))
    ) {
      refuse(400, 'invalid_grant');
      return;
    }
    const access = `at-${randomUUID()}`;
    this.access.set(access, { expiresAt: this.now() + this.ttlSeconds * 1000, clientId: client.id });
    const body: Record<string, unknown> = {
      access_token: access,
      token_type: 'Bearer',
      expires_in: this.ttlSeconds,
      scope: 'calendar.read calendar.write',
    };
    if (grant !== 'client_credentials') {
      if (grant === 'refresh_token' && this.omitRefreshToken) {
        // The old refresh token stays valid: the client must keep it.
      } else {
        // Rotation: the presented refresh token dies, a new one replaces it.
        if (presented !== null) this.refresh.delete(presented);
        const next = `rt-${randomUUID()}`;
        this.refresh.add(next);
        body.refresh_token = next;
      }
    }
    res.body = body;
  }
}
