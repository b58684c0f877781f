import { isPlainObject, parseJson } from '../shared/read-body.ts';
import type { RouteHandler } from '../shared/router.ts';
import type { SimRequest, SimResponse } from '../shared/sim-request.ts';
import { TYPE_IDS } from './association-routes.ts';
import { hubspotError } from './hubspot-error.ts';
import type { HubSpotStore } from './hubspot-store.ts';
import { queryProperties } from './object-routes.ts';
import { CONTACTS, objectJson, type ObjectType } from './object-type.ts';
import { parsePropertyInput, propertyValidationError, refusedInput } from './property-input.ts';
import { NOTE_SCHEMA } from './property-schemas.ts';

/** A GET without `properties` answers only what HubSpot always sends for an engagement. */
const NOTE_SHAPE: Pick<ObjectType, 'defaultProperties' | 'alwaysProperties'> = {
  defaultProperties: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  alwaysProperties: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};
const NOTE_TO_CONTACT = TYPE_IDS['notes:contacts'] ?? 202;

/**
 * `POST /crm/v3/objects/notes`, body `{"properties": {"hs_note_body", "hs_timestamp", …},
 * "associations": [{"to": {"id"}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
 * "associationTypeId": 202}]}]}`: 201 with the note. `hs_timestamp` (when the note happened,
 * epoch milliseconds or ISO 8601) is required. Only note→contact associations are simulated; any
 * refusal creates nothing.
 */
export function createNote(store: HubSpotStore, clock: () => number): RouteHandler {
  return (req) => {
    const body = parseJson(req.body);
    if (!isPlainObject(body)) return invalid(req, 'Invalid input JSON: expected {"properties": {…}, "associations"?: […]}');
    const input = parsePropertyInput(body.properties, NOTE_SCHEMA.readOnly, NOTE_SCHEMA);
    if (!('properties' in input)) return refusedInput(req, input);
    const properties = { ...input.properties };
    const timestamp = properties.hs_timestamp;
    if (timestamp === undefined || timestamp === null || timestamp === '') {
      return propertyValidationError(req, [{ name: 'hs_timestamp', code: 'REQUIRED_PROPERTY', message: 'Property "hs_timestamp" is required' }]);
    }
    const at = parseTimestamp(timestamp);
    if (at === undefined) {
      return propertyValidationError(req, [{ name: 'hs_timestamp', code: 'INVALID_DATETIME', message: `${timestamp} is not a valid datetime` }]);
    }
    properties.hs_timestamp = new Date(at).toISOString();

    const contactIds = associatedContacts(body.associations);
    if (typeof contactIds === 'string') return invalid(req, contactIds);
    const missing = contactIds.filter((id) => !store.find(CONTACTS, id));
    if (missing.length > 0) {
      // The message and `context` follow HubSpot's error format; the exact wording of its answer
      // to an association with a record that does not exist is not documented.
      return hubspotError(req, 400, 'VALIDATION_ERROR', `One or more associations are invalid: no contact with id ${missing.join(', ')}`, {
        context: { toObjectId: missing },
      });
    }
    const note = store.createNote(properties, contactIds, clock());
    return { status: 201, body: objectJson(NOTE_SHAPE, note, Object.keys(properties)) };
  };
}

/** `GET /crm/v3/objects/notes/{id}?properties=` */
export function getNote(store: HubSpotStore): RouteHandler {
  return (req) => {
    const note = req.query.get('archived') === 'true' ? undefined : store.note(req.params.id ?? '');
    if (!note) return hubspotError(req, 404, 'OBJECT_NOT_FOUND', 'resource not found');
    return { status: 200, body: objectJson(NOTE_SHAPE, note, queryProperties(req)) };
  };
}

/** The contact ids of `associations`, or what is wrong with them. */
function associatedContacts(raw: unknown): string[] | string {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return 'Invalid input JSON: "associations" must be an array';
  const ids: string[] = [];
  for (const association of raw) {
    const to = isPlainObject(association) ? association.to : undefined;
    const id = isPlainObject(to) ? to.id : undefined;
    const types = isPlainObject(association) ? association.types : undefined;
    if ((typeof id !== 'string' && typeof id !== 'number') || !Array.isArray(types) || types.length === 0) {
      return 'Invalid input JSON: every association must be {"to": {"id"}, "types": [{"associationCategory", "associationTypeId"}]}';
    }
    for (const type of types) {
      const category = isPlainObject(type) ? type.associationCategory : undefined;
      const typeId = isPlainObject(type) ? type.associationTypeId : undefined;
      if (category !== 'HUBSPOT_DEFINED' || typeId !== NOTE_TO_CONTACT) {
        return `Association type ${String(category)}/${String(typeId)} is not valid from note to contact; use HUBSPOT_DEFINED/${NOTE_TO_CONTACT}`;
      }
    }
    ids.push(String(id));
  }
  return ids;
}

/** Epoch milliseconds, or an ISO 8601 date-time; HubSpot takes both for datetime properties. */
function parseTimestamp(value: string): number | undefined {
  const ms = /^\d+$/.test(value) ? Number(value) : /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

function invalid(req: SimRequest, message: string): SimResponse {
  return hubspotError(req, 400, 'VALIDATION_ERROR', message);
}
