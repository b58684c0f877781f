import { buildDataset } from '../dataset/build-dataset.ts';
import type { Authentication, ProviderAdapter, RequestContext } from '../shared/provider-adapter.ts';
import { Router } from '../shared/router.ts';
import { headerValue, type SimRequest } from '../shared/sim-request.ts';
import { startSimServer } from '../shared/sim-server.ts';
import type { SimulatorHandle, SimulatorOptions } from '../shared/simulator-options.ts';
import { SIM_CREDENTIALS } from '../sim-credentials.ts';
import { batchReadAssociations, getAssociations } from './association-routes.ts';
import { categoryForStatus, hubspotError } from './hubspot-error.ts';
import { HubSpotRateLimiter, type HubSpotLimits } from './hubspot-rate-limiter.ts';
import { hubspotMutation } from './hubspot-mutations.ts';
import { HubSpotStore } from './hubspot-store.ts';
import { HubSpotWebhooks } from './hubspot-webhooks.ts';
import { createNote, getNote } from './note-routes.ts';
import { OAuthRegistry } from './oauth-registry.ts';
import { batchReadObjects, getObject, listObjects } from './object-routes.ts';
import { CONTACTS, DEALS } from './object-type.ts';
import { CONTACT_SCHEMA } from './property-schemas.ts';
import { updateObject } from './update-object.ts';

export interface HubSpotSimulatorOptions extends SimulatorOptions {
  /** The private app token; default `SIM_CREDENTIALS.hubspotToken`. */
  token?: string;
  /**
   * Default: the SIM_CREDENTIALS client with its one refresh token, 1800 s access tokens. The
   * client secret also signs webhooks to endpoints configured without their own secret.
   */
  oauth?: { clientId?: string; clientSecret?: string; refreshTokens?: string[]; accessTokenTtlSeconds?: number };
  /** Default 100 requests per rolling 10 000 ms and 250 000 per day, per token. */
  rateLimit?: Partial<HubSpotLimits>;
  /**
   * The most associations one v4 page holds, on the GET and the batch read; 1–500, default 500
   * (the GET's documented `limit` maximum; HubSpot documents no other size for the batch read).
   * The `associationPageSize` fault overrides it while set.
   */
  associationPageSize?: number;
}

const DEFAULT_ASSOCIATION_PAGE_SIZE = 500;

const AUTH_NOT_FOUND =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

/** HubSpot CRM v3 objects (contact updates, notes), v4 associations and the OAuth token endpoint. */
export function createHubSpotSimulator(options: HubSpotSimulatorOptions = {}): Promise<SimulatorHandle> {
  const clock = options.clock ?? Date.now;
  const pageSize = options.associationPageSize ?? DEFAULT_ASSOCIATION_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > DEFAULT_ASSOCIATION_PAGE_SIZE) {
    throw new TypeError(`associationPageSize must be an integer from 1 to ${DEFAULT_ASSOCIATION_PAGE_SIZE}: ${pageSize}`);
  }
  const store = new HubSpotStore(options.dataset ?? buildDataset());
  const tokens = new Set([options.token ?? SIM_CREDENTIALS.hubspotToken, ...(options.extraCredentials ?? [])]);
  const clientSecret = options.oauth?.clientSecret ?? SIM_CREDENTIALS.hubspotClientSecret;
  const oauth = new OAuthRegistry(
    {
      clientId: options.oauth?.clientId ?? SIM_CREDENTIALS.hubspotClientId,
      clientSecret,
      refreshTokens: options.oauth?.refreshTokens ?? [SIM_CREDENTIALS.hubspotRefreshToken],
      accessTokenTtlSeconds: options.oauth?.accessTokenTtlSeconds ?? 1800,
    },
    clock,
  );
  const limiter = new HubSpotRateLimiter({
    burst: options.rateLimit?.burst ?? { limit: 100, windowMs: 10_000 },
    daily: options.rateLimit?.daily ?? 250_000,
  });
  const webhooks = new HubSpotWebhooks({
    clientSecret,
    clock,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.webhookRetryDelaysMs ? { retryDelaysMs: options.webhookRetryDelaysMs } : {}),
    ...(options.webhookTimeoutMs === undefined ? {} : { timeoutMs: options.webhookTimeoutMs }),
  });

  const router = new Router().add('POST', '/oauth/v1/token', (req) => oauth.exchange(req), { public: true });
  for (const type of [CONTACTS, DEALS]) {
    const base = `/crm/v3/objects/${type.plural}`;
    router
      .add('POST', `${base}/batch/read`, batchReadObjects(store, type, clock))
      .add('GET', `${base}/:id`, getObject(store, type))
      .add('GET', base, listObjects(store, type));
  }
  for (const [from, to] of [[CONTACTS, DEALS], [DEALS, CONTACTS]] as const) {
    router
      .add('GET', `/crm/v4/objects/${from.plural}/:id/associations/${to.plural}`, getAssociations(store, from, to, pageSize))
      .add('POST', `/crm/v4/associations/${from.plural}/${to.plural}/batch/read`, batchReadAssociations(store, from, to, clock, pageSize));
  }
  // The writes Tributary makes: a contact's properties, and notes logged on contacts.
  const notes = { plural: 'notes' } as const;
  router
    .add('PATCH', '/crm/v3/objects/contacts/:id', updateObject({ store, webhooks, clock }, CONTACTS, CONTACT_SCHEMA))
    .add('POST', '/crm/v3/objects/notes', createNote(store, clock))
    .add('GET', '/crm/v3/objects/notes/:id', getNote(store))
    .add('GET', '/crm/v4/objects/contacts/:id/associations/notes', getAssociations(store, CONTACTS, notes, pageSize))
    .add('GET', '/crm/v4/objects/notes/:id/associations/contacts', getAssociations(store, notes, CONTACTS, pageSize));

  function authenticate(req: SimRequest, { faults, now }: RequestContext): Authentication {
    const token = /^Bearer\s+(.+)$/i.exec(headerValue(req, 'authorization') ?? '')?.[1]?.trim() ?? '';
    if (tokens.has(token)) return { ok: true, principal: token, budgetKey: token };
    const issued = oauth.lookup(token);
    if (!issued) return { ok: false, response: hubspotError(req, 401, 'INVALID_AUTHENTICATION', AUTH_NOT_FOUND) };
    if (faults.expireTokens || issued.expiresAt <= now) {
      const ago = Math.max(0, Math.floor((now - issued.expiresAt) / 1000));
      const message = `The OAuth token used to make this call expired ${ago} second(s) ago.`;
      return { ok: false, response: hubspotError(req, 401, 'EXPIRED_AUTHENTICATION', message) };
    }
    // Access tokens of one installation share its budget: refreshing must not buy a new one.
    return { ok: true, principal: token, budgetKey: `oauth:${issued.refreshToken}` };
  }

  const adapter: ProviderAdapter = {
    name: 'hubspot',
    router,
    contentType: 'application/json;charset=utf-8',
    authenticate,
    // Private app tokens are their own budget key; OAuth calls spend `oauth:<installation>`.
    admit: (req, key, { faults, now }) => limiter.admit(req, key, now, tokens.has(key), faults.rateLimit),
    errorResponse(req, status, message) {
      if (status === 429) {
        const body = { status: 'error', message: 'You have reached your ten second limit.', errorType: 'RATE_LIMIT', correlationId: req.requestId, policyName: 'TEN_SECONDLY_ROLLING' };
        return { status, body };
      }
      return hubspotError(req, status, categoryForStatus(status), message);
    },
    finish: (req, response) => ({
      ...response,
      headers: { 'x-hubspot-correlation-id': req.requestId, ...response.headers },
    }),
    reset() {
      oauth.reset();
      limiter.reset();
      store.reset();
    },
    webhooks: webhooks.sender,
    mutate: hubspotMutation(store, webhooks, clock),
  };
  return startSimServer(adapter, options);
}
