import { createHash, randomBytes } from 'node:crypto';
import { open, seal } from '../crypto/aead.js';

/** How long an authorization may take, from authorize to callback. */
export const STATE_LIFETIME_MS = 10 * 60 * 1000;

/** A new state: 256 random bits, base64url (what the provider hands back to the callback). */
export const newState = (): string => randomBytes(32).toString('base64url');

/** What is stored and looked up: the state itself never is. */
export const stateHash = (state: string): string =>
  createHash('sha256').update('orgvault/oauth-state\0').update(state).digest('hex');

/** A key only the holder of the state can derive: the stored row alone cannot finish the flow. */
const verifierKey = (state: string): Buffer =>
  createHash('sha256').update('orgvault/oauth-verifier-key\0').update(state).digest();

const AAD = (orgId: string, moduleId: string) =>
  Buffer.from(`orgvault/oauth-verifier\0${orgId}\0${moduleId}`);

export function sealVerifier(state: string, orgId: string, moduleId: string, verifier: string) {
  return seal(verifierKey(state), Buffer.from(verifier), AAD(orgId, moduleId));
}

export function openVerifier(
  state: string,
  orgId: string,
  moduleId: string,
  nonce: Buffer,
  sealed: Buffer,
): string | null {
  return open(verifierKey(state), nonce, sealed, AAD(orgId, moduleId))?.toString('utf8') ?? null;
}
