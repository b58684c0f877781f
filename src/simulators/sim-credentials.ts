/** Credentials the simulators accept; a gateway under test is configured with these. */
export interface SimulatorCredentials {
  customersToken: string;
  stripeSecretKey: string;
  /** A private app token. */
  hubspotToken: string;
  hubspotClientId: string;
  hubspotClientSecret: string;
  /** Exchanged at `POST /oauth/v1/token` for short-lived access tokens. */
  hubspotRefreshToken: string;
}

export const SIM_CREDENTIALS: SimulatorCredentials = Object.freeze({
  customersToken: 'sim-customers-token',
  stripeSecretKey: 'sk_test_tributarySim',
  hubspotToken: 'pat-na1-tributary-sim',
  hubspotClientId: 'tributary-sim-client',
  hubspotClientSecret: 'tributary-sim-client-secret',
  hubspotRefreshToken: 'na1-tributary-sim-refresh-token',
});
