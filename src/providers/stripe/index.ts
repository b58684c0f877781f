export { StripeClient } from './client.ts';
export { createStripeLoaders, type StripeLoaders } from './loaders.ts';
export { paymentsOf, PAYMENT_CURSOR_SCOPE, type PaymentsArgs } from './payments.ts';
export { stripeWebhookVerifier, createStripeWebhookVerifier, chargeOf, stripeEventOf, type StripeEvent, type StripeWebhookVerifierOptions } from './webhook-verifier.ts';
export { stripeEventMapping } from './event-effects.ts';
