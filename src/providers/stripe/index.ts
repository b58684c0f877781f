export { StripeClient } from './client.ts';
export { createStripeLoaders, type StripeLoaders } from './loaders.ts';
export { paymentsOf, PAYMENT_CURSOR_SCOPE, type PaymentsArgs } from './payments.ts';
