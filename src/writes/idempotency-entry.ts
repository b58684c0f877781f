import type { Claim, StoredResponse } from './idempotency-store.ts';
import { UnreadableEntryError } from './unreadable-entry-error.ts';

/**
 * What both idempotency stores keep under a key, as one JSON string: the claim's fingerprint and
 * token, and the response once the claim is completed. Redis scripts read `token` and `response`
 * from the same JSON (redis-idempotency-store.ts), so the field names are part of the format.
 */
export interface IdempotencyEntry {
  fingerprint: string;
  token: string;
  response?: StoredResponse;
}

/** Always `{"fingerprint":…,"token":…}` first, so that the Redis store can add the response to it. */
export function encodeIdempotencyEntry(entry: IdempotencyEntry): string {
  const { fingerprint, token, response } = entry;
  const claim = JSON.stringify({ fingerprint, token });
  return response ? `${claim.slice(0, -1)},"response":${encodeStoredResponse(response)}}` : claim;
}

/** Only the response's own fields, whatever else the object the caller passed holds. */
export function encodeStoredResponse(response: StoredResponse): string {
  const { status, headers, body } = response;
  return JSON.stringify({ status, headers: { ...headers }, body });
}

/** Throws UnreadableEntryError for anything these stores did not write. */
export function decodeIdempotencyEntry(text: string): IdempotencyEntry {
  const value = parse(text);
  const fingerprint = value?.['fingerprint'];
  const token = value?.['token'];
  if (typeof fingerprint !== 'string' || typeof token !== 'string') throw new UnreadableEntryError('idempotency entry');
  if (value?.['response'] === undefined) return { fingerprint, token };
  const response = readResponse(value['response']);
  if (!response) throw new UnreadableEntryError('idempotency entry');
  return { fingerprint, token, response };
}

/**
 * What `claim` answers when `held` holds the key: the one place both stores decide it. A finished
 * request's response is replayed only to the same payload; another payload under the same key is
 * a client error (the Idempotency-Key draft, "Error Scenarios": 422), finished or not.
 */
export function claimOutcomeFor(held: IdempotencyEntry, fingerprint: string): Exclude<Claim, { outcome: 'claimed' }> {
  if (held.fingerprint !== fingerprint) return { outcome: 'mismatch' };
  if (held.response) return { outcome: 'replay', response: held.response };
  return { outcome: 'in-progress' };
}

// Private: reading JSON of unknown shape.

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function readResponse(value: unknown): StoredResponse | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { status, headers, body } = value as Record<string, unknown>;
  if (typeof status !== 'number' || typeof body !== 'string' || typeof headers !== 'object' || headers === null || Array.isArray(headers)) return undefined;
  const entries = Object.entries(headers);
  if (!entries.every(([, header]) => typeof header === 'string')) return undefined;
  return { status, headers: Object.fromEntries(entries) as Record<string, string>, body };
}
