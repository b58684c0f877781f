import type { RateLimit } from './workloads.ts';
import type { Provider } from './sim-admin.ts';
import type { SimulatorAddresses } from './simulators-process.ts';
import { benchApiKeysFile } from './bench-credentials.ts';

export const SYSTEM_IDS = ['ceiling', 'naive', 'datasource-rest', 'tributary-cold', 'tributary-warm', 'tributary-redis'] as const;
export type SystemId = (typeof SYSTEM_IDS)[number];

/** Run only when asked (`--redis`, or `--only` naming them): they need a Redis. */
export const OPT_IN_SYSTEMS: readonly SystemId[] = ['tributary-redis'];

/** The system every ratio is taken against, besides the ceiling. */
export const BASELINE: SystemId = 'tributary-warm';

/** What a system's environment is made from, for one workload. */
export interface LaunchContext {
  port: number;
  sims: SimulatorAddresses;
  /** The budgets the simulators enforce during this workload. */
  limits: Record<Provider, RateLimit>;
  /** For the ceiling: the file of precomputed answers. */
  answersFile: string;
  /** For tributary-redis: the Redis and the key prefix of this start alone. */
  redis?: RedisTarget;
}

export interface RedisTarget {
  url: string;
  /** CACHE_KEY_PREFIX: every key the gateway writes holds it, so the run can remove them after. */
  prefix: string;
}

export interface SystemSpec {
  id: SystemId;
  /** As the table shows it. */
  label: string;
  /** One sentence for the legend. */
  summary: string;
  /** Run as `node --import tsx <script>` from the repository root. */
  script: string;
  /** How the harness knows it is up: Tributary's `GET /readyz`, or a first `{ __typename }` answer. */
  readiness: 'readyz' | 'graphql';
  env(context: LaunchContext): Record<string, string>;
}

/** Where each system answers GraphQL (`POST`, `content-type: application/json`). */
export const GRAPHQL_PATH = '/graphql';

function providerEnv({ port, sims }: LaunchContext): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    CUSTOMERS_API_URL: sims.customers,
    CUSTOMERS_API_TOKEN: sims.credentials.customersToken,
    STRIPE_API_URL: sims.stripe,
    STRIPE_SECRET_KEY: sims.credentials.stripeSecretKey,
    HUBSPOT_API_URL: sims.hubspot,
    HUBSPOT_ACCESS_TOKEN: sims.credentials.hubspotToken,
  };
}

/**
 * Tributary in remote mode against the simulators, its quota guard told the budgets the
 * simulators enforce (as an operator would configure it for their plan). `cache` is the entity
 * cache switch; a gateway without one ignores it, and then cold and warm are the same.
 */
function tributaryEnv(context: LaunchContext, cache: boolean): Record<string, string> {
  const { limits } = context;
  return {
    ...providerEnv(context),
    LOG_LEVEL: 'warn',
    UPSTREAM_REPORT: 'true',
    CUSTOMERS_RATE_LIMIT: String(limits.customers.limit),
    CUSTOMERS_RATE_WINDOW_MS: String(limits.customers.windowMs),
    STRIPE_RATE_LIMIT: String(limits.stripe.limit),
    STRIPE_RATE_WINDOW_MS: String(limits.stripe.windowMs),
    HUBSPOT_RATE_LIMIT: String(limits.hubspot.limit),
    HUBSPOT_RATE_WINDOW_MS: String(limits.hubspot.windowMs),
    QUOTA_MAX_WAIT_MS: '3000',
    CACHE_ENABLED: String(cache),
    API_KEYS_FILE: benchApiKeysFile(),
    // The load comes from one client (the bench key): budgets it never reaches keep the limiter's cost
    // in the measurement without letting its refusals into it. Per second: at 700 warm pages a
    // second a minute's window spent 10,000,000 cost units (the largest budget) in about 15 s.
    RATE_LIMIT_WINDOW_MS: '1000',
    CLIENT_RATE_LIMIT_REQUESTS: '10000000',
    CLIENT_RATE_LIMIT_COST: '10000000',
    TENANT_RATE_LIMIT_REQUESTS: '10000000',
    TENANT_RATE_LIMIT_COST: '10000000',
  };
}

export const SYSTEMS: Record<SystemId, SystemSpec> = {
  ceiling: {
    id: 'ceiling',
    label: 'ceiling',
    summary: 'bare `node:http` writing the workload\'s precomputed answers, held in memory: the most any Node server can do here.',
    script: 'bench/peers/ceiling.ts',
    readiness: 'graphql',
    env: ({ port, answersFile }) => ({ PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', ANSWERS_FILE: answersFile }),
  },
  naive: {
    id: 'naive',
    label: 'naive',
    summary: 'Apollo Server 5, resolvers call the providers with `fetch`, one call per field and object.',
    script: 'bench/peers/naive.ts',
    readiness: 'graphql',
    env: providerEnv,
  },
  'datasource-rest': {
    id: 'datasource-rest',
    label: 'datasource-rest',
    summary: 'Apollo Server 5 with `@apollo/datasource-rest` data sources per operation on the server cache (its documented set-up).',
    script: 'bench/peers/datasource-rest.ts',
    readiness: 'graphql',
    env: providerEnv,
  },
  'tributary-cold': {
    id: 'tributary-cold',
    label: 'tributary (cold)',
    summary: 'Tributary with `CACHE_ENABLED=false`: nothing is kept between operations (fetches and identical queries already in flight are still shared).',
    script: 'src/main.ts',
    readiness: 'readyz',
    env: (context) => tributaryEnv(context, false),
  },
  'tributary-warm': {
    id: 'tributary-warm',
    label: 'tributary (warm)',
    summary: 'Tributary as deployed, its caches filled by the check and the warm-up.',
    script: 'src/main.ts',
    readiness: 'readyz',
    env: (context) => tributaryEnv(context, true),
  },
  'tributary-redis': {
    id: 'tributary-redis',
    label: 'tributary (warm, Redis)',
    summary: 'tributary (warm) with `REDIS_URL`: the entity cache and the quotas in Redis, as several instances share them (a key prefix per workload, removed after).',
    script: 'src/main.ts',
    readiness: 'readyz',
    env: (context) => {
      if (!context.redis) throw new TypeError('tributary-redis needs a Redis: none was given to the launch');
      return { ...tributaryEnv(context, true), REDIS_URL: context.redis.url, CACHE_KEY_PREFIX: context.redis.prefix };
    },
  },
};
