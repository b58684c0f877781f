import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderName } from '../../errors.ts';
import type { EventCounters } from '../../events/event-counters.ts';
import type { EventLog } from '../../events/event-log.ts';
import type { ProviderEvent, RefusalReason, StoredEvent, WebhookRequest, WebhookVerifier } from '../../events/event.ts';

/** The signing secrets one tenant accepts, per provider (several during a rotation). */
export interface WebhookTenant {
  id: string;
  webhookSecrets: Partial<Record<ProviderName, readonly string[]>>;
}

export interface WebhookRoutesOptions {
  verifiers: readonly WebhookVerifier[];
  tenants: readonly WebhookTenant[];
  log: EventLog;
  /** Largest body accepted; a larger one is refused with 413 before it is read whole. */
  maxBytes: number;
  /**
   * The gateway's address as providers post to it (`https://gw.example.com`), for signatures
   * over the full URI (HubSpot v3); default: scheme and Host of the request itself.
   */
  publicUrl?: string;
  now: () => number;
  counters: EventCounters;
  logger: FastifyBaseLogger;
}

/** What a refused delivery hears: the same for every reason, so it teaches a forger nothing. */
const REFUSED = { error: 'invalid webhook signature' };

/**
 * `POST /webhooks/<provider>` and `POST /webhooks/<provider>/<tenant>`. The exact bytes are
 * verified (no JSON parser runs before), then every event is appended to the durable log, and
 * only then is the delivery acknowledged: if the log cannot take it the answer is 503 and the
 * provider delivers again later. Without a tenant in the path the signing secret says whose it
 * is: each tenant's secrets for the provider are tried in turn.
 */
export async function registerWebhookRoutes(fastify: FastifyInstance, options: WebhookRoutesOptions): Promise<void> {
  const verifiers = new Map(options.verifiers.map((verifier) => [verifier.provider, verifier]));
  const enabled = (provider: ProviderName) => options.tenants.some((tenant) => (tenant.webhookSecrets[provider]?.length ?? 0) > 0);
  await fastify.register(async (scope) => {
    // The raw bytes, whatever the content type says: signatures are over them, not over a parse.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.maxBytes }, (_request, body, done) => done(null, body));
    const handler = async (request: FastifyRequest<{ Params: { provider: string; tenant?: string } }>, reply: FastifyReply) => {
      const provider = request.params.provider as ProviderName;
      const verifier = verifiers.get(provider);
      if (!verifier || !enabled(provider)) return reply.code(404).send({ error: 'no such webhook endpoint' });
      const candidates = request.params.tenant === undefined ? options.tenants : options.tenants.filter((tenant) => tenant.id === request.params.tenant);
      const webhook = webhookRequest(request, options.publicUrl);
      const now = options.now();
      let refusal: RefusalReason | 'unknown-tenant' = 'unknown-tenant';
      for (const tenant of candidates) {
        const secrets = tenant.webhookSecrets[provider] ?? [];
        if (secrets.length === 0) continue;
        const verification = verifier.verify(webhook, secrets, now);
        if (verification.ok) return accept(reply, options, tenant.id, provider, verification.events, now);
        // A body that is signed but unreadable is the sender's bug, not a forgery: say so.
        if (verification.reason === 'malformed') {
          options.counters.refused(provider, 'malformed');
          return reply.code(400).send({ error: 'malformed webhook body' });
        }
        refusal = verification.reason;
      }
      options.counters.refused(provider, refusal);
      options.logger.warn({ provider, reason: refusal }, 'webhook refused');
      return reply.code(401).send(REFUSED);
    };
    scope.post('/webhooks/:provider', handler);
    scope.post('/webhooks/:provider/:tenant', handler);
  });
}

async function accept(reply: FastifyReply, options: WebhookRoutesOptions, tenantId: string, provider: ProviderName, events: readonly ProviderEvent[], now: number) {
  options.counters.received(provider, events.length);
  const stored: StoredEvent[] = events.map((event) => ({ ...event, tenantId, receivedAt: now }));
  try {
    const outcomes = await options.log.append(stored);
    const duplicates = outcomes.filter((outcome) => outcome === 'duplicate').length;
    options.counters.stored(provider, outcomes.length - duplicates, duplicates);
    return reply.code(200).send({ received: events.length, duplicates });
  } catch (error) {
    // Never acknowledge what is not stored: the provider retries a 5xx.
    options.counters.unavailable(provider);
    options.logger.error({ err: error, provider }, 'webhook events could not be stored; answered 503 for the provider to retry');
    return reply.code(503).header('retry-after', '5').send({ error: 'events cannot be stored right now; retry later' });
  }
}

function webhookRequest(request: FastifyRequest, publicUrl: string | undefined): WebhookRequest {
  const base = publicUrl ?? `${request.protocol}://${request.headers.host ?? 'localhost'}`;
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return {
    method: request.method,
    url: `${base.replace(/\/$/, '')}${request.url}`,
    headers,
    rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
  };
}
