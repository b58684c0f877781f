import { loadTenantsFile } from '../auth/tenants-file.ts';
import type { GatewayConfig, WebhookSecrets } from '../config.ts';
import { clientAuth } from './client-auth.ts';
import type { ConfigProblems } from './config-problems.ts';
import type { Env, EnvValues } from './env-schema.ts';

/**
 * Tenants from TENANTS_FILE, how clients say which one they are for, and the rules that hold
 * between them and the rest. Sets `tenants` and `clientAuth` on `config`, built but not checked.
 */
export function applyTenancy(config: GatewayConfig, env: Env, v: EnvValues, problems: ConfigProblems): void {
  const tenantsFile = v.TENANTS_FILE;
  config.tenants = tenantsFile === undefined ? [] : problems.attempt(() => loadTenantsFile(tenantsFile, tenantRateLimits), []);
  const tenantsRead = !problems.any('TENANTS_FILE');
  // In remote mode without provider variables, the default tenant has no accounts: it does not exist.
  const defaultTenant = config.mode === 'embedded' || config.providers !== undefined;
  const tenantIds = [...(defaultTenant ? [config.defaultTenantId] : []), ...config.tenants.map((tenant) => tenant.id)];
  if (new Set(tenantIds).size !== tenantIds.length) {
    problems.add('TENANTS_FILE', `tenant "${config.defaultTenantId}" is already the one the provider variables configure (DEFAULT_TENANT_ID); rename one`);
  }
  config.clientAuth = clientAuth(env, v, tenantsRead ? tenantIds : undefined, problems);
  // Configured counts, even if broken: its own problem says what to fix, and "set API_KEYS_FILE" would mislead.
  const authenticated = v.API_KEYS_FILE !== undefined || v.JWT_JWKS_URL !== undefined || v.JWT_PUBLIC_KEY_FILE !== undefined || problems.any('JWT_JWKS_URL');
  if (!authenticated && config.production) {
    problems.add('API_KEYS_FILE', 'NODE_ENV=production needs client authentication: set API_KEYS_FILE, or JWT_JWKS_URL (or JWT_PUBLIC_KEY_FILE) with JWT_ISSUER and JWT_AUDIENCE');
  }
  const webhookTenants = [
    ...(defaultTenant ? [{ id: config.defaultTenantId, webhookSecrets: config.webhookSecrets }] : []),
    ...config.tenants.map((tenant) => ({ id: tenant.id, webhookSecrets: tenant.webhookSecrets })),
  ];
  checkWebhookSecrets(webhookTenants, config, problems);
  if (!authenticated && !config.production && tenantIds.length > 1) {
    problems.add('API_KEYS_FILE', `${tenantIds.length} tenants are configured: set API_KEYS_FILE or JWT_* so that requests can say which tenant they are for`);
  }
}

/** Stripe documents 100 req/s live and 25 req/s test; HubSpot 100 per 10 s on Free/Starter. */
function tenantRateLimits(live: boolean): GatewayConfig['rateLimits'] {
  return {
    customers: { limit: 100, windowMs: 1000 },
    stripe: { limit: live ? 100 : 25, windowMs: 1000 },
    hubspot: { limit: 100, windowMs: 10_000 },
  };
}

/**
 * A secret names its tenant when a delivery's path does not: two tenants with one secret would
 * have one's events applied to the other's data. And in production, events acknowledged to a
 * provider must outlive the process: the in-process log would lose them on a restart.
 */
function checkWebhookSecrets(tenants: ReadonlyArray<{ id: string; webhookSecrets: WebhookSecrets }>, config: GatewayConfig, problems: ConfigProblems): void {
  const owner = new Map<string, string>();
  const reported = new Set<string>();
  for (const tenant of tenants) {
    for (const [provider, secrets] of Object.entries(tenant.webhookSecrets)) {
      for (const secret of secrets ?? []) {
        const other = owner.get(`${provider}\n${secret}`);
        const pair = `${other}\n${tenant.id}\n${provider}`;
        if (other !== undefined && other !== tenant.id && !reported.has(pair)) {
          reported.add(pair);
          problems.add('TENANTS_FILE', `tenants "${other}" and "${tenant.id}" share a ${provider} webhook secret: each tenant needs its own, or events of one would change the other's data`);
        }
        owner.set(`${provider}\n${secret}`, other ?? tenant.id);
      }
    }
  }
  const webhooks = tenants.some((tenant) => Object.values(tenant.webhookSecrets).some((secrets) => (secrets?.length ?? 0) > 0));
  const redis = config.cache.redisUrl !== undefined || config.cache.redisClusterNodes !== undefined || problems.any('REDIS_URL', 'REDIS_CLUSTER_NODES');
  if (webhooks && config.production && !redis) {
    problems.add('REDIS_URL', 'webhooks are configured in production: their events are stored before they are acknowledged, which needs Redis (with an append-only file and maxmemory-policy noeviction); set REDIS_URL or REDIS_CLUSTER_NODES');
  }
}
