/**
 * The provider simulators: the customer service, Stripe and HubSpot on plain node:http over one
 * seeded dataset, each with a `/_sim/*` admin API (stats, faults, reset, mutate, webhooks) and
 * signed webhooks on every change (`sign*` forge them in tests). This is what the rest
 * of Tributary and its tests may import.
 */
export { startSimulators, type SimulatorSet, type StartSimulatorsOptions } from './start-simulators.ts';
export { SIM_CREDENTIALS, type SimulatorCredentials } from './sim-credentials.ts';
export type { SimulatorHandle, SimulatorOptions } from './shared/simulator-options.ts';
export { createCustomersSimulator, type CustomersSimulatorOptions } from './customers/create-customers-simulator.ts';
export { createStripeSimulator, type StripeSimulatorOptions } from './stripe/create-stripe-simulator.ts';
export { createHubSpotSimulator, type HubSpotSimulatorOptions } from './hubspot/create-hubspot-simulator.ts';
export { buildDataset } from './dataset/build-dataset.ts';
export { DatasetLookup } from './dataset/dataset-lookup.ts';
export type {
  ChargeStatus,
  ContactDealAssociation,
  CustomerRecord,
  Dataset,
  DatasetAnomalies,
  HubSpotObject,
  PaymentIntentStatus,
  RefundReason,
  StripeCharge,
  StripeCustomer,
  StripePaymentIntent,
  StripeRefund,
} from './dataset/dataset.ts';
export type { Faults } from './shared/fault-injector.ts';
export type { WebhookControl, WebhookDelivery, WebhookEndpointInput } from './shared/webhook-sender.ts';
export { signStripe } from './stripe/stripe-signature.ts';
export type { StripeEvent } from './stripe/stripe-webhooks.ts';
export { signHubSpotV3 } from './hubspot/hubspot-signature.ts';
export { HUBSPOT_APP_ID, HUBSPOT_PORTAL_ID, type HubSpotWebhookEvent } from './hubspot/hubspot-webhooks.ts';
export { signStandardWebhook } from './customers/standard-webhook-signature.ts';
export type { CustomerEvent } from './customers/customer-webhooks.ts';
export { credentialFingerprint, type SimStats } from './shared/stats-recorder.ts';
