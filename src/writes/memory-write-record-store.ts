import { BoundedExpiryMap } from './bounded-expiry-map.ts';
import { decodeWriteRecord, encodeWriteRecord, mayReplace } from './write-record-codec.ts';
import type { WriteRecord, WriteRecordStore } from './write-record-store.ts';
import { wholeMs } from './whole-ms.ts';

export interface MemoryWriteRecordStoreOptions {
  /** Milliseconds since the epoch (default `Date.now`); tests pass a clock they drive. */
  now?: () => number;
  /** Records kept at most; expired ones go first, then the least recently written (default 100 000). */
  maxEntries?: number;
}

const DEFAULT_MAX_ENTRIES = 100_000; // writes accepted within their records' ttl, in one process

/**
 * The embedded default: the records of this process's writes, expiring by its clock. Records are
 * kept as JSON, as in Redis, so a caller reads back a copy with exactly what Redis would give.
 *
 * The bound can drop a record still within its ttl: `writeStatus` then answers unknown for it, as
 * it would after the ttl. That is acceptable here because it takes more than maxEntries writes
 * within one ttl in one process, the least recently written go first (long finished, most likely
 * already read), and without it a burst of writes could grow the process without limit. A
 * deployment that needs every record for its whole ttl, or several instances, uses Redis.
 */
export function createMemoryWriteRecordStore(options: MemoryWriteRecordStoreOptions = {}): WriteRecordStore {
  const now = options.now ?? Date.now;
  const records = new BoundedExpiryMap<string>(options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  const held = (id: string, at: number) => {
    const text = records.get(id, at);
    return text === undefined ? undefined : decodeWriteRecord(text);
  };
  return {
    kind: 'memory',
    put: async (record: WriteRecord, ttlMs: number): Promise<void> => {
      const ttl = wholeMs('ttlMs', ttlMs);
      const at = now();
      if (!mayReplace(held(record.id, at), record)) return;
      records.set(record.id, encodeWriteRecord(record), at + ttl, at);
    },
    get: async (id: string, tenantId: string): Promise<WriteRecord | undefined> => {
      const record = held(id, now());
      return record?.tenantId === tenantId ? record : undefined;
    },
  };
}
