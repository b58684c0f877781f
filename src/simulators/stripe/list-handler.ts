import type { RouteHandler } from '../shared/router.ts';
import type { SimRequest, SimResponse } from '../shared/sim-request.ts';
import { invalidRequest, resourceMissing } from './stripe-error.ts';

interface StripeObject {
  id: string;
}

export interface ListSpec<T extends StripeObject> {
  /** The list's `url` field, e.g. `/v1/charges`. */
  url: string;
  /** For messages: `No such ${noun}`. */
  noun: string;
  /** Every object, newest first. */
  items(): readonly T[];
  /** Query parameters that filter the list, e.g. `customer`. */
  filters?: Record<string, (item: T, value: string) => boolean>;
  /**
   * For some filters, the objects that can match a value, newest first (a subset of `items()`
   * that holds every match): a page of one customer's charges then reads that customer's few
   * charges instead of all 2,000. Scanning them all cost the simulator about 0.15 ms per list, 43
   * lists per W1 page, time that delayed the other answers of the same process.
   */
  candidates?: Record<string, (value: string) => readonly T[]>;
}

const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 10;

/**
 * A Stripe list endpoint: `{object:"list", url, has_more, data}`, newest first, cursor
 * pagination by object id. A cursor must name an existing object of the same kind; filtering by
 * an unknown customer gives an empty list rather than an error.
 */
export function listHandler<T extends StripeObject>(spec: ListSpec<T>): RouteHandler {
  const filterNames = Object.keys(spec.filters ?? {});
  return (req) => {
    const unknown = unknownParam(req, ['limit', 'starting_after', 'ending_before', ...filterNames]);
    if (unknown) return invalidRequest(`Received unknown parameter: ${unknown}`, { code: 'parameter_unknown', param: unknown });
    const limit = parseLimit(req.query.get('limit'));
    if (typeof limit !== 'number') return limit;
    const startingAfter = req.query.get('starting_after');
    const endingBefore = req.query.get('ending_before');
    if (startingAfter !== null && endingBefore !== null) {
      return invalidRequest('You may only specify one of these parameters: ending_before, starting_after.');
    }

    const cursor = startingAfter ?? endingBefore;
    // A cursor is looked up among all objects (it must exist, whatever the filters), so the
    // candidates serve only a first page.
    const all = (cursor === null ? indexedCandidates(req, spec) : undefined) ?? spec.items();
    const cursorIndex = cursor === null ? -1 : all.findIndex((item) => item.id === cursor);
    if (cursor !== null && cursorIndex < 0) {
      return resourceMissing(spec.noun, cursor, startingAfter !== null ? 'starting_after' : 'ending_before');
    }
    const window = startingAfter !== null ? all.slice(cursorIndex + 1) : endingBefore !== null ? all.slice(0, cursorIndex) : all;
    // The request's filters, read once: checking every filter's parameter per object cost a
    // charge list about 0.2 ms over 2,000 charges, simulator CPU that delayed the other
    // simulators' answers and showed in the bench as gateway latency.
    const active = Object.entries(spec.filters ?? {}).flatMap(([name, predicate]) => {
      const value = req.query.get(name);
      return value === null ? [] : [{ predicate, value }];
    });
    const matching = active.length === 0 ? window : window.filter((item) => active.every(({ predicate, value }) => predicate(item, value)));
    // ending_before pages backwards: the `limit` objects just newer than the cursor, still newest first.
    const data = endingBefore !== null ? matching.slice(Math.max(0, matching.length - limit)) : matching.slice(0, limit);
    return { status: 200, body: { object: 'list', url: spec.url, has_more: matching.length > limit, data } };
  };
}

function indexedCandidates<T extends StripeObject>(req: SimRequest, spec: ListSpec<T>): readonly T[] | undefined {
  for (const [name, candidates] of Object.entries(spec.candidates ?? {})) {
    const value = req.query.get(name);
    if (value !== null) return candidates(value);
  }
  return undefined;
}

/** The first query parameter this endpoint does not know; `expand[]` is accepted and ignored. */
export function unknownParam(req: SimRequest, known: readonly string[]): string | undefined {
  for (const name of req.query.keys()) {
    if (!known.includes(name) && !/^expand(\[\d*\])?$/.test(name)) return name;
  }
  return undefined;
}

/** A limit from 1 to 100 (default 10), or Stripe's 400 naming `limit`. */
export function parseLimit(raw: string | null): number | SimResponse {
  if (raw === null) return DEFAULT_LIMIT;
  if (!/^-?\d+$/.test(raw)) return invalidRequest(`Invalid integer: ${raw}`, { code: 'parameter_invalid_integer', param: 'limit' });
  const limit = Number(raw);
  if (limit < 1) return invalidRequest('This value must be greater than or equal to 1.', { param: 'limit' });
  if (limit > MAX_LIMIT) {
    return invalidRequest(`This value must be less than or equal to ${MAX_LIMIT} (it currently is '${raw}').`, { param: 'limit' });
  }
  return limit;
}
