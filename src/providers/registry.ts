import type { EventMapping } from '../events/effects.ts';
import type { WebhookVerifier } from '../events/event.ts';
import type { WriteDefinition } from '../writes/write-definition.ts';
import { updateCustomer } from './customers/writes.ts';
import { addCrmNote, updateCrmContact } from './hubspot/writes.ts';
import { refundPayment } from './stripe/writes.ts';
import type { WriteEnv } from './write-env.ts';
import { customersEventMapping, customersWebhookVerifier } from './customers/index.ts';
import { hubspotEventMapping, hubspotWebhookVerifier } from './hubspot/index.ts';
import { stripeEventMapping, stripeWebhookVerifier } from './stripe/index.ts';

/** What each provider registers with the event pipeline: one line each, no provider named elsewhere. */
export const WEBHOOK_PROVIDERS: ReadonlyArray<{ verifier: WebhookVerifier; mapping: EventMapping }> = [
  { verifier: customersWebhookVerifier, mapping: customersEventMapping },
  { verifier: stripeWebhookVerifier, mapping: stripeEventMapping },
  { verifier: hubspotWebhookVerifier, mapping: hubspotEventMapping },
];

/** The writes each provider offers, by mutation name; the server and the deferred-write worker route by it. */
export const WRITES: ReadonlyArray<WriteDefinition<WriteEnv, unknown>> = [refundPayment, updateCustomer, updateCrmContact, addCrmNote];
