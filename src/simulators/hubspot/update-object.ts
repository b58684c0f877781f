import type { HubSpotObject } from '../dataset/dataset.ts';
import { parseJson, isPlainObject } from '../shared/read-body.ts';
import type { RouteHandler } from '../shared/router.ts';
import type { SimRequest, SimResponse } from '../shared/sim-request.ts';
import { hubspotError } from './hubspot-error.ts';
import type { HubSpotStore } from './hubspot-store.ts';
import type { HubSpotWebhooks } from './hubspot-webhooks.ts';
import { objectJson, type ObjectType } from './object-type.ts';
import { parsePropertyInput, refusedInput, type PropertySchema } from './property-input.ts';

/** What no write may set on an object of this type: its id and the dates HubSpot keeps. */
export function readOnlyProperties(type: ObjectType): ReadonlySet<string> {
  return new Set(['hs_object_id', 'createdate', type.modifiedProperty]);
}

/**
 * Sets checked properties the way every writer of the portal does: a contact may not take an
 * email another contact has (409 CONFLICT, as HubSpot keeps contact emails unique), otherwise
 * the store applies what differs and one `<type>.propertyChange` goes out per changed property.
 * Shared by `PATCH /crm/v3/objects/<type>/{id}` and `POST /_sim/mutate`. Undefined on success.
 */
export function applyPropertyUpdate(
  req: Pick<SimRequest, 'requestId'>,
  deps: { store: HubSpotStore; webhooks: HubSpotWebhooks },
  type: ObjectType,
  object: HubSpotObject,
  properties: Record<string, string | null>,
  now: number,
): SimResponse | undefined {
  const email = properties.email;
  if (type.plural === 'contacts' && email) {
    const holder = deps.store.find(type, email, 'email');
    if (holder && holder !== object) return hubspotError(req, 409, 'CONFLICT', `Contact already exists. Existing ID: ${holder.id}`);
  }
  const changes = deps.store.update(type, object, properties, now);
  deps.webhooks.propertiesChanged(type, object.id, changes);
  return undefined;
}

/**
 * `PATCH /crm/v3/objects/<type>/{id}?idProperty=`, body `{"properties": {…}}`. Answers 200 with
 * the object (SimplePublicObject) holding the properties it set and those HubSpot always sends;
 * an unknown or archived id is 404 OBJECT_NOT_FOUND.
 */
export function updateObject(
  deps: { store: HubSpotStore; webhooks: HubSpotWebhooks; clock: () => number },
  type: ObjectType,
  schema: PropertySchema,
): RouteHandler {
  return (req) => {
    const idProperty = req.query.get('idProperty') ?? undefined;
    if (idProperty !== undefined && idProperty !== 'hs_object_id' && !type.uniqueProperties.includes(idProperty)) {
      return hubspotError(req, 400, 'VALIDATION_ERROR', `Unknown idProperty '${idProperty}' for ${type.plural}`);
    }
    const object = deps.store.find(type, req.params.id ?? '', idProperty);
    if (!object) return hubspotError(req, 404, 'OBJECT_NOT_FOUND', 'resource not found');
    const body = parseJson(req.body);
    if (!isPlainObject(body)) return hubspotError(req, 400, 'VALIDATION_ERROR', 'Invalid input JSON: expected {"properties": {…}}');
    const input = parsePropertyInput(body.properties, readOnlyProperties(type), schema);
    if (!('properties' in input)) return refusedInput(req, input);
    const refusal = applyPropertyUpdate(req, deps, type, object, input.properties, deps.clock());
    if (refusal) return refusal;
    return { status: 200, body: objectJson(type, object, Object.keys(input.properties)) };
  };
}
