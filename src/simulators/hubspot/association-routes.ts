import { isPlainObject, parseJson } from '../shared/read-body.ts';
import type { RouteHandler } from '../shared/router.ts';
import { hubspotError } from './hubspot-error.ts';
import type { HubSpotStore } from './hubspot-store.ts';
import type { ObjectType } from './object-type.ts';
import { scrambleOrder } from './scramble-order.ts';

const MAX_BATCH = 100;
const MAX_PAGE = 500;

/** HubSpot-defined, unlabelled association types (contact→deal 4, deal→contact 3). */
const TYPE_IDS: Record<string, number> = { 'contacts:deals': 4, 'deals:contacts': 3 };
const SINGULAR: Record<ObjectType['plural'], string> = { contacts: 'contact', deals: 'deal' };

/**
 * One association in v4 shape. `toObjectId` is a JSON number, as HubSpot sends it in v4 (the
 * reference warns it may be a number or a string; a client must accept both).
 */
function associationJson(from: ObjectType, to: ObjectType, toId: string) {
  return {
    toObjectId: Number(toId),
    associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: TYPE_IDS[`${from.plural}:${to.plural}`] ?? 0, label: null }],
  };
}

/** `GET /crm/v4/objects/<from>/:id/associations/<to>?after=&limit=`; an unknown id has none. */
export function getAssociations(store: HubSpotStore, from: ObjectType, to: ObjectType): RouteHandler {
  return (req) => {
    const rawLimit = req.query.get('limit') ?? String(MAX_PAGE);
    const limit = Number(rawLimit);
    if (!/^\d+$/.test(rawLimit) || limit < 1 || limit > MAX_PAGE) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', `limit must be an integer from 1 to ${MAX_PAGE}, got '${rawLimit}'`);
    }
    const after = Number(req.query.get('after') ?? '0');
    const ids = store.associated(from.plural, req.params.id ?? '', to.plural).filter((id) => Number(id) > after);
    const results = ids.slice(0, limit).map((id) => associationJson(from, to, id));
    const last = ids[limit - 1];
    if (ids.length <= limit || last === undefined) return { status: 200, body: { results } };
    return { status: 200, body: { results, paging: { next: { after: last } } } };
  };
}

/**
 * `POST /crm/v4/associations/<from>/<to>/batch/read`. An input with no associations (or an
 * unknown id) is not in `results` but in `errors`, one NO_ASSOCIATIONS_FOUND entry each, and the
 * status becomes 207 — real HubSpot does this, and clients must treat it as "none", not failure.
 */
export function batchReadAssociations(store: HubSpotStore, from: ObjectType, to: ObjectType, clock: () => number): RouteHandler {
  return (req) => {
    const startedAt = new Date(clock()).toISOString();
    const body = parseJson(req.body);
    if (!isPlainObject(body) || !Array.isArray(body.inputs)) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', 'Invalid input JSON: expected {"inputs": [{"id": "…"}]}');
    }
    if (body.inputs.length > MAX_BATCH) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', `Batch input limit is ${MAX_BATCH}, got ${body.inputs.length} inputs`);
    }
    const ids = body.inputs.map((input) => (isPlainObject(input) ? input.id : undefined));
    if (!ids.every((id): id is string | number => typeof id === 'string' || typeof id === 'number')) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', 'Every input must be an object with an "id"');
    }

    const results = [];
    const errors = [];
    for (const id of new Set(ids.map(String))) {
      const toIds = store.associated(from.plural, id, to.plural);
      if (toIds.length > 0) {
        results.push({ from: { id }, to: toIds.map((toId) => associationJson(from, to, toId)) });
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
