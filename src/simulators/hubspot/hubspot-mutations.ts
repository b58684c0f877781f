import { randomUUID } from 'node:crypto';
import { isPlainObject } from '../shared/read-body.ts';
import type { SimResponse } from '../shared/sim-request.ts';
import { hubspotError } from './hubspot-error.ts';
import type { HubSpotStore } from './hubspot-store.ts';
import type { HubSpotWebhooks } from './hubspot-webhooks.ts';
import { CONTACTS, DEALS, objectJson, type ObjectType } from './object-type.ts';
import { parsePropertyInput, refusedInput } from './property-input.ts';
import { applyPropertyUpdate, readOnlyProperties } from './update-object.ts';

const ACTIONS: Record<string, { type: ObjectType; kind: 'update' | 'delete' }> = {
  updateContact: { type: CONTACTS, kind: 'update' },
  deleteContact: { type: CONTACTS, kind: 'delete' },
  updateDeal: { type: DEALS, kind: 'update' },
  deleteDeal: { type: DEALS, kind: 'delete' },
};

/**
 * `POST /_sim/mutate` on HubSpot: `{"action":"updateContact"|"updateDeal","id","properties":{…}}`
 * or `{"action":"deleteContact"|"deleteDeal","id"}`, a change made in the CRM's own UI. Answers
 * the object with all its properties (archived when deleted) and sends the webhooks. An update
 * takes the API's path (update-object.ts) but, like the CRM's UI, may set custom properties.
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
    const input = parsePropertyInput(body.properties, readOnlyProperties(type));
    const request = { requestId: randomUUID() };
    if (!('properties' in input)) return refusedInput(request, input);
    const refusal = applyPropertyUpdate(request, { store, webhooks }, type, object, input.properties, clock());
    if (refusal) return refusal;
    return { status: 200, body: objectJson(type, object, all()) };
  };
}

function invalid(message: string): SimResponse {
  return hubspotError({ requestId: randomUUID() }, 400, 'VALIDATION_ERROR', message);
}
