import type { HubSpotObject } from '../dataset/dataset.ts';

/** What differs between the CRM object types the simulator serves. */
export interface ObjectType {
  /** The path segment: `/crm/v3/objects/<plural>`. */
  plural: 'contacts' | 'deals';
  /** As HubSpot names the type in messages: `Could not get some CONTACT objects`. */
  label: 'CONTACT' | 'DEAL';
  /** Returned when a GET names no `properties`. */
  defaultProperties: readonly string[];
  /** Returned whatever was asked for. */
  alwaysProperties: readonly string[];
  /** Accepted as `idProperty`, besides the object id. */
  uniqueProperties: readonly string[];
  /** The property HubSpot moves on every change, with `updatedAt`. */
  modifiedProperty: 'lastmodifieddate' | 'hs_lastmodifieddate';
  /** How webhook subscription types name it: `contact.propertyChange`. */
  subscriptionPrefix: 'contact' | 'deal';
}

export const CONTACTS: ObjectType = {
  plural: 'contacts',
  label: 'CONTACT',
  defaultProperties: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  alwaysProperties: ['createdate', 'hs_object_id', 'lastmodifieddate'],
  uniqueProperties: ['email'],
  modifiedProperty: 'lastmodifieddate',
  subscriptionPrefix: 'contact',
};

export const DEALS: ObjectType = {
  plural: 'deals',
  label: 'DEAL',
  defaultProperties: ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
  alwaysProperties: ['createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  uniqueProperties: [],
  modifiedProperty: 'hs_lastmodifieddate',
  subscriptionPrefix: 'deal',
};

/**
 * The wire object with only the requested properties plus the ones HubSpot always sends; a
 * property the object does not have is left out, as HubSpot does.
 */
export function objectJson(
  type: Pick<ObjectType, 'defaultProperties' | 'alwaysProperties'>,
  object: HubSpotObject,
  requested: readonly string[] | undefined,
): HubSpotObject {
  const names = new Set([...(requested ?? type.defaultProperties), ...type.alwaysProperties]);
  const properties: Record<string, string | null> = {};
  for (const name of [...names].sort()) {
    const value = object.properties[name];
    if (value !== undefined) properties[name] = value;
  }
  return { id: object.id, properties, createdAt: object.createdAt, updatedAt: object.updatedAt, archived: false };
}
