import type { PropertySchema } from './property-input.ts';

/** HubSpot's default lifecycle stages (internal values), the options of a portal that kept them. */
export const LIFECYCLE_STAGES = [
  'subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other',
] as const;

const LEAD_STATUSES = ['NEW', 'OPEN', 'IN_PROGRESS', 'OPEN_DEAL', 'UNQUALIFIED', 'ATTEMPTED_TO_CONTACT', 'CONNECTED', 'BAD_TIMING'] as const;

/**
 * Contact properties a write may set: a subset of HubSpot's defaults, and no custom ones (the
 * simulated portal defines none), so a connector that writes a property the portal lacks meets
 * PROPERTY_DOESNT_EXIST here as it would there.
 */
export const CONTACT_SCHEMA: PropertySchema = {
  writable: new Set([
    'email', 'firstname', 'lastname', 'phone', 'mobilephone', 'company', 'website', 'jobtitle',
    'address', 'city', 'state', 'zip', 'country', 'lifecyclestage', 'hs_lead_status', 'hubspot_owner_id',
  ]),
  readOnly: new Set(['hs_object_id', 'createdate', 'lastmodifieddate']),
  options: { lifecyclestage: LIFECYCLE_STAGES, hs_lead_status: LEAD_STATUSES },
};

/** Note properties (https://developers.hubspot.com/docs/api/crm/notes); `hs_timestamp` is required on create. */
export const NOTE_SCHEMA: PropertySchema = {
  writable: new Set(['hs_note_body', 'hs_timestamp', 'hubspot_owner_id', 'hs_attachment_ids']),
  readOnly: new Set(['hs_object_id', 'hs_createdate', 'hs_lastmodifieddate']),
  options: {},
};
