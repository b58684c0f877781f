import { z } from 'zod';
import type { AuthConfig, ProviderEndpoint, RateLimit, WebhookSecrets } from '../config.ts';
import { ConfigError, type ConfigProblem } from '../config-error.ts';
import type { ProviderName } from '../errors.ts';
import { issueProblems, readSecretFile, readStructuredFile } from './structured-file.ts';

/** One tenant: its own provider accounts, their budgets, and its client-facing limits. */
export interface TenantConfig {
  id: string;
  providers: Record<ProviderName, ProviderEndpoint>;
  rateLimits: Record<ProviderName, RateLimit>;
  /** Overrides of the per-client and per-tenant request and cost limits, for this tenant only. */
  limits: TenantLimits;
  /** Webhook signing secrets per provider (several during a rotation). */
  webhookSecrets: WebhookSecrets;
}

export interface TenantLimits {
  clientRequests?: number;
  clientCost?: number;
  tenantRequests?: number;
  tenantCost?: number;
}

export const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const VARIABLE = 'TENANTS_FILE';

const rateLimit = z.strictObject({ limit: z.int().min(1).max(1e6), windowMs: z.int().min(1).max(86_400_000) });
const httpUrl = z.url({ protocol: /^https?$/ }).refine((value) => !new URL(value).username && !new URL(value).password, 'must not carry credentials');
const nonEmpty = z.string().trim().min(1);

/** Exactly one of `name` (inline) and `nameFile` (a path to read it from). */
function secretPair<K extends string>(name: K) {
  return { [name]: nonEmpty.optional(), [`${name}File`]: nonEmpty.optional() } as Record<K | `${K}File`, z.ZodOptional<z.ZodString>>;
}

/** Inline secrets, or a file holding them one per line (or comma separated). */
const webhookSecrets = z.strictObject({ secrets: z.array(nonEmpty).min(1).optional(), secretsFile: nonEmpty.optional() });

const tenantSchema = z.strictObject({
  customers: z.strictObject({ url: httpUrl, ...secretPair('token'), rateLimit: rateLimit.optional() }),
  stripe: z.strictObject({ url: httpUrl.optional(), ...secretPair('secretKey'), rateLimit: rateLimit.optional() }),
  hubspot: z.strictObject({
    url: httpUrl.optional(),
    ...secretPair('accessToken'),
    oauth: z.strictObject({ clientId: nonEmpty, ...secretPair('clientSecret'), ...secretPair('refreshToken') }).optional(),
    rateLimit: rateLimit.optional(),
  }),
  webhooks: z.strictObject({ stripe: webhookSecrets.optional(), hubspot: webhookSecrets.optional(), customers: webhookSecrets.optional() }).optional(),
  limits: z
    .strictObject({
      clientRequests: z.int().min(0).optional(),
      clientCost: z.int().min(0).optional(),
      tenantRequests: z.int().min(0).optional(),
      tenantCost: z.int().min(0).optional(),
    })
    .optional(),
});

/** Tenant ids are checked one by one below, so that one bad tenant does not hide the others' problems. */
const fileSchema = z.strictObject({ tenants: z.record(z.string(), z.unknown()) });

/** Where in the file, and what is wrong there; collected, then thrown together. */
type Report = (where: string, message: string) => void;

/**
 * The tenants file (TENANTS_FILE, YAML or JSON): each tenant's provider accounts, budgets and
 * limits. Secrets may be inline or `…File` references; either way they are read here, once.
 * Every problem of every tenant is reported in one ConfigError, each naming its place in the
 * file (`tenants.acme.stripe.secretKey`), never its value.
 */
export function loadTenantsFile(path: string, defaultRateLimits: (stripeLive: boolean) => Record<ProviderName, RateLimit>): TenantConfig[] {
  const file = readStructuredFile(VARIABLE, path, fileSchema);
  const problems: ConfigProblem[] = [];
  const report: Report = (where, message) => problems.push({ variable: VARIABLE, message: `${where}: ${message}` });
  const tenants: TenantConfig[] = [];
  for (const [id, raw] of Object.entries(file.tenants)) {
    if (!TENANT_ID.test(id)) {
      report(`tenants.${id}`, 'tenant ids are 1–63 lower-case letters, digits, - or _, starting with a letter or digit');
      continue;
    }
    const parsed = tenantSchema.safeParse(raw);
    if (!parsed.success) problems.push(...issueProblems(VARIABLE, parsed.error.issues, ['tenants', id]));
    else tenants.push(tenantOf(id, parsed.data, defaultRateLimits, report));
  }
  if (Object.keys(file.tenants).length === 0) report('tenants', `${path} lists no tenants`);
  if (problems.length > 0) throw new ConfigError(problems);
  return tenants;
}

function tenantOf(id: string, tenant: z.infer<typeof tenantSchema>, defaultRateLimits: (stripeLive: boolean) => Record<ProviderName, RateLimit>, report: Report): TenantConfig {
  const at = (field: string) => `tenants.${id}.${field}`;
  const stripeKey = secretOf(tenant.stripe, 'secretKey', at('stripe'), report);
  if (stripeKey && !/^(sk|rk)_(test|live)_\w+$/.test(stripeKey)) report(at('stripe.secretKey'), 'must be a Stripe secret or restricted key (sk_test_…, sk_live_…)');
  const hubspotUrl = tenant.hubspot.url ?? 'https://api.hubapi.com';
  const defaults = defaultRateLimits(/^(sk|rk)_live_/.test(stripeKey));
  return {
    id,
    providers: {
      customers: { url: tenant.customers.url, auth: { kind: 'bearer', token: secretOf(tenant.customers, 'token', at('customers'), report) } },
      stripe: { url: tenant.stripe.url ?? 'https://api.stripe.com', auth: { kind: 'bearer', token: stripeKey } },
      hubspot: { url: hubspotUrl, auth: hubspotAuth(tenant.hubspot, hubspotUrl, at('hubspot'), report) },
    },
    rateLimits: {
      customers: tenant.customers.rateLimit ?? defaults.customers,
      stripe: tenant.stripe.rateLimit ?? defaults.stripe,
      hubspot: tenant.hubspot.rateLimit ?? defaults.hubspot,
    },
    limits: tenant.limits ?? {},
    webhookSecrets: Object.fromEntries(
      Object.entries(tenant.webhooks ?? {}).map(([provider, holder]) => [provider, webhookSecretList(holder, at(`webhooks.${provider}`), report)]),
    ),
  };
}

function hubspotAuth(hubspot: z.infer<typeof tenantSchema>['hubspot'], apiUrl: string, where: string, report: Report): AuthConfig {
  const token = hubspot.accessToken !== undefined || hubspot.accessTokenFile !== undefined;
  if (token && hubspot.oauth) report(where, 'set either accessToken or oauth, not both');
  if (!hubspot.oauth) return { kind: 'bearer', token: secretOf(hubspot, 'accessToken', where, report) };
  return {
    kind: 'oauth-refresh',
    tokenUrl: new URL('/oauth/v1/token', apiUrl).toString(),
    clientId: hubspot.oauth.clientId,
    clientSecret: secretOf(hubspot.oauth, 'clientSecret', `${where}.oauth`, report),
    refreshToken: secretOf(hubspot.oauth, 'refreshToken', `${where}.oauth`, report),
  };
}

function webhookSecretList(holder: z.infer<typeof webhookSecrets>, where: string, report: Report): string[] {
  if (holder.secrets && holder.secretsFile) report(where, 'set either secrets or secretsFile, not both');
  if (holder.secrets) return holder.secrets;
  if (!holder.secretsFile) {
    report(where, 'secrets (or secretsFile) is required');
    return [];
  }
  const content = fileSecret(`${where}.secretsFile`, holder.secretsFile, report);
  return content.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

/** The secret `name` of `holder`, inline or from `nameFile`; '' (and a report) when it cannot be had. */
function secretOf(holder: Record<string, unknown>, name: string, where: string, report: Report): string {
  const inline = holder[name];
  const file = holder[`${name}File`];
  if (typeof inline === 'string' && typeof file === 'string') {
    report(where, `set either ${name} or ${name}File, not both`);
    return '';
  }
  if (typeof file === 'string') return fileSecret(`${where}.${name}File`, file, report);
  if (typeof inline === 'string') return inline;
  report(where, `${name} (or ${name}File) is required`);
  return '';
}

function fileSecret(where: string, path: string, report: Report): string {
  const read = readSecretFile(path);
  if ('problem' in read) report(where, read.problem);
  return 'secret' in read ? read.secret : '';
}
