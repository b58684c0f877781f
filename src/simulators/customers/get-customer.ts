import type { CustomerRecord } from '../dataset/dataset.ts';
import type { RouteHandler } from '../shared/router.ts';
import { headerValue, type SimRequest } from '../shared/sim-request.ts';
import type { CustomerStore } from './customer-store.ts';
import { customerJson } from './customer-store.ts';
import { customersError } from './customers-error.ts';
import { customerEtag, ifNoneMatchMatches } from './entity-tag.ts';

export const CUSTOMER_CACHE_CONTROL = 'private, max-age=60';

/** `GET /v1/customers/{id}` with validators and RFC 9110 §13 conditional requests. */
export function getCustomer(store: CustomerStore): RouteHandler {
  return (req) => {
    const id = req.params.id ?? '';
    const record = store.get(id);
    if (!record) return customersError(404, 'not_found', `No customer with id '${id}'`);
    // A 304 carries the same validator and freshness headers a 200 would (RFC 9110 §15.4.5).
    const headers = { ...customerValidators(record), 'cache-control': CUSTOMER_CACHE_CONTROL };
    if (isNotModified(req, record, headers.etag)) return { status: 304, headers };
    return { status: 200, headers, body: customerJson(record) };
  };
}

/** `ETag` and `Last-Modified` of a record, as a GET and a successful PATCH send them. */
export function customerValidators(record: CustomerRecord): { etag: string; 'last-modified': string } {
  return { etag: customerEtag(record), 'last-modified': new Date(record.updatedAt).toUTCString() };
}

/** If-None-Match wins; If-Modified-Since counts only when If-None-Match is absent (§13.2.2). */
function isNotModified(req: SimRequest, record: CustomerRecord, etag: string): boolean {
  const ifNoneMatch = headerValue(req, 'if-none-match');
  if (ifNoneMatch !== undefined) return ifNoneMatchMatches(ifNoneMatch, etag);
  const ifModifiedSince = headerValue(req, 'if-modified-since');
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  if (Number.isNaN(since)) return false; // an invalid date is ignored (§13.1.3)
  // HTTP dates have whole seconds, so compare at that precision.
  return Math.floor(Date.parse(record.updatedAt) / 1000) <= Math.floor(since / 1000);
}
