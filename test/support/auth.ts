import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { apiKeyDigest } from '../../src/auth/api-key-registry.ts';
import type { Scope } from '../../src/auth/principal.ts';
import type { SimulatorSet } from '../../src/simulators/index.ts';

export const READ_SCOPES: Scope[] = ['customers:read', 'payments:read', 'crm:read'];

export interface TestApiKey {
  key: string;
  client: string;
  tenant: string;
  scopes: Scope[];
}

/** A file in a fresh temporary directory. */
export function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tributary-test-')), name);
  writeFileSync(path, content);
  return path;
}

/** An API_KEYS_FILE (YAML) for these keys: their digests only, as an operator would write it. */
export function apiKeysFile(keys: TestApiKey[]): string {
  return tempFile('api-keys.yaml', stringify({ keys: keys.map(({ key, client, tenant, scopes }) => ({ client, tenant, scopes, sha256: apiKeyDigest(key) })) }));
}

/** A TENANTS_FILE (YAML) giving each tenant the simulators (and credentials) of its own account. */
export function tenantsFile(tenants: Record<string, SimulatorSet>, extra: Record<string, Record<string, unknown>> = {}): string {
  const entries = Object.fromEntries(
    Object.entries(tenants).map(([id, sims]) => [
      id,
      {
        customers: { url: sims.customers.url, token: sims.credentials.customersToken },
        stripe: { url: sims.stripe.url, secretKey: sims.credentials.stripeSecretKey },
        hubspot: { url: sims.hubspot.url, accessToken: sims.credentials.hubspotToken },
        ...extra[id],
      },
    ]),
  );
  return tempFile('tenants.yaml', stringify({ tenants: entries }));
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
