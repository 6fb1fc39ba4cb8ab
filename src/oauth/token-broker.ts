import * as oauth from 'oauth4webapi';
import type { ActorContext, AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { sameDestination } from '../credentials/credential-destination.js';
import type { CredentialService } from '../credentials/credential-service.js';
import type { CredentialValues } from '../credentials/credential-values.js';
import { VaultError } from '../errors.js';
import type { OAuth2Spec } from '../modules/manifest.js';
import type { ModuleRow, OAuthConnectionRow } from '../storage/rows.js';
import { orgScope, type Storage, type UnitsOfWork } from '../storage/storage.js';
import type { Repositories } from '../storage/stores.js';
import { type OutboundRules, outboundOptions } from './guarded-fetch.js';
import { clientAuthOf, clientOf, connectionFacts, tokenFailure } from './oauth-client.js';
import { authorizationServerOf, oauthSpecOf } from './oauth-spec.js';
import { SingleFlight } from './single-flight.js';

/** A token that expires within this is renewed before the call, not after its 401. */
export const REFRESH_MARGIN_MS = 60_000;

/** orgvault itself renewing a token: no API key acts. */
const BROKER_ACTOR: ActorContext = { actorKeyId: null, requestId: null, role: null };

export interface TokenBrokerDeps {
  storage: Storage;
  credentials: CredentialService;
  audit: AuditLog;
  clock: Clock;
  rules: OutboundRules;
}

export const reauthRequired = (moduleId: string, connected: boolean): VaultError =>
  new VaultError(
    'OAUTH_REAUTH_REQUIRED',
    connected
      ? `module "${moduleId}": the provider no longer accepts its grant; an owner must connect it again`
      : `module "${moduleId}" is not connected; an owner must connect it (POST .../oauth/authorize)`,
  );

type Renewal = { kind: 'ok'; values: CredentialValues } | { kind: 'reauth'; connected: boolean };

/** What the token endpoint said: new tokens, or that the grant is gone (or there was none to use). */
type Answer =
  | { kind: 'tokens'; response: oauth.TokenEndpointResponse }
  | { kind: 'no_grant'; reason: 'invalid_grant' | 'no_refresh_token' };

/** What a renewal read before its token request, and checks is still so when it writes. */
interface RenewalState {
  module: ModuleRow;
  spec: OAuth2Spec;
  values: CredentialValues;
  /** Of the stored credential row (CredentialService.retrieveStamped). */
  stamp: string;
  connection: OAuthConnectionRow | null;
}

/** Renewals discarded because the credentials changed meanwhile, before one gives up. */
const MAX_ATTEMPTS = 3;

/**
 * Hands the agent runtime credentials with a usable access token. A token expiring within 60 s,
 * or refused once by the upstream, is renewed with ONE token request per (org, module), however
 * many calls race: calls in this process share one flight, and on PostgreSQL the flight holds a
 * session advisory lock for the connection (no transaction open) while it asks, so a second node
 * waits, then finds and reuses the token the first one stored. No transaction spans the token
 * request: on SQLite it would hold the single writer, every org's writes, for as long as one
 * provider takes. The write that follows re-reads under the module row's lock and keeps the answer
 * only if the credentials are still those it asked with (else an owner's replace or delete, or
 * another writer, comes first, and what is stored decides). The rotated refresh token is written
 * with the access token; an answer without one keeps the old. `invalid_grant` marks the
 * connection needs_reauth.
 */
export class TokenBroker {
  private readonly d: TokenBrokerDeps;
  private readonly flights = new SingleFlight<Renewal>();

  constructor(deps: TokenBrokerDeps) {
    this.d = deps;
  }

  /** The credentials to call with: the stored ones if their token is fresh, else renewed. */
  async prepare(
    module: ModuleRow,
    spec: OAuth2Spec,
    credentials: CredentialValues | null,
  ): Promise<CredentialValues> {
    const connection = await this.d.storage.read(orgScope(module.orgId), (r) =>
      r.oauth.findOAuthConnection(module.orgId, module.moduleId),
    );
    if (connection?.status === 'needs_reauth') throw reauthRequired(module.moduleId, true);
    if (spec.grant === 'authorization_code' && connection === null) {
      throw reauthRequired(module.moduleId, false);
    }
    const token = accessTokenOf(credentials);
    if (credentials !== null && connection !== null && token !== null && !this.expiring(connection)) {
      return credentials;
    }
    return this.renew(module, token, false);
  }

  /** After the upstream refused `rejected` (401): a new token, unless another call already has one. */
  renewAfterRejection(module: ModuleRow, rejected: string): Promise<CredentialValues> {
    return this.renew(module, rejected, true);
  }

  private async renew(module: ModuleRow, seen: string | null, force: boolean): Promise<CredentialValues> {
    const { orgId, moduleId } = module;
    const storage = this.d.storage;
    const outcome = await this.flights.run(`${orgId}\0${moduleId}`, () =>
      storage.withLock !== undefined
        ? storage.withLock('oauth-token', `${orgId}/${moduleId}`, (units) =>
            this.renewUnlocked(units, orgId, moduleId, seen, force),
          )
        : this.renewUnlocked(storage, orgId, moduleId, seen, force),
    );
    if (outcome.kind === 'reauth') throw reauthRequired(moduleId, outcome.connected);
    return outcome.values;
  }

  /**
   * Read in one unit of work, ask the token endpoint with no transaction open (on SQLite a
   * transaction holds the one writer of every org), then write in a second transaction that
   * re-reads under the module row's lock and writes only if the credentials are still the ones
   * read (their stamp). Otherwise (an owner replaced or deleted them, another node renewed) the
   * answer is discarded and what is stored now decides, as if this call had come after.
   */
  private async renewUnlocked(
    units: UnitsOfWork,
    orgId: string,
    moduleId: string,
    seen: string | null,
    force: boolean,
  ): Promise<Renewal> {
    let wanted = { seen, force };
    for (let attempt = 1; ; attempt++) {
      const state = await units.read(orgScope(orgId), (r) => this.readState(r, orgId, moduleId));
      const { spec, values, connection } = state;
      if (connection?.status === 'needs_reauth') return { kind: 'reauth', connected: true };
      if (spec.grant === 'authorization_code' && connection === null)
        return { kind: 'reauth', connected: false };
      const current = accessTokenOf(values);
      const fresh = connection !== null && current !== null && !this.expiring(connection);
      // Another call, here or on another node, renewed before this one read: reuse it.
      if (fresh && (current !== wanted.seen || !wanted.force)) return { kind: 'ok', values };

      const answer = await this.ask(moduleId, spec, values);
      const written = await units.transaction(orgScope(orgId), async (tx) => {
        if (!(await this.unchanged(tx, state))) return null;
        if (answer.kind === 'no_grant') return this.markNeedsReauth(tx, orgId, moduleId, answer.reason);
        return this.writeTokens(tx, state, answer.response);
      });
      if (written !== null) return written;
      if (attempt >= MAX_ATTEMPTS) {
        throw new VaultError(
          'MODULE_CALL_FAILED',
          `module "${moduleId}": its credentials kept changing during token renewal; try again`,
          { reason: 'token_endpoint' },
        );
      }
      // What is stored now was written after this call's token was refused: a fresh one is reused.
      wanted = { seen: null, force: false };
    }
  }

  /** The manifest, credentials (with their stamp) and connection as they are now. */
  private async readState(r: Repositories, orgId: string, moduleId: string): Promise<RenewalState> {
    const module = await r.modules.findModule(orgId, moduleId);
    if (module === null) throw new VaultError('NOT_FOUND', `module "${moduleId}" is not installed`);
    const spec = oauthSpecOf(module.manifest);
    if (spec === null) {
      throw new VaultError('MODULE_NOT_EXECUTABLE', `module "${moduleId}" has no valid oauth2 section`);
    }
    const stamped = await this.d.credentials.retrieveStamped(r, module);
    if (stamped === null) {
      throw new VaultError(
        'MODULE_NOT_EXECUTABLE',
        `module "${moduleId}" needs its client_id and client_secret; store the module's credentials first`,
      );
    }
    const connection = await r.oauth.findOAuthConnection(orgId, moduleId);
    return { module, spec, values: stamped.values, stamp: stamped.stamp, connection };
  }

  /** The token request (no transaction open): the new tokens, or the grant found gone. */
  private async ask(moduleId: string, spec: OAuth2Spec, values: CredentialValues): Promise<Answer> {
    const refreshToken = typeof values.refresh_token === 'string' ? values.refresh_token : null;
    if (spec.grant === 'authorization_code' && refreshToken === null) {
      return { kind: 'no_grant', reason: 'no_refresh_token' };
    }
    const as = authorizationServerOf(spec);
    const client = clientOf(moduleId, values);
    const clientAuth = clientAuthOf(moduleId, spec, values);
    const options = outboundOptions(this.d.rules);
    try {
      if (spec.grant === 'authorization_code') {
        const res = await oauth.refreshTokenGrantRequest(
          as,
          client,
          clientAuth,
          refreshToken as string,
          options,
        );
        return { kind: 'tokens', response: await oauth.processRefreshTokenResponse(as, client, res) };
      }
      const parameters: Record<string, string> = {};
      if ((spec.scopes ?? []).length > 0) parameters.scope = (spec.scopes ?? []).join(' ');
      const res = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, parameters, options);
      return { kind: 'tokens', response: await oauth.processClientCredentialsResponse(as, client, res) };
    } catch (err) {
      if (
        spec.grant === 'authorization_code' &&
        err instanceof oauth.ResponseBodyError &&
        err.error === 'invalid_grant'
      ) {
        return { kind: 'no_grant', reason: 'invalid_grant' };
      }
      throw tokenFailure(moduleId, err);
    }
  }

  /**
   * In the write transaction: the module row locked (as a credential store, delete and uninstall
   * lock it), then whether the destination and the stored credentials are still the ones read.
   */
  private async unchanged(tx: Repositories, state: RenewalState): Promise<boolean> {
    const { orgId, moduleId } = state.module;
    const manifest = await tx.modules.lockManifest(orgId, moduleId);
    if (manifest === null) return false;
    if (!sameDestination(manifest, state.module.manifest)) return false;
    // Read after the lock, in a statement of its own: on PostgreSQL it sees what a holder committed.
    return (await this.d.credentials.stampIn(tx, orgId, moduleId)) === state.stamp;
  }

  private async writeTokens(
    tx: Repositories,
    state: RenewalState,
    response: oauth.TokenEndpointResponse,
  ): Promise<Renewal> {
    const { module, spec, values, connection } = state;
    const { orgId, moduleId } = module;
    const now = this.d.clock();
    const refreshToken = typeof values.refresh_token === 'string' ? values.refresh_token : null;
    const rotated = response.refresh_token !== undefined && response.refresh_token !== refreshToken;
    const next: CredentialValues = { ...values, access_token: response.access_token };
    // A rotated refresh token replaces the old one here, in the transaction that stores the access
    // token; an answer without one keeps the old.
    if (response.refresh_token !== undefined) next.refresh_token = response.refresh_token;
    await this.d.credentials.sealAndWrite(tx, orgId, moduleId, next, module.manifest, { existed: true });
    await tx.oauth.upsertOAuthConnection(orgId, {
      moduleId,
      ...connectionFacts(spec, response, now),
      connectedAt: connection?.connectedAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
    });
    await this.d.audit.append(
      tx,
      orgId,
      BROKER_ACTOR,
      {
        action: 'oauth.token',
        targetType: 'module',
        targetId: moduleId,
        details: {
          grant: spec.grant === 'authorization_code' ? 'refresh_token' : 'client_credentials',
          refresh_token_rotated: rotated,
        },
      },
      now.toISOString(),
    );
    return { kind: 'ok', values: next };
  }

  /** The grant is gone: connection needs_reauth, module unhealthy, one audit event; committed. */
  private async markNeedsReauth(
    tx: Repositories,
    orgId: string,
    moduleId: string,
    reason: 'invalid_grant' | 'no_refresh_token',
  ): Promise<Renewal> {
    const now = this.d.clock().toISOString();
    await tx.oauth.setOAuthConnectionStatus(orgId, moduleId, 'needs_reauth', now);
    await tx.modules.updateHealth(orgId, moduleId, { health: 'unhealthy', failure: false, now });
    await this.d.audit.append(
      tx,
      orgId,
      BROKER_ACTOR,
      {
        action: 'oauth.needs_reauth',
        targetType: 'module',
        targetId: moduleId,
        outcome: 'failure',
        details: { reason },
      },
      now,
    );
    return { kind: 'reauth', connected: true };
  }

  private expiring(connection: OAuthConnectionRow): boolean {
    if (connection.expiresAt === null) return false;
    return Date.parse(connection.expiresAt) - this.d.clock().getTime() <= REFRESH_MARGIN_MS;
  }
}

function accessTokenOf(values: CredentialValues | null): string | null {
  const token = values?.access_token;
  return typeof token === 'string' && token !== '' ? token : null;
}
