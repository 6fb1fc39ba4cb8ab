import * as oauth from 'oauth4webapi';
import type { ActorContext, AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { CredentialService } from '../credentials/credential-service.js';
import type { CredentialValues } from '../credentials/credential-values.js';
import { VaultError } from '../errors.js';
import type { OAuth2Spec } from '../modules/manifest.js';
import type { ModuleRow, OAuthConnectionRow } from '../storage/rows.js';
import { orgScope, type Storage } from '../storage/storage.js';
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

/**
 * Hands the agent runtime credentials with a usable access token. A token expiring within 60 s,
 * or refused once by the upstream, is renewed with ONE token request per (org, module), however
 * many calls race: calls in this process share one flight, and the flight holds the connection's
 * lock in the database (PostgreSQL advisory lock; SQLite's single writer) while it asks, so a
 * second node waits, then finds and reuses the token the first one stored. The new tokens, the
 * rotated refresh token in particular, are written in that same transaction; an answer without a
 * refresh token keeps the old one. `invalid_grant` marks the connection needs_reauth.
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
    const outcome = await this.flights.run(`${orgId}\0${moduleId}`, () =>
      this.d.storage.transaction(orgScope(orgId), (tx) => this.renewLocked(tx, orgId, moduleId, seen, force)),
    );
    if (outcome.kind === 'reauth') throw reauthRequired(moduleId, outcome.connected);
    return outcome.values;
  }

  private async renewLocked(
    tx: Repositories,
    orgId: string,
    moduleId: string,
    seen: string | null,
    force: boolean,
  ): Promise<Renewal> {
    tx.oauth.lockTokenRequest(orgId, moduleId);
    // Everything is read again under the lock: the manifest, credentials and connection as they are now.
    const module = await tx.modules.findModule(orgId, moduleId);
    if (module === null) throw new VaultError('NOT_FOUND', `module "${moduleId}" is not installed`);
    const spec = oauthSpecOf(module.manifest);
    if (spec === null) {
      throw new VaultError('MODULE_NOT_EXECUTABLE', `module "${moduleId}" has no valid oauth2 section`);
    }
    const values = await this.d.credentials.retrieveIn(tx, module);
    if (values === null) {
      throw new VaultError(
        'MODULE_NOT_EXECUTABLE',
        `module "${moduleId}" needs its client_id and client_secret; store the module's credentials first`,
      );
    }
    const connection = await tx.oauth.findOAuthConnection(orgId, moduleId);
    if (connection?.status === 'needs_reauth') return { kind: 'reauth', connected: true };
    if (spec.grant === 'authorization_code' && connection === null)
      return { kind: 'reauth', connected: false };
    const current = accessTokenOf(values);
    const fresh = connection !== null && current !== null && !this.expiring(connection);
    // Another call, here or on another node, renewed while this one waited for the lock: reuse it.
    if (fresh && (current !== seen || !force)) return { kind: 'ok', values };

    const refreshToken = typeof values.refresh_token === 'string' ? values.refresh_token : null;
    if (spec.grant === 'authorization_code' && refreshToken === null) {
      return this.markNeedsReauth(tx, orgId, moduleId, 'no_refresh_token');
    }
    const as = authorizationServerOf(spec);
    const client = clientOf(moduleId, values);
    const clientAuth = clientAuthOf(moduleId, spec, values);
    const options = outboundOptions(this.d.rules);
    let response: oauth.TokenEndpointResponse;
    try {
      if (spec.grant === 'authorization_code') {
        const res = await oauth.refreshTokenGrantRequest(
          as,
          client,
          clientAuth,
          refreshToken as string,
          options,
        );
        response = await oauth.processRefreshTokenResponse(as, client, res);
      } else {
        const parameters: Record<string, string> = {};
        if ((spec.scopes ?? []).length > 0) parameters.scope = (spec.scopes ?? []).join(' ');
        const res = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, parameters, options);
        response = await oauth.processClientCredentialsResponse(as, client, res);
      }
    } catch (err) {
      if (
        spec.grant === 'authorization_code' &&
        err instanceof oauth.ResponseBodyError &&
        err.error === 'invalid_grant'
      ) {
        return this.markNeedsReauth(tx, orgId, moduleId, 'invalid_grant');
      }
      throw tokenFailure(moduleId, err);
    }

    const now = this.d.clock();
    const rotated = response.refresh_token !== undefined && response.refresh_token !== refreshToken;
    const next: CredentialValues = { ...values, access_token: response.access_token };
    // A rotated refresh token replaces the old one here, in the transaction that stores the access
    // token; an answer without one keeps the old.
    if (response.refresh_token !== undefined) next.refresh_token = response.refresh_token;
    await this.d.credentials.sealAndWrite(tx, orgId, moduleId, next, module.manifest);
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
