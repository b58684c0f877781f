import type { EventMapping } from '../events/effects.ts';
import type { WebhookVerifier } from '../events/event.ts';
import { customersEventMapping, customersWebhookVerifier } from './customers/index.ts';
import { hubspotEventMapping, hubspotWebhookVerifier } from './hubspot/index.ts';
import { stripeEventMapping, stripeWebhookVerifier } from './stripe/index.ts';

/** What each provider registers with the event pipeline: one line each, no provider named elsewhere. */
export const WEBHOOK_PROVIDERS: ReadonlyArray<{ verifier: WebhookVerifier; mapping: EventMapping }> = [
  { verifier: customersWebhookVerifier, mapping: customersEventMapping },
  { verifier: stripeWebhookVerifier, mapping: stripeEventMapping },
  { verifier: hubspotWebhookVerifier, mapping: hubspotEventMapping },
];
