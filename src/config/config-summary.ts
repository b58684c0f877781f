import type { GatewayConfig } from '../config.ts';

/**
 * What a loaded configuration amounts to, in a few lines for `npm run config:check`. Names and
 * counts only: no URL (a Redis URL may hold a password), no token, no key.
 */
export function configSummary(config: GatewayConfig): string[] {
  const defaultTenant = config.mode === 'embedded' || config.providers !== undefined;
  const tenants = [...(defaultTenant ? [config.defaultTenantId] : []), ...config.tenants.map((tenant) => tenant.id)];
  const { apiKeys, jwt } = config.clientAuth;
  const auth = [apiKeys ? `API keys (${apiKeys.length})` : '', jwt ? `JWTs (${jwt.jwksUrl ? 'JWKS' : 'public key'}, issuer ${jwt.issuer})` : ''].filter(Boolean);
  const { redisUrl, redisClusterNodes } = config.cache;
  const store = redisUrl ? 'Redis' : redisClusterNodes ? `Redis Cluster (${redisClusterNodes.length} seed nodes)` : 'in-process';
  return [
    `mode: ${config.mode === 'embedded' ? 'embedded (simulated providers, started in-process)' : 'remote'}${config.production ? ', production' : ''}`,
    `tenants: ${tenants.join(', ')}`,
    `auth: ${auth.length > 0 ? auth.join(' or ') : 'off (every request acts as the one tenant with every scope)'}`,
    `cache store: ${store}${config.cache.enabled ? '' : ' (entity cache off)'}`,
    `listen: ${config.host}:${config.port}`,
  ];
}
