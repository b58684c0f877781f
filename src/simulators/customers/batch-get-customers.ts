import type { CustomerRecord } from '../dataset/dataset.ts';
import { isPlainObject, parseJson } from '../shared/read-body.ts';
import type { RouteHandler } from '../shared/router.ts';
import { customerJsonWithEtag, type CustomerStore } from './customer-store.ts';
import { customersError } from './customers-error.ts';
import { customerEtag, weakEquals } from './entity-tag.ts';
import { CUSTOMER_CACHE_CONTROL } from './get-customer.ts';

const MAX_IDS = 100;

interface BatchGetBody {
  ids: string[];
  known: Record<string, string>;
}

/**
 * `POST /v1/customers/batch-get`. Ids whose `known` tag still matches are listed in
 * `notModified` instead of `data`: one round trip revalidates a whole batch. No ETag header,
 * because the answer is a composite of many records.
 */
export function batchGetCustomers(store: CustomerStore): RouteHandler {
  return (req) => {
    const parsed = parseBatchGetBody(parseJson(req.body));
    if (typeof parsed === 'string') return customersError(400, 'invalid_request', parsed);

    const data: Array<CustomerRecord & { etag: string }> = [];
    const notModified: string[] = [];
    const missing: string[] = [];
    for (const id of new Set(parsed.ids)) {
      const record = store.get(id);
      const known = parsed.known[id];
      if (!record) missing.push(id);
      else if (known !== undefined && weakEquals(known, customerEtag(record))) notModified.push(id);
      else data.push(customerJsonWithEtag(record));
    }
    return { status: 200, headers: { 'cache-control': CUSTOMER_CACHE_CONTROL }, body: { data, notModified, missing } };
  };
}

/** The body, or a message saying what is wrong with it. */
function parseBatchGetBody(body: unknown): BatchGetBody | string {
  if (!isPlainObject(body)) return 'Body must be a JSON object {"ids": [...], "known"?: {...}}';
  const { ids, known = {} } = body;
  if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string' && id !== '')) {
    return '"ids" must be an array of non-empty strings';
  }
  if (ids.length === 0) return '"ids" must contain at least one id';
  if (ids.length > MAX_IDS) return `"ids" may contain at most ${MAX_IDS} ids, got ${ids.length}`;
  if (!isPlainObject(known) || !Object.values(known).every((tag) => typeof tag === 'string')) {
    return '"known" must be an object mapping ids to entity tags';
  }
  return { ids, known: known as Record<string, string> };
}
