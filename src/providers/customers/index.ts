export { CustomersClient } from './client.ts';
export { createCustomerLoaders, type CustomerLoaders, type CustomerPage } from './loaders.ts';
export { customersWebhookVerifier, createCustomersWebhookVerifier, customersEventOf, type CustomersWebhookEvent, type CustomersWebhookVerifierOptions } from './webhook-verifier.ts';
export { customersEventMapping } from './event-effects.ts';
