import type { ActorContext } from '../audit/audit-log.js';
import type { OrgId } from '../ids.js';
import type { ApiKeyInfo, IssuedApiKey, RotatedApiKey } from './api-key-info.js';
import type { ApiKeyService, CreateKeyInput, RotateOptions } from './api-key-service.js';

/**
 * One org's API keys (`vault.org(id).keys`). A handle opened for an HTTP caller carries the caller's
 * role in its actor: it never creates, rotates or revokes a key above that role.
 */
export class OrgApiKeys {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly orgId: OrgId,
    private readonly actor: ActorContext,
  ) {}

  /** The plaintext `apiKey` is in this result only; it is never stored or shown again. */
  create(input: CreateKeyInput): Promise<IssuedApiKey> {
    return this.keys.create(this.orgId, input, this.actor);
  }
  list(): Promise<ApiKeyInfo[]> {
    return this.keys.list(this.orgId);
  }
  get(keyId: string): Promise<ApiKeyInfo | null> {
    return this.keys.get(this.orgId, keyId);
  }
  /** Null when the key is not in this org. */
  rotate(keyId: string, options: RotateOptions = {}): Promise<RotatedApiKey | null> {
    return this.keys.rotate(this.orgId, keyId, options, this.actor);
  }
  /** False when the key is not in this org. */
  revoke(keyId: string): Promise<boolean> {
    return this.keys.revoke(this.orgId, keyId, this.actor);
  }
}
