import { createHash } from 'node:crypto';
import type { RouteHandler } from '../shared/router.ts';
import { headerValue, type SimRequest } from '../shared/sim-request.ts';
import { customerJsonWithEtag, type CustomerQuery, type CustomerStore } from './customer-store.ts';
import { customersError } from './customers-error.ts';
import { ifNoneMatchMatches } from './entity-tag.ts';
import { CUSTOMER_CACHE_CONTROL } from './get-customer.ts';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

/** `GET /v1/customers`: a page ordered by id, with a weak ETag of the page itself. */
export function listCustomers(store: CustomerStore): RouteHandler {
  return (req) => {
    const query = parseQuery(req);
    if (typeof query === 'string') return customersError(400, 'invalid_request', query);

    const { items, hasMore } = store.page(query);
    const last = items[items.length - 1];
    const nextCursor = hasMore && last ? encodeCursor(last.id) : null;
    const body = { data: items.map(customerJsonWithEtag), nextCursor };
    const headers = { etag: pageEtag(body.data, nextCursor), 'cache-control': CUSTOMER_CACHE_CONTROL };
    const ifNoneMatch = headerValue(req, 'if-none-match');
    if (ifNoneMatch !== undefined && ifNoneMatchMatches(ifNoneMatch, headers.etag)) return { status: 304, headers };
    return { status: 200, headers, body };
  };
}

const KNOWN_PARAMETERS = new Set(['limit', 'cursor', 'startingAfter', 'email', 'stripeRef', 'hubspotRef']);

function parseQuery(req: SimRequest): CustomerQuery | string {
  for (const name of req.query.keys()) if (!KNOWN_PARAMETERS.has(name)) return `Unknown parameter '${name}'`;
  const rawLimit = req.query.get('limit');
  let limit = DEFAULT_LIMIT;
  if (rawLimit !== null) {
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_LIMIT) {
      return `"limit" must be an integer from 1 to ${MAX_LIMIT}, got '${rawLimit}'`;
    }
    limit = Number(rawLimit);
  }
  const query: CustomerQuery = { limit };
  const cursor = req.query.get('cursor');
  if (cursor !== null) {
    const after = decodeCursor(cursor);
    if (after === undefined) return `Malformed cursor '${cursor}'`;
    query.after = after;
  }
  const startingAfter = req.query.get('startingAfter');
  if (startingAfter !== null) {
    if (cursor !== null) return 'Send either "cursor" or "startingAfter", not both';
    if (startingAfter === '') return '"startingAfter" must be a customer id';
    query.after = startingAfter;
  }
  for (const name of ['email', 'stripeRef', 'hubspotRef'] as const) {
    const value = req.query.get(name);
    if (value !== null) query[name] = value;
  }
  return query;
}

/** Opaque to callers: base64url of `{"after": id}`. */
function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && 'after' in value && typeof value.after === 'string') {
      return value.after;
    }
  } catch {
    // not JSON: malformed
  }
  return undefined;
}

/** Weak: it names the page's records and versions, not the bytes of its JSON. */
function pageEtag(data: Array<{ id: string; version: number }>, nextCursor: string | null): string {
  const hash = createHash('sha256');
  for (const record of data) hash.update(`${record.id}:${record.version};`);
  hash.update(nextCursor ?? '');
  return `W/"page-${hash.digest('base64url').slice(0, 22)}"`;
}
