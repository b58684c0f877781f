import { randomUUID } from 'node:crypto';
import { isPlainObject } from '../shared/read-body.ts';
import type { SimResponse } from '../shared/sim-request.ts';
import { hubspotError } from './hubspot-error.ts';
import type { HubSpotStore } from './hubspot-store.ts';
import type { HubSpotWebhooks } from './hubspot-webhooks.ts';
import { CONTACTS, DEALS, objectJson, type ObjectType } from './object-type.ts';

const ACTIONS: Record<string, { type: ObjectType; kind: 'update' | 'delete' }> = {
  updateContact: { type: CONTACTS, kind: 'update' },
  deleteContact: { type: CONTACTS, kind: 'delete' },
  updateDeal: { type: DEALS, kind: 'update' },
  deleteDeal: { type: DEALS, kind: 'delete' },
};

/**
 * `POST /_sim/mutate` on HubSpot: `{"action":"updateContact"|"updateDeal","id","properties":{…}}`
 * or `{"action":"deleteContact"|"deleteDeal","id"}`, a change made in the CRM's own UI. Answers
 * the object with all its properties (archived when deleted) and sends the webhooks.
 */
export function hubspotMutation(store: HubSpotStore, webhooks: HubSpotWebhooks, clock: () => number): (body: unknown) => SimResponse {
  return (body) => {
    const action = isPlainObject(body) && typeof body.action === 'string' ? ACTIONS[body.action] : undefined;
    if (!isPlainObject(body) || !action) {
      return invalid(`Body must be {"action": one of ${Object.keys(ACTIONS).join(', ')}, "id": "…", "properties"?: {…}}`);
    }
    const { type } = action;
    const id = typeof body.id === 'number' ? String(body.id) : body.id;
    const object = typeof id === 'string' ? store.find(type, id) : undefined;
    if (!object) return hubspotError({ requestId: randomUUID() }, 404, 'OBJECT_NOT_FOUND', 'resource not found');
    const all = () => Object.keys(object.properties);

    if (action.kind === 'delete') {
      store.remove(type, object);
      webhooks.deleted(type, object.id);
      const archivedAt = new Date(clock()).toISOString();
      return { status: 200, body: { ...objectJson(type, object, all()), archived: true, archivedAt } };
    }
    const properties = parseProperties(body.properties, type);
    if (typeof properties === 'string') return invalid(properties);
    const changes = store.update(type, object, properties, clock());
    webhooks.propertiesChanged(type, object.id, changes);
    return { status: 200, body: objectJson(type, object, all()) };
  };
}

/** String values (numbers and booleans as HubSpot converts them), null to clear; the read-only ones refused. */
function parseProperties(raw: unknown, type: ObjectType): Record<string, string | null> | string {
  if (!isPlainObject(raw) || Object.keys(raw).length === 0) return '"properties" must be an object with at least one property';
  const properties: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'hs_object_id' || name === 'createdate' || name === type.modifiedProperty) {
      return `Property "${name}" is read-only`;
    }
    if (value === null || typeof value === 'string') properties[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') properties[name] = String(value);
    else return `Property "${name}" must be a string, a number, a boolean or null`;
  }
  return properties;
}

function invalid(message: string): SimResponse {
  return hubspotError({ requestId: randomUUID() }, 400, 'VALIDATION_ERROR', message);
}
