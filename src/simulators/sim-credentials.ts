/** Credentials the simulators accept; a gateway under test is configured with these. */
export interface SimulatorCredentials {
  customersToken: string;
  stripeSecretKey: string;
  /** A private app token. */
  hubspotToken: string;
  hubspotClientId: string;
  /** Also the key of HubSpot's `X-HubSpot-Signature-v3` webhook signatures, as HubSpot uses the app's secret. */
  hubspotClientSecret: string;
  /** Exchanged at `POST /oauth/v1/token` for short-lived access tokens. */
  hubspotRefreshToken: string;
  /** Stripe's endpoint signing secret; Stripe keys the HMAC with the whole string, `whsec_` included. */
  stripeWebhookSecret: string;
  /**
   * The customer service's Standard Webhooks secret, `whsec_<base64>`: the HMAC key is the
   * base64-decoded part (Standard Webhooks 1.0, "Signature scheme").
   */
  customersWebhookSecret: string;
}

export const SIM_CREDENTIALS: SimulatorCredentials = Object.freeze({
  customersToken: 'sim-customers-token',
  stripeSecretKey: 'sk_test_tributarySim',
  hubspotToken: 'pat-na1-tributary-sim',
  hubspotClientId: 'tributary-sim-client',
  hubspotClientSecret: 'tributary-sim-client-secret',
  hubspotRefreshToken: 'na1-tributary-sim-refresh-token',
  stripeWebhookSecret: 'whsec_tributarySimStripeEndpointSecret01',
  customersWebhookSecret: 'whsec_rPxPwKKUP+7H0yp8YkG3BB7UJjqsa4It7fKJ4qJ4lQw=',
});
