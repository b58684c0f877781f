import type { HubSpotObject } from '../dataset/dataset.ts';
import { isPlainObject, parseJson } from '../shared/read-body.ts';
import type { RouteHandler } from '../shared/router.ts';
import { headerValue, type SimRequest } from '../shared/sim-request.ts';
import { hubspotError } from './hubspot-error.ts';
import type { HubSpotStore } from './hubspot-store.ts';
import { objectJson, type ObjectType } from './object-type.ts';
import { scrambleOrder } from './scramble-order.ts';

const MAX_PAGE = 100;
const MAX_BATCH = 100;

/** `GET /crm/v3/objects/<type>/:id?properties=&idProperty=` */
export function getObject(store: HubSpotStore, type: ObjectType): RouteHandler {
  return (req) => {
    const idProperty = req.query.get('idProperty') ?? undefined;
    if (idProperty !== undefined && !isIdProperty(type, idProperty)) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', `Unknown idProperty '${idProperty}' for ${type.plural}`);
    }
    const found = req.query.get('archived') === 'true' ? undefined : store.find(type, req.params.id ?? '', idProperty);
    if (!found) return hubspotError(req, 404, 'OBJECT_NOT_FOUND', 'resource not found');
    return { status: 200, body: objectJson(type, found, queryProperties(req)) };
  };
}

/** `GET /crm/v3/objects/<type>?limit=&after=&properties=`; no `paging` on the last page. */
export function listObjects(store: HubSpotStore, type: ObjectType): RouteHandler {
  return (req) => {
    const rawLimit = req.query.get('limit') ?? '10';
    const limit = Number(rawLimit);
    if (!/^\d+$/.test(rawLimit) || limit < 1 || limit > MAX_PAGE) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', `limit must be an integer from 1 to ${MAX_PAGE}, got '${rawLimit}'`);
    }
    const rawAfter = req.query.get('after') ?? '0';
    if (!/^\d+$/.test(rawAfter)) return hubspotError(req, 400, 'VALIDATION_ERROR', `Invalid after cursor '${rawAfter}'`);

    const { items, hasMore } = store.page(type, Number(rawAfter), limit);
    const results = items.map((object) => objectJson(type, object, queryProperties(req)));
    const last = items[items.length - 1];
    if (!hasMore || !last) return { status: 200, body: { results } };
    // HubSpot's `after` is the last id plus one; `link` is deprecated but still sent.
    const after = String(Number(last.id) + 1);
    const link = new URL(`http://${headerValue(req, 'host') ?? 'localhost'}${req.path}`);
    link.searchParams.set('limit', String(limit));
    link.searchParams.set('after', after);
    return { status: 200, body: { results, paging: { next: { after, link: link.href } } } };
  };
}

/**
 * `POST /crm/v3/objects/<type>/batch/read`: 200 COMPLETE when every input was found, else 207
 * with one OBJECT_NOT_FOUND error listing the missing ids. Results come in no particular order.
 */
export function batchReadObjects(store: HubSpotStore, type: ObjectType, clock: () => number): RouteHandler {
  return (req) => {
    const startedAt = new Date(clock()).toISOString();
    const body = parseJson(req.body);
    if (!isPlainObject(body) || !Array.isArray(body.inputs)) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', 'Invalid input JSON: expected {"inputs": [{"id": "…"}], "properties": […]}');
    }
    if (body.inputs.length > MAX_BATCH) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', `Batch input limit is ${MAX_BATCH}, got ${body.inputs.length} inputs`);
    }
    const ids = body.inputs.map((input) => (isPlainObject(input) ? input.id : undefined));
    if (!ids.every((id): id is string | number => typeof id === 'string' || typeof id === 'number')) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', 'Every input must be an object with an "id"');
    }
    const idProperty = body.idProperty;
    if (idProperty !== undefined && (typeof idProperty !== 'string' || !isIdProperty(type, idProperty))) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', `Unknown idProperty '${String(idProperty)}' for ${type.plural}`);
    }
    const properties = Array.isArray(body.properties) ? body.properties.filter((p): p is string => typeof p === 'string') : [];
    // The caller needs the idProperty to match results to inputs, since their order is lost.
    const requested = idProperty === undefined || idProperty === 'hs_object_id' ? properties : [...properties, idProperty];

    const found = new Map<string, HubSpotObject>();
    const missing: string[] = [];
    for (const id of new Set(ids.map(String))) {
      const object = store.find(type, id, idProperty);
      if (object) found.set(object.id, object);
      else missing.push(id);
    }
    const results = scrambleOrder([...found.values()], (object) => object.id).map((object) => objectJson(type, object, requested));
    const completedAt = new Date(clock()).toISOString();
    if (missing.length === 0) return { status: 200, body: { status: 'COMPLETE', results, startedAt, completedAt } };
    const error = {
      status: 'error',
      category: 'OBJECT_NOT_FOUND',
      message: `Could not get some ${type.label} objects, they may be deleted or not exist. Check that ids are valid.`,
      context: { ids: missing },
    };
    return { status: 207, body: { status: 'COMPLETE', results, numErrors: 1, errors: [error], startedAt, completedAt } };
  };
}

function isIdProperty(type: ObjectType, name: string): boolean {
  return name === 'hs_object_id' || type.uniqueProperties.includes(name);
}

/** `properties` may repeat (`?properties=a&properties=b`, as the SDK sends it) or be comma-separated. */
export function queryProperties(req: SimRequest): string[] | undefined {
  const names = req.query.getAll('properties').flatMap((value) => value.split(',')).map((name) => name.trim()).filter(Boolean);
  return names.length > 0 ? names : undefined;
}
