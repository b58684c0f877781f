import { createHash, hash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry } from './api-keys-file.ts';
import type { Principal } from './principal.ts';

/** Proven keys kept at most; forgotten all at once past this (a key file holds far fewer). */
const MAX_PROVEN = 1_000;

interface StoredKey {
  digest: Buffer;
  principal: Principal;
}

/**
 * Resolves a presented API key to its principal. The key file's digests are what is configured;
 * a key is kept as presented only once it matched (see `proven`). A presented key is hashed and
 * compared with every stored digest in constant time, without stopping at a match, so neither
 * the time to answer nor a Map's hashing says how close a guess came or where it matched.
 */
export class ApiKeyRegistry {
  private readonly keys: StoredKey[];
  /**
   * Keys that matched, so that a client's every request is not hashed again. Only keys already
   * proven are kept (a guess is always hashed and compared with every digest), in memory only,
   * never logged. A Map compares a guess's content with a kept key only when their string hashes
   * collide, so a lookup says no more than the answer itself.
   */
  private readonly proven = new Map<string, Principal>();

  constructor(entries: readonly ApiKeyEntry[]) {
    this.keys = entries.map((entry) => ({
      digest: Buffer.from(entry.sha256, 'hex'),
      principal: Object.freeze({ kind: 'api-key', clientId: entry.client, tenantId: entry.tenant, scopes: new Set(entry.scopes) }),
    }));
  }

  authenticate(presented: string): Principal | undefined {
    const known = this.proven.get(presented);
    if (known) return known;
    const digest = hash('sha256', presented, 'buffer');
    let found: Principal | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(digest, key.digest)) found = key.principal;
    }
    if (found) {
      if (this.proven.size >= MAX_PROVEN) this.proven.clear();
      this.proven.set(presented, found);
    }
    return found;
  }
}

/** The digest API_KEYS_FILE stores for `key`. */
export function apiKeyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
