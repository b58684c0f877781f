/** Where a write stands. QUEUED: stored, waiting for its provider; the others are final. */
export type WriteState = 'QUEUED' | 'SUCCEEDED' | 'FAILED';

/** A public error as a write record keeps it (never a stack or a secret). */
export interface WriteError {
  code: string;
  message: string;
}

/**
 * One write the gateway accepted, as `writeStatus(id)` reads it. `result` is the mutation's
 * payload once it ran (JSON-serialisable model values), `error` why it finally failed.
 */
export interface WriteRecord {
  /** The operation id given to the client (a UUID). */
  id: string;
  tenantId: string;
  clientId: string;
  /** The mutation's name, e.g. `refundPayment`. */
  mutation: string;
  state: WriteState;
  /** Attempts made so far to send it to the provider. */
  attempts: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  updatedAt: number;
  result?: unknown;
  error?: WriteError;
  /**
   * A write that cannot be repeated (a note) is being sent: a worker that finds this set (its
   * predecessor died, or could not record the outcome) must not send it again.
   */
  sending?: boolean;
}

/**
 * Deferred writes' records, shared by every instance (Redis) or in process. A final record
 * (SUCCEEDED, FAILED) is never replaced by a QUEUED one, so a late or repeated delivery of the
 * queued write cannot make a finished one look pending again; a SUCCEEDED one is replaced only
 * by SUCCEEDED, so a late "gave up" cannot undo a replay that worked.
 */
export interface WriteRecordStore {
  readonly kind: 'memory' | 'redis';
  /** Stores `record` for `ttlMs` (replacing the one with its id, unless that one is final and this one is not). */
  put(record: WriteRecord, ttlMs: number): Promise<void>;
  /** The record, or undefined when unknown, expired, or of another tenant. */
  get(id: string, tenantId: string): Promise<WriteRecord | undefined>;
}
