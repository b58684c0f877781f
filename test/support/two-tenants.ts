import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { apiKeysFile, tenantsFile, type TestApiKey } from './auth.ts';
import { GatewayStack } from './gateway-stack.ts';

/** Globex's own provider account: credentials apart from acme's (the simulators' defaults). */
export const GLOBEX_CREDENTIALS = { customersToken: 'globex-customers-token', stripeSecretKey: 'sk_test_globexSimKey', hubspotToken: 'pat-na1-globex-sim' };

export interface TwoTenants {
  acme: SimulatorSet;
  globex: SimulatorSet;
  stack: GatewayStack;
}

/**
 * Tenants `acme` and `globex`, each with simulators (and credentials) of its own, behind one
 * gateway that knows these API keys; every key and credential is a secret its logs must not hold.
 */
export async function startTwoTenants(keys: TestApiKey[], env: Record<string, string> = {}): Promise<TwoTenants> {
  const acme = await startSimulators({ seed: 42 });
  const globex = await startSimulators({ seed: 7, credentials: GLOBEX_CREDENTIALS });
  const secrets = [...keys.map(({ key }) => key), ...Object.values(acme.credentials), ...Object.values(GLOBEX_CREDENTIALS)];
  const stack = await GatewayStack.startConfigured({ TENANTS_FILE: tenantsFile({ acme, globex }), API_KEYS_FILE: apiKeysFile(keys), ...env }, acme, secrets);
  return { acme, globex, stack };
}
