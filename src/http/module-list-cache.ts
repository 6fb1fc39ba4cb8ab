import type { Storage } from '../storage/types.js';

/** Bounds on cached lists (one per org and filter): past either, the cache starts over. */
const MAX_ENTRIES = 1000;
const MAX_CHARS = 16 * 1024 * 1024;

/**
 * The serialized `GET /v1/modules` answer per (org, filter), valid only while the storage's change
 * token is the one it was built under: any committed write anywhere (this process or another)
 * changes the token, so a cached answer is never staler than a fresh read would be. Storage without
 * the capability (PostgreSQL) is never cached. Listing is the hot read of the API; this saves the
 * select, the manifest parsing and the serialization of 50 modules per request.
 */
export class ModuleListCache {
  private readonly entries = new Map<string, { token: string; body: string }>();
  private chars = 0;

  constructor(private readonly storage: Storage) {}

  /** The token to build under, or null when this storage cannot be cached. */
  token(): string | null {
    return this.storage.changeToken ? this.storage.changeToken() : null;
  }

  get(key: string, token: string | null): string | null {
    if (token === null) return null;
    const hit = this.entries.get(key);
    return hit !== undefined && hit.token === token ? hit.body : null;
  }

  /** Stores a body built from a read that started after `token` was taken. */
  set(key: string, token: string | null, body: string): void {
    if (token === null || body.length > MAX_CHARS) return;
    const previous = this.entries.get(key);
    if (previous !== undefined) this.chars -= previous.body.length;
    if (this.entries.size >= MAX_ENTRIES || this.chars + body.length > MAX_CHARS) {
      this.entries.clear();
      this.chars = 0;
    }
    this.entries.set(key, { token, body });
    this.chars += body.length;
  }
}
