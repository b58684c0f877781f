import { isPlainObject, parseJson } from '../shared/read-body.ts';
import type { RouteHandler } from '../shared/router.ts';
import { headerValue, type SimRequest, type SimResponse } from '../shared/sim-request.ts';
import { decodeAfter, encodeAfter, pageAfter } from './association-cursor.ts';
import { hubspotError } from './hubspot-error.ts';
import type { AssociatedPlural, HubSpotStore } from './hubspot-store.ts';
import type { ObjectType } from './object-type.ts';
import { scrambleOrder } from './scramble-order.ts';

const MAX_BATCH = 100;
/** The v4 GET's `limit` maximum and default. */
const MAX_PAGE = 500;

/** HubSpot-defined, unlabelled association types (contact→deal 4, deal→contact 3, contact→note 201, note→contact 202). */
export const TYPE_IDS: Record<string, number> = { 'contacts:deals': 4, 'deals:contacts': 3, 'contacts:notes': 201, 'notes:contacts': 202 };

/** One side of an association: a CRM object type or the notes. */
export interface AssociationEnd {
  plural: AssociatedPlural;
}

const SINGULAR: Record<ObjectType['plural'], string> = { contacts: 'contact', deals: 'deal' };

/**
 * One association in v4 shape. `toObjectId` is a JSON number, as HubSpot sends it in v4 (the
 * reference warns it may be a number or a string; a client must accept both).
 */
function associationJson(from: AssociationEnd, to: AssociationEnd, toId: string) {
  return {
    toObjectId: Number(toId),
    associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: TYPE_IDS[`${from.plural}:${to.plural}`] ?? 0, label: null }],
  };
}

/**
 * `GET /crm/v4/objects/<from>/:id/associations/<to>?after=&limit=`; an unknown id has none. `limit`
 * is 1–500 (default 500) and a page holds at most `pageSize`; `paging` only when more follow.
 */
export function getAssociations(store: HubSpotStore, from: AssociationEnd, to: AssociationEnd, pageSize: number): RouteHandler {
  return (req, { faults }) => {
    const rawLimit = req.query.get('limit') ?? String(MAX_PAGE);
    const limit = Number(rawLimit);
    if (!/^\d+$/.test(rawLimit) || limit < 1 || limit > MAX_PAGE) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', `limit must be an integer from 1 to ${MAX_PAGE}, got '${rawLimit}'`);
    }
    const rawAfter = req.query.get('after') ?? undefined;
    const afterId = rawAfter === undefined ? undefined : decodeAfter(rawAfter);
    if (rawAfter !== undefined && afterId === undefined) return invalidAfter(req, rawAfter);
    const id = req.params.id ?? '';
    const size = Math.min(limit, faults.associationPageSize ?? pageSize);
    const { page, last } = pageAfter(store.associated(from.plural, id, to.plural), afterId, size);
    const results = page.map((toId) => associationJson(from, to, toId));
    if (last === undefined) return { status: 200, body: { results } };
    return { status: 200, body: { results, paging: nextPaging(req, from, to, id, last) } };
  };
}

/**
 * `POST /crm/v4/associations/<from>/<to>/batch/read`, inputs `{id, after?}`. Each result is one
 * page of one input's associations, with its own `paging.next.after` when more follow; the caller
 * sends that back beside the id for the next page ("The 'paging' field will only be present if
 * there are more pages", https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/associate-records/batch/get-associations).
 * An input with no associations (or an unknown id) is not in `results` but in `errors`, one
 * NO_ASSOCIATIONS_FOUND entry each, and the status becomes 207 — real HubSpot does this, and
 * clients must treat it as "none", not failure.
 */
export function batchReadAssociations(
  store: HubSpotStore,
  from: ObjectType,
  to: ObjectType,
  clock: () => number,
  pageSize: number,
): RouteHandler {
  return (req, { faults }) => {
    const startedAt = new Date(clock()).toISOString();
    const body = parseJson(req.body);
    if (!isPlainObject(body) || !Array.isArray(body.inputs)) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', 'Invalid input JSON: expected {"inputs": [{"id": "…", "after": "…"}]}');
    }
    if (body.inputs.length > MAX_BATCH) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', `Batch input limit is ${MAX_BATCH}, got ${body.inputs.length} inputs`);
    }
    const inputs = body.inputs.map(batchInput);
    if (!inputs.every((input): input is BatchInput => input !== undefined)) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', 'Every input must be an object with an "id" and an optional string "after"');
    }

    const size = faults.associationPageSize ?? pageSize;
    const results = [];
    const errors = [];
    const seen = new Set<string>();
    for (const { id, after } of inputs) {
      if (seen.has(`${id} ${after ?? ''}`)) continue;
      seen.add(`${id} ${after ?? ''}`);
      const afterId = after === undefined ? undefined : decodeAfter(after);
      if (after !== undefined && afterId === undefined) return invalidAfter(req, after);
      const { page, last } = pageAfter(store.associated(from.plural, id, to.plural), afterId, size);
      if (page.length > 0) {
        const result = { from: { id }, to: page.map((toId) => associationJson(from, to, toId)) };
        results.push(last === undefined ? result : { ...result, paging: nextPaging(req, from, to, id, last) });
        continue;
      }
      errors.push({
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND',
        message: `No ${SINGULAR[to.plural]} is associated with ${SINGULAR[from.plural]} ${id}.`,
        context: { fromObjectId: [id], fromObjectType: [SINGULAR[from.plural]], toObjectType: [SINGULAR[to.plural]] },
      });
    }
    const ordered = scrambleOrder(results, (result) => result.from.id);
    const completedAt = new Date(clock()).toISOString();
    if (errors.length === 0) return { status: 200, body: { status: 'COMPLETE', results: ordered, startedAt, completedAt } };
    return {
      status: 207,
      body: { status: 'COMPLETE', results: ordered, numErrors: errors.length, errors, startedAt, completedAt },
    };
  };
}

interface BatchInput {
  id: string;
  after?: string;
}

function batchInput(input: unknown): BatchInput | undefined {
  if (!isPlainObject(input) || (typeof input.id !== 'string' && typeof input.id !== 'number')) return undefined;
  if (input.after === undefined) return { id: String(input.id) };
  return typeof input.after === 'string' ? { id: String(input.id), after: input.after } : undefined;
}

/** `link` is deprecated ("should be ignored") but still sent: the GET for the same next page. */
function nextPaging(req: SimRequest, from: AssociationEnd, to: AssociationEnd, id: string, last: string) {
  const after = encodeAfter(TYPE_IDS[`${from.plural}:${to.plural}`] ?? 0, last);
  const link = new URL(`http://${headerValue(req, 'host') ?? 'localhost'}/crm/v4/objects/${from.plural}/${encodeURIComponent(id)}/associations/${to.plural}`);
  link.searchParams.set('after', after);
  return { next: { after, link: link.href } };
}

function invalidAfter(req: SimRequest, after: string): SimResponse {
  return hubspotError(req, 400, 'VALIDATION_ERROR', `Invalid after cursor '${after}'`);
}
