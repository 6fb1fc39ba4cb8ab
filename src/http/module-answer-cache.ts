import type { Storage } from '../storage/storage.js';

/** Bounds on cached answers (one per org and filter, or org and module): past either, the cache starts over. */
const MAX_ENTRIES = 1000;
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * Serialized module answers (`GET /v1/modules` per org and filter, `GET /v1/modules/:c/:p` per org
 * and module; each route keeps its own), valid only while the storage's change token is the one they
 * were built under: any committed write anywhere (this process or another) changes the token, so a
 * cached answer is never staler than a fresh read would be. Storage without the capability
 * (PostgreSQL) is never cached. These are the hot reads of the API; a hit saves the select (on
 * SQLite a read transaction: two fcntl locks, each a system call), the manifest parsing, the
 * serialization and the UTF-8 encoding. Keys must begin with the org id: an answer is only ever
 * served to callers of the org it was read for.
 */
export class ModuleAnswerCache {
  private readonly entries = new Map<string, { token: string; body: Buffer }>();
  private bytes = 0;

  constructor(private readonly storage: Storage) {}

  /** The token to build under, or null when this storage cannot be cached. */
  token(): string | null {
    return this.storage.changeToken ? this.storage.changeToken() : null;
  }

  get(key: string, token: string | null): Buffer | null {
    if (token === null) return null;
    const hit = this.entries.get(key);
    return hit !== undefined && hit.token === token ? hit.body : null;
  }

  /** Stores a body built from a read that started after `token` was taken. */
  set(key: string, token: string | null, body: Buffer): void {
    if (token === null || body.length > MAX_BYTES) return;
    const previous = this.entries.get(key);
    if (previous !== undefined) this.bytes -= previous.body.length;
    if (this.entries.size >= MAX_ENTRIES || this.bytes + body.length > MAX_BYTES) {
      this.entries.clear();
      this.bytes = 0;
    }
    this.entries.set(key, { token, body });
    this.bytes += body.length;
  }
}
