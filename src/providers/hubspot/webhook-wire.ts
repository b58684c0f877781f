import { z } from 'zod';

/**
 * One element of a HubSpot webhook batch (https://developers.hubspot.com/docs/api/webhooks):
 * the fields the gateway relies on are checked, any others pass through (loose object).
 * Every subscription type names its object in `objectId`, except `*.associationChange`, which
 * names both ends in `fromObjectId` and `toObjectId` (with `associationType`, e.g.
 * `CONTACT_TO_DEAL`, and `associationRemoved`).
 */
export const hubspotWebhookEvent = z.looseObject({
  eventId: z.number().int().nonnegative(),
  subscriptionId: z.number().int(),
  portalId: z.number().int(),
  appId: z.number().int(),
  occurredAt: z.number().int().nonnegative(),
  subscriptionType: z.string().min(1),
  attemptNumber: z.number().int().nonnegative(),
  objectId: z.number().int().optional(),
  fromObjectId: z.number().int().optional(),
  toObjectId: z.number().int().optional(),
  associationType: z.string().optional(),
  associationRemoved: z.boolean().optional(),
  propertyName: z.string().optional(),
  propertyValue: z.string().optional(),
  changeSource: z.string().optional(),
}).superRefine((event, context) => {
  const association = event.subscriptionType.endsWith('.associationChange');
  if (association ? event.fromObjectId === undefined || event.toObjectId === undefined : event.objectId === undefined) {
    context.addIssue({ code: 'custom', message: association ? 'fromObjectId and toObjectId are required' : 'objectId is required', path: [association ? 'fromObjectId' : 'objectId'] });
  }
});
export type HubSpotWebhookEvent = z.output<typeof hubspotWebhookEvent>;

/** HubSpot sends at most 100 events in one request. */
export const MAX_HUBSPOT_EVENTS_PER_REQUEST = 100;

export const hubspotWebhookBatch = z.array(hubspotWebhookEvent).min(1).max(MAX_HUBSPOT_EVENTS_PER_REQUEST);

/** A verified event's payload read back as a HubSpot event; undefined when it is not one. */
export function hubspotEventOf(payload: unknown): HubSpotWebhookEvent | undefined {
  const parsed = hubspotWebhookEvent.safeParse(payload);
  return parsed.success ? parsed.data : undefined;
}
