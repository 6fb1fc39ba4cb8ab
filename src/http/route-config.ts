import type { FastifyRequest } from 'fastify';
import type { ActorContext } from '../audit/audit-log.js';
import type { Permission } from '../auth/permissions.js';
import type { Role } from '../auth/roles.js';
import { VaultError } from '../errors.js';
import type { OrgVault, Vault } from '../vault.js';

/** Who is calling: set by the auth hook on every non-public route. */
export interface AuthContext {
  orgId: string;
  keyId: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission this route needs (from src/auth/permissions.ts). */
    permission?: Permission;
    /** No key needed. Every route declares exactly one of permission or public. */
    public?: boolean;
    /** A console page: authenticated by the session cookie, never by an API key header. */
    session?: boolean;
  }
  interface FastifyRequest {
    auth: AuthContext | null;
    /**
     * The storage change token taken when the request was authenticated (null: the storage has
     * none). Caches consulted later in the request use it, so the database is asked once.
     */
    storageToken: string | null;
  }
  interface FastifyInstance {
    /** Every route as registered, with its declaration: walked by tests and tooling. */
    routeTable: DeclaredRoute[];
  }
}

/** One entry of the app's route table. */
export interface DeclaredRoute {
  methods: string[];
  url: string;
  permission: Permission | undefined;
  public: boolean;
  /** A console page (authenticated by the session cookie). */
  session: boolean;
  /** Its operationId in /openapi.json; undefined for routes left out of the document (HEAD, OPTIONS, hidden). */
  operationId: string | undefined;
}

/** The caller of an authenticated route (the auth hook guarantees it is there). */
export function callerOf(request: FastifyRequest): AuthContext {
  if (request.auth === null) throw new VaultError('INTERNAL', 'route reached without authentication');
  return request.auth;
}

/** Audit actor of a request: the key that called and the request id. */
export function actorOf(request: FastifyRequest): ActorContext {
  return { actorKeyId: request.auth?.keyId ?? null, requestId: request.id, role: request.auth?.role ?? null };
}

/**
 * The caller's org, opened for the caller: the one door a route has into a tenant, the same handle
 * the library uses, with the caller's key, role (the ceiling of key management) and request id as
 * the actor.
 */
export function orgOf(vault: Vault, request: FastifyRequest): OrgVault {
  return vault.org(callerOf(request).orgId, actorOf(request));
}
