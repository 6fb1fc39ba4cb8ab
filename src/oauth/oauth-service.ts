import * as oauth from 'oauth4webapi';
import type { ActorContext, AuditLog } from '../audit/audit-log.js';
import { unusableReason } from '../auth/api-key-info.js';
import { hasPermission } from '../auth/permissions.js';
import type { Clock } from '../clock.js';
import { sameDestination } from '../credentials/credential-destination.js';
import type { CredentialService } from '../credentials/credential-service.js';
import type { CredentialValues } from '../credentials/credential-values.js';
import { VaultError } from '../errors.js';
import { assertModuleId, type OrgId } from '../ids.js';
import type { OAuth2Spec } from '../modules/manifest.js';
import type { OrgDirectory } from '../orgs/org-directory.js';
import type { ApiKeyRow, ModuleRow, OAuthStateRow } from '../storage/rows.js';
import { AUTH_SCOPE, orgScope, type Storage } from '../storage/storage.js';
import { type OutboundRules, outboundOptions } from './guarded-fetch.js';
import { clientAuthOf, clientOf, connectionFacts, safeCode, tokenFailure } from './oauth-client.js';
import { authorizationServerOf, oauthSpecOf, scopesOf, TOKEN_FIELDS } from './oauth-spec.js';
import { newState, openVerifier, STATE_LIFETIME_MS, sealVerifier, stateHash } from './oauth-state.js';
import { parseReturnTo } from './return-to.js';

export interface OAuthServiceDeps {
  storage: Storage;
  orgs: OrgDirectory;
  credentials: CredentialService;
  audit: AuditLog;
  clock: Clock;
  rules: OutboundRules;
  /** ORGVAULT_PUBLIC_URL: the address browsers and providers reach orgvault at. */
  publicUrl: string;
}

/** What `GET .../credentials` shows of an OAuth2 module: never a token. */
export interface OAuthStatus {
  connected: boolean;
  scopes: string[];
  expiresAt: string | null;
  status: 'connected' | 'needs_reauth' | 'not_connected';
}

export interface CallbackOutcome {
  orgId: string;
  moduleId: string;
  returnTo: string | null;
}

const STATE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const failed = (message: string, details?: Record<string, unknown>) =>
  new VaultError('OAUTH_AUTHORIZATION_FAILED', message, details);

/**
 * The authorization-code flow: authorize (a state bound to org, module and the requesting key,
 * stored only as a hash; a PKCE S256 challenge) and the callback (the state checked and used up,
 * the code exchanged, the tokens sealed with the module's credentials). Token renewal is the
 * TokenBroker's.
 */
export class OAuthService {
  private readonly d: OAuthServiceDeps;

  constructor(deps: OAuthServiceDeps) {
    this.d = deps;
  }

  get redirectUri(): string {
    return `${this.d.publicUrl.replace(/\/+$/, '')}/v1/oauth/callback`;
  }

  async authorize(
    orgId: OrgId,
    moduleId: string,
    actor: ActorContext,
    options: { returnTo?: unknown } = {},
  ): Promise<{ authorizationUrl: string; expiresAt: string }> {
    assertModuleId(moduleId);
    const returnTo = parseReturnTo(options.returnTo);
    await this.d.orgs.require(orgId);
    const module = await this.d.storage.read(orgScope(orgId), (r) => r.modules.findModule(orgId, moduleId));
    if (module === null) throw new VaultError('NOT_FOUND', `module "${moduleId}" is not installed`);
    const spec = this.authorizationCodeSpec(module);
    const values = await this.d.credentials.retrieveFor(module);
    const client = clientOf(moduleId, values ?? {});

    const state = newState();
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(spec.authorization_url as string);
    for (const [name, value] of Object.entries(spec.authorize_params ?? {}))
      url.searchParams.set(name, value);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', client.client_id);
    url.searchParams.set('redirect_uri', this.redirectUri);
    if (scopesOf(spec).length > 0) url.searchParams.set('scope', scopesOf(spec).join(' '));
    url.searchParams.set('state', state);
    if (spec.pkce !== false) {
      url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
      url.searchParams.set('code_challenge_method', 'S256');
    }

    const now = this.d.clock();
    const expiresAt = new Date(now.getTime() + STATE_LIFETIME_MS).toISOString();
    const sealed = sealVerifier(state, orgId, moduleId, verifier);
    await this.d.storage.transaction(orgScope(orgId), async (tx) => {
      await tx.oauth.deleteExpiredOAuthStates(orgId, now.toISOString());
      await tx.oauth.insertOAuthState(orgId, {
        stateHash: stateHash(state),
        moduleId,
        keyId: actor.actorKeyId,
        verifierNonce: sealed.nonce,
        verifierSealed: sealed.ciphertext,
        returnTo,
        createdAt: now.toISOString(),
        expiresAt,
      });
      await this.d.audit.append(
        tx,
        orgId,
        actor,
        {
          action: 'oauth.authorize',
          targetType: 'module',
          targetId: moduleId,
          details: { expires_at: expiresAt },
        },
        now.toISOString(),
      );
    });
    return { authorizationUrl: url.href, expiresAt };
  }

  /**
   * The provider's redirect. The state is the credential: unknown, used, expired, or its key no
   * longer valid, and nothing happens. It is used up before anything else, so a replay always fails.
   */
  async complete(params: URLSearchParams, requestId: string | null): Promise<CallbackOutcome> {
    const state = params.get('state');
    if (state === null || !STATE_SHAPE.test(state)) {
      throw failed('the authorization is unknown, already used or expired; start again');
    }
    const pending = await this.d.storage.transaction(AUTH_SCOPE, (tx) =>
      tx.oauth.consumeOAuthState(stateHash(state)),
    );
    const now = this.d.clock();
    if (pending === null || Date.parse(pending.expiresAt) <= now.getTime()) {
      throw failed('the authorization is unknown, already used or expired; start again');
    }
    const { orgId, moduleId } = pending;
    const actor: ActorContext = { actorKeyId: pending.keyId, requestId };
    await this.requireKeyStillValid(pending, now);

    const providerError = params.get('error');
    if (providerError !== null) {
      await this.auditConnect(orgId, moduleId, actor, 'failure', { error: safeCode(providerError) });
      throw failed(`the provider did not authorize the connection: ${safeCode(providerError)}`, {
        oauth_error: safeCode(providerError),
      });
    }

    const module = await this.d.storage.read(orgScope(orgId), (r) => r.modules.findModule(orgId, moduleId));
    if (module === null) throw failed(`module "${moduleId}" is no longer installed`);
    const spec = this.authorizationCodeSpec(module);
    const values = (await this.d.credentials.retrieveFor(module)) ?? {};
    const verifier = openVerifier(state, orgId, moduleId, pending.verifierNonce, pending.verifierSealed);
    if (verifier === null) throw failed('the authorization is unknown, already used or expired; start again');

    const as = authorizationServerOf(spec);
    const client = clientOf(moduleId, values);
    const clientAuth = clientAuthOf(moduleId, spec, values);
    let response: oauth.TokenEndpointResponse;
    try {
      const callback = oauth.validateAuthResponse(as, client, params, state);
      const res = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth,
        callback,
        this.redirectUri,
        spec.pkce === false ? oauth.nopkce : verifier,
        outboundOptions(this.d.rules),
      );
      response = await oauth.processAuthorizationCodeResponse(as, client, res);
    } catch (err) {
      const code = err instanceof oauth.ResponseBodyError ? safeCode(err.error) : null;
      await this.auditConnect(orgId, moduleId, actor, 'failure', { error: code ?? 'exchange_failed' });
      if (code === 'invalid_grant' || err instanceof oauth.OperationProcessingError) {
        throw failed('the provider did not accept the authorization; start again', {
          ...(code ? { oauth_error: code } : {}),
        });
      }
      throw tokenFailure(moduleId, err);
    }
    await this.store(module, spec, client.client_id, response, actor);
    return { orgId, moduleId, returnTo: pending.returnTo };
  }

  /** The connection facts of an OAuth2 module; null for a module without an oauth2 section. */
  async status(orgId: OrgId, moduleId: string): Promise<OAuthStatus | null> {
    assertModuleId(moduleId);
    await this.d.orgs.require(orgId);
    const found = await this.d.storage.read(orgScope(orgId), async (r) => ({
      module: await r.modules.findModule(orgId, moduleId),
      connection: await r.oauth.findOAuthConnection(orgId, moduleId),
    }));
    if (found.module === null || oauthSpecOf(found.module.manifest) === null) return null;
    const c = found.connection;
    return {
      connected: c?.status === 'connected',
      scopes: c?.scopes ?? [],
      expiresAt: c?.expiresAt ?? null,
      status: c === null ? 'not_connected' : c.status,
    };
  }

  /**
   * Best effort, after the credentials are deleted: tells the provider (when it has a revocation
   * endpoint) to forget the grant. A failure changes nothing here: orgvault no longer holds it.
   */
  async revoke(
    manifest: Record<string, unknown>,
    moduleId: string,
    values: CredentialValues,
  ): Promise<boolean> {
    const spec = oauthSpecOf(manifest);
    if (spec?.revocation_url === undefined) return false;
    const token =
      typeof values.refresh_token === 'string'
        ? values.refresh_token
        : typeof values.access_token === 'string'
          ? values.access_token
          : null;
    if (token === null) return false;
    try {
      const as = authorizationServerOf(spec);
      const client = clientOf(moduleId, values);
      const res = await oauth.revocationRequest(
        as,
        client,
        clientAuthOf(moduleId, spec, values),
        token,
        outboundOptions(this.d.rules),
      );
      await oauth.processRevocationResponse(res);
      return true;
    } catch {
      return false;
    }
  }

  private authorizationCodeSpec(module: ModuleRow): OAuth2Spec {
    const spec = oauthSpecOf(module.manifest);
    if (spec === null || spec.grant !== 'authorization_code' || spec.authorization_url === undefined) {
      throw new VaultError(
        'MODULE_NOT_EXECUTABLE',
        `module "${module.moduleId}" has no oauth2 section with the authorization_code grant`,
      );
    }
    if (!this.d.rules.allowPrivate) {
      for (const u of [spec.authorization_url, spec.token_url]) {
        if (new URL(u).protocol !== 'https:') {
          throw new VaultError(
            'MODULE_NOT_EXECUTABLE',
            `module "${module.moduleId}": OAuth2 endpoints must use https (set ORGVAULT_HTTP_ALLOW_PRIVATE=1 to allow http)`,
          );
        }
      }
    }
    return spec;
  }

  /** The key that asked must still be able to: not revoked, not expired, still manage_credentials. */
  private async requireKeyStillValid(pending: OAuthStateRow, now: Date): Promise<void> {
    if (pending.keyId === null) return;
    const key: ApiKeyRow | null = await this.d.storage.read(orgScope(pending.orgId), (r) =>
      r.apiKeys.findApiKey(pending.orgId, pending.keyId as string),
    );
    // The rule key verification applies (a rotation_pending key without a grace end is spent too).
    const valid =
      key !== null &&
      unusableReason(key, now.toISOString()) === null &&
      hasPermission(key.role, 'manage_credentials');
    if (!valid) throw failed('the key that started this authorization is no longer valid; start again');
  }

  /** Seals the tokens with the module's credentials, in one transaction with the connection and audit. */
  private async store(
    read: ModuleRow,
    spec: OAuth2Spec,
    clientId: string,
    response: oauth.TokenEndpointResponse,
    actor: ActorContext,
  ): Promise<void> {
    const { orgId, moduleId } = read;
    await this.d.storage.transaction(orgScope(orgId), async (tx) => {
      const module = (await tx.modules.findModuleForWrite(orgId, moduleId))?.row ?? null;
      // The tokens go only where the exchange was made for: a manifest moved meanwhile is refused.
      if (module === null || !sameDestination(module.manifest, read.manifest)) {
        throw failed(`module "${moduleId}" changed during the authorization; start again`);
      }
      const values = await this.d.credentials.retrieveIn(tx, module);
      if (values === null || values.client_id !== clientId) {
        throw failed(`the credentials of module "${moduleId}" changed during the authorization; start again`);
      }
      const next: CredentialValues = { ...values };
      for (const field of TOKEN_FIELDS) delete next[field];
      next.access_token = response.access_token;
      if (response.refresh_token !== undefined) next.refresh_token = response.refresh_token;
      const now = this.d.clock().toISOString();
      await this.d.credentials.sealAndWrite(tx, orgId, moduleId, next, module.manifest);
      await tx.oauth.upsertOAuthConnection(orgId, {
        moduleId,
        ...connectionFacts(spec, response, this.d.clock()),
        connectedAt: now,
        updatedAt: now,
      });
      await tx.modules.updateHealth(orgId, moduleId, { health: 'healthy', failure: false, now });
      await this.d.audit.append(
        tx,
        orgId,
        actor,
        {
          action: 'oauth.connect',
          targetType: 'module',
          targetId: moduleId,
          details: { refresh_token: response.refresh_token !== undefined },
        },
        now,
      );
    });
  }

  private async auditConnect(
    orgId: string,
    moduleId: string,
    actor: ActorContext,
    outcome: 'failure',
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.d.storage.transaction(orgScope(orgId), (tx) =>
      this.d.audit.append(
        tx,
        orgId,
        actor,
        { action: 'oauth.connect', targetType: 'module', targetId: moduleId, outcome, details },
        this.d.clock().toISOString(),
      ),
    );
  }
}
