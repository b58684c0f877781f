import { UnreadableEntryError } from './unreadable-entry-error.ts';
import type { WriteError, WriteRecord, WriteState } from './write-record-store.ts';

/**
 * Every state but QUEUED is final, the rule both record stores keep (and the Redis script spells
 * again in Lua): a state added later is final unless it is QUEUED.
 */
export function isFinal(state: WriteState): boolean {
  return state !== 'QUEUED';
}

/**
 * Whether `next` may replace `held` (the WriteRecordStore contract): a final record is never
 * replaced by a QUEUED one, and a SUCCEEDED one only by another SUCCEEDED (a FAILED one may still
 * become SUCCEEDED, when an operator replays its dead letter).
 */
export function mayReplace(held: WriteRecord | undefined, next: WriteRecord): boolean {
  if (!held) return true;
  if (held.state === 'SUCCEEDED' && next.state !== 'SUCCEEDED') return false;
  return !isFinal(held.state) || isFinal(next.state);
}

/** One JSON string of the record's own fields, whatever else the object the caller passed holds. */
export function encodeWriteRecord(record: WriteRecord): string {
  const { id, tenantId, clientId, mutation, state, attempts, createdAt, updatedAt, result, error, sending } = record;
  return JSON.stringify({ id, tenantId, clientId, mutation, state, attempts, createdAt, updatedAt, result, error: error && { code: error.code, message: error.message }, sending });
}

/** Throws UnreadableEntryError for anything the record stores did not write. */
export function decodeWriteRecord(text: string): WriteRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UnreadableEntryError('write record');
  }
  if (typeof value !== 'object' || value === null) throw new UnreadableEntryError('write record');
  const { id, tenantId, clientId, mutation, state, attempts, createdAt, updatedAt, result, error, sending } = value as Record<string, unknown>;
  const strings = [id, tenantId, clientId, mutation].every((field) => typeof field === 'string');
  const numbers = [attempts, createdAt, updatedAt].every((field) => typeof field === 'number');
  if (!strings || !numbers || !isState(state) || (error !== undefined && !isWriteError(error))) throw new UnreadableEntryError('write record');
  const record: WriteRecord = {
    id: id as string,
    tenantId: tenantId as string,
    clientId: clientId as string,
    mutation: mutation as string,
    state,
    attempts: attempts as number,
    createdAt: createdAt as number,
    updatedAt: updatedAt as number,
  };
  if (result !== undefined) record.result = result;
  if (sending === true) record.sending = true;
  if (error !== undefined) record.error = { code: error.code, message: error.message };
  return record;
}

// Private: checks of the decoded fields.

function isState(value: unknown): value is WriteState {
  return value === 'QUEUED' || value === 'SUCCEEDED' || value === 'FAILED';
}

function isWriteError(value: unknown): value is WriteError {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string';
}
