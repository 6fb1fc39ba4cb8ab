import type { ActorContext } from '../audit/audit-log.js';
import type { ApiKeyInfo, IssuedApiKey, RotatedApiKey } from './api-key-info.js';
import type { ApiKeyService, CreateKeyInput, RotateOptions } from './api-key-service.js';

/** One org's API keys, as the library exposes them (`vault.org(id).keys`). */
export class OrgApiKeys {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly orgId: string,
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
