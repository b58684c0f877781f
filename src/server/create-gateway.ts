import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../config.ts';
import type { ProviderName } from '../errors.ts';
import { RESOURCES, type ResourceName } from '../upstream/cache/cache-policy.ts';
import { ApiKeyRegistry } from '../auth/api-key-registry.ts';
import { Authenticator } from '../auth/authenticator.ts';
import { JwtVerifier } from '../auth/jwt-verifier.ts';
import { SCOPES, type Principal } from '../auth/principal.ts';
import { guardScopes } from '../graphql/scope-guard.ts';
import { registerAuthentication, type RequestAuth } from './auth-hook.ts';
import { createOperationContext, type OperationContext } from './operation-context.ts';
import { resolvers } from '../graphql/resolvers/index.ts';
import { loadTypeDefs } from '../graphql/type-defs.ts';
import { createOperationExecutor } from '../graphql/executor/operation-executor.ts';
import { executorGateway } from '../graphql/executor/executor-gateway.ts';
import { createFormatError } from './format-error.ts';
import { createUpstreamStack, type TenantEndpoints, type TenantStack, type UpstreamStack } from './upstream-stack.ts';
import { UpstreamReport } from '../upstream/upstream-report.ts';
import { createInvalidationBus } from './invalidation-bus.ts';
import type { Invalidation } from '../upstream/cache/entity-cache.ts';
import { ResultCache } from './result-cache.ts';
import { AnswersInFlight } from './answers-in-flight.ts';
import { registerResultCache, resultCachePlugin, type ResultTicket } from './result-cache-hooks.ts';
import { AnswerRefresher } from './result-cache-refresh.ts';
import type { RefreshOutcome } from '../ops/operation-metrics.ts';
import { ownBytes } from './own-bytes.ts';
import { stringifyResult, upstreamReportJSON, upstreamReportPlugin } from './upstream-report-plugin.ts';
import { httpServerOptions, registerHttpHygiene } from './http-hygiene.ts';
import { registerCompression } from './compression.ts';
import { registerTrustedDocuments } from './trusted-documents/trusted-documents-hook.ts';
import { createPersistedQueries } from './persisted-queries/persisted-queries.ts';
import { createClientRateLimiter } from './rate-limit/create-client-rate-limiter.ts';
import { rateLimitedError, registerRequestRateLimit } from './rate-limit/request-rate-limit.ts';
import { operationCostCharger } from './rate-limit/operation-cost-charge.ts';
import { limitRules } from '../graphql/limits/limit-rules.ts';
import { operationLimitsPlugin, type OperationLimitsPluginOptions } from './operation-limits-plugin.ts';
import { registerRequestLimits } from './request-limits.ts';
import { registerRequestErrorStatus } from './request-error-status.ts';
import { createChangeHub } from '../events/change-hub.ts';
import type { ChangeHub } from '../events/change.ts';
import type { EventCounters } from '../events/event-counters.ts';
import type { EventLog } from '../events/event-log.ts';
import { WEBHOOK_PROVIDERS } from '../providers/registry.ts';
import { fanOut, type Telemetry } from '../telemetry.ts';
import type { GatewayTracing, SpanExporter } from '../ops/tracing.ts';
import { traceReplay, tracingPlugin } from './tracing-plugin.ts';
import { registerWebhookRoutes } from './webhooks/webhook-routes.ts';
import { registerDeadLetterRoutes } from './events/dead-letter-routes.ts';
import { announcer, createEventPipeline } from './events/event-pipeline.ts';
import { idempotencyPlugin } from './writes/idempotency-plugin.ts';
import { createWritePipeline } from './writes/write-pipeline.ts';
import { createWriteSupport } from './writes/write-support.ts';
import { attachSubscriptions } from './subscriptions/subscription-server.ts';
import { registerAccessLog } from './access-log.ts';
import { requestIdOf } from './request-id.ts';
import { requestLogPlugin } from './request-log-plugin.ts';
import { ResolverErrorLog } from './format-error.ts';
import { logTelemetry } from '../ops/log-telemetry.ts';
import { PersonalDataRedactor } from '../ops/personal-data-redactor.ts';
import { createMetrics, type Metrics } from '../ops/metrics.ts';
import { listenOn } from './listen-error.ts';
import { listenForMetrics, metricsUnexposed, registerMetricsRoute } from './metrics-route.ts';
import { operationMetricsPlugin, resultLookupRecorder } from './operation-metrics-plugin.ts';
import { registerOpsRoutes } from './ops-routes.ts';
import { createLandingPage } from './explorer/landing-page.ts';


/** The end of a replayed answer that carries no upstream report. */
const CLOSE_ANSWER = ownBytes(Buffer.from('}\n'));
/** Closings kept per combination of breaker states, one per distinct estimate. */
const MAX_REPLAY_CLOSINGS = 1000;
export interface Gateway {
  /** e.g. http://127.0.0.1:4000/graphql */
  readonly url: string;
  readonly log: FastifyBaseLogger;
  /**
   * Drops one cached entity of one tenant (default: the first), for writes and (later) webhooks:
   * e.g. `('stripe', 'stripe.charges', 'cus_…')` after a refund. Resources are listed in
   * src/upstream/cache/cache-policy.ts.
   */
  invalidate(provider: ProviderName, resource: ResourceName, id: string, tenantId?: string): Promise<void>;
  /** Empties the entity cache (this gateway's key prefix only). */
  flushCache(): Promise<void>;
  /** Resolves once the kept answers being built again ahead of their expiry are (result-cache-refresh.ts). */
  answersRefreshed(): Promise<void>;
  /** Queries running now that identical ones may wait on, and the requests waiting (answers-in-flight.ts). */
  sharedAnswers(): { running: number; waiting: number };
  /** The durable event log behind the webhook receivers, what they counted, and this instance's subscribers. */
  readonly events: { log: EventLog; counters: EventCounters; changes: ChangeHub };
  /** Deferred writes waiting for their provider (allowDeferred), and their dead letters. */
  readonly writes: { queue: EventLog };
  /**
   * /readyz answers 503 from now on, while everything else is still served: what a signal does
   * first, so that load balancers stop sending before the listener closes. close() calls it too.
   */
  beginShutdown(): void;
  /** This gateway's series and their registry (src/ops/metrics.ts); absent with METRICS=off. */
  readonly metrics: Metrics | undefined;
  /** Where GET /metrics is served: beside /graphql, or on METRICS_PORT; absent with METRICS=off. */
  readonly metricsUrl: string | undefined;
  close(): Promise<void>;
}

export interface GatewayOptions {
  config: GatewayConfig;
  /** Each tenant's provider accounts; the first is the default one. */
  tenants: TenantEndpoints[];
  /**
   * Milliseconds since the epoch, for everything whose behaviour depends on time (breakers, the
   * entity cache's freshness and invalidation windows); tests pass a clock they drive.
   */
  now?: () => number;
  /** Where logs go; standard output by default. Tests pass a stream to read them. */
  logStream?: NodeJS.WritableStream;
  /** Called with each operation's estimated cost before it runs (see operation-limits-plugin.ts). */
  onEstimate?: OperationLimitsPluginOptions['onEstimate'];
  /** One more telemetry sink besides the gateway's own (tests record what the layers emit). */
  telemetry?: Telemetry;
  /**
   * Traces go here, each span as it ends, whatever OTEL_* says (tests: an InMemorySpanExporter);
   * otherwise to the configured OTLP endpoint, batched, or nowhere (src/ops/tracing.ts).
   */
  spanExporter?: SpanExporter;
}

/**
 * Fastify serves /healthz and /readyz and hosts Apollo Server at /graphql. The request path:
 * Apollo → resolvers → per-request DataLoaders → provider client → entity cache → UpstreamClient
 * (its stages in upstream-client.ts) → provider.
 */
export async function createGateway({ config, tenants, logStream, now, onEstimate, telemetry: extraSink, spanExporter }: GatewayOptions): Promise<Gateway> {
  if (tenants.length === 0) throw new TypeError('createGateway needs at least one tenant');
  const fastify = Fastify({
    bodyLimit: config.limits.maxRequestBytes,
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
      ...(logStream ? { stream: logStream } : {}),
    },
    // Fastify's two lines per request are off: access-log.ts writes one (ACCESS_LOG), with more in it.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdOf,
    ...httpServerOptions(config.http),
  });
  const metrics = config.metrics.enabled ? createMetrics({ maxOperations: config.metrics.maxOperations }) : undefined;
  // Every sink the layers below report to (src/telemetry.ts): the ops implementations join here.
  const redactor = new PersonalDataRedactor(config.logs.redactFields);
  const telemetry = fanOut([logTelemetry(fastify.log, redactor), ...(metrics ? [metrics.telemetry] : []), ...(extraSink ? [extraSink] : [])]);
  const stack = await createUpstreamStack(config, tenants, fastify.log, now, telemetry);
  // What serve() has started by the time it fails (the event log's reader, the WebSocket server).
  const started: Array<() => Promise<void>> = [];
  // OpenTelemetry's SDK and exporter are loaded only when traces go somewhere: imported, they
  // hold ~3 MiB of RSS (2.5 MiB of it live heap) whether or not a span is ever made.
  const tracing = spanExporter || config.tracing.tracesUrl ? (await import('../ops/tracing.ts')).GatewayTracing.start({ ...config.tracing, ...(spanExporter ? { exporter: spanExporter } : {}) }) : undefined;
  if (tracing) started.push(() => tracing.shutdown());
  try {
    return await serve(fastify, stack, config, tenants, createAuthenticator(config, tenants, now), now, onEstimate, started, new ResolverErrorLog(fastify.log, redactor), tracing, metrics);
  } catch (error) {
    for (const close of started.reverse()) await close().catch(() => undefined);
    await fastify.close();
    await stack.close();
    throw error;
  }
}

/**
 * API keys and JWTs as configured; with neither (the embedded default, refused in production by
 * config.ts), every request acts as the one tenant with every scope.
 */
function createAuthenticator(config: GatewayConfig, tenants: TenantEndpoints[], now: (() => number) | undefined): Authenticator {
  const { apiKeys, jwt } = config.clientAuth;
  if (!apiKeys && !jwt) {
    const anonymous: Principal = { kind: 'anonymous', clientId: 'anonymous', tenantId: tenants[0]!.id, scopes: new Set(SCOPES) };
    return new Authenticator({ anonymous });
  }
  return new Authenticator({
    ...(apiKeys ? { apiKeys: new ApiKeyRegistry(apiKeys) } : {}),
    ...(jwt ? { jwt: new JwtVerifier(jwt, new Set(tenants.map((tenant) => tenant.id)), now) } : {}),
  });
}

async function serve(
  fastify: FastifyInstance,
  stack: UpstreamStack,
  config: GatewayConfig,
  tenants: readonly TenantEndpoints[],
  authenticator: Authenticator,
  now: (() => number) | undefined,
  onEstimate: GatewayOptions['onEstimate'],
  started: Array<() => Promise<void>>,
  errorLog: ResolverErrorLog,
  tracing: GatewayTracing | undefined,
  metrics: Metrics | undefined,
): Promise<Gateway> {
  let ready = false;
  let shuttingDown = false;
  // Answers sent once shutdown began close their connection: a client's keep-alive socket would
  // otherwise hold the drain (fastify.close) until the drain plugin cuts it, 10 s later.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (shuttingDown) void reply.header('connection', 'close');
    done(null, payload);
  });
  // Before every other hook: a refusal by any of them still carries the request id.
  const accessLog = registerAccessLog(fastify, { enabled: config.logs.accessLog, principalOf: (request) => auth.principalIfAny(request) });
  // EXPLORER: what a browser's GET of /graphql gets, and the page's CSP, which the hygiene hook sends.
  const landingPage = createLandingPage({ mode: config.explorer, credentialsRequired: config.clientAuth.apiKeys !== undefined || config.clientAuth.jwt !== undefined });
  // First: CORS preflights carry no credentials, so they are answered before authentication.
  await registerHttpHygiene(fastify, config.http, landingPage.contentSecurityPolicy);
  // Before any route: the plugin adds its hook to each route as it is declared.
  await registerCompression(fastify, config.compression);
  // Before every other hook: nothing reads a request's body or answers it from a cache before
  // knowing who is asking.
  const auth = registerAuthentication(fastify, authenticator, { landingPage: landingPage.public });
  // Before the result cache's hook: nothing may walk a request's variables before their depth is checked.
  registerRequestLimits(fastify, config.limits);
  const limits = limitRules(config.limits, config.production);
  const tenantOf = (principal: Principal): TenantStack => {
    const tenant = stack.tenants.get(principal.tenantId);
    if (!tenant) throw new Error(`no tenant ${principal.tenantId}`);
    return tenant;
  };
  const defaultTenant = stack.tenants.values().next().value as TenantStack;
  // A preValidation hook: it runs before the result cache's preHandler, so nothing is replayed to an untrusted request.
  const trusted = config.trustedDocuments;
  if (trusted.mode !== 'off') registerTrustedDocuments(fastify, { mode: trusted.mode, operations: trusted.operations, log: fastify.log });
  const persisted = createPersistedQueries(config, stack.redis, fastify.log);
  // Replaying answers is only right while they are built from cached, fresh entities.
  // Answers the plugin would compress are kept compressed too: replays in gzip then cost no compression.
  const gzipFromBytes = config.compression.enabled ? config.compression.thresholdBytes : undefined;
  const results = config.cache.enabled && config.cache.resultMaxBytes > 0 ? new ResultCache({ maxBytes: config.cache.resultMaxBytes, gzipFromBytes, ...(now ? { now } : {}) }) : undefined;
  // Right after authentication (an onRequest hook): a replayed answer is still a request.
  const limiter = createClientRateLimiter({ config, redis: stack.redis, now });
  // Undefined for the landing page, which authentication lets through without a principal.
  registerRequestRateLimit(fastify, limiter, (request) => auth.principalIfAny(request));
  const chargeCost = operationCostCharger(limiter);
  const zeroReport = (tenant: TenantStack) => (config.upstreamReport ? upstreamReportJSON(new UpstreamReport(), tenant.breakers()) : undefined);
  // Answers are kept per tenant and per set of scopes: the same query means other data for
  // another tenant, and other nulls for a principal with other scopes.
  const partitions = new WeakMap<Principal, string>(); // an API key's principal is one object for all its requests
  const partitionOf = (request: FastifyRequest) => {
    const principal = auth.principalOf(request);
    let partition = partitions.get(principal);
    if (partition === undefined) partitions.set(principal, (partition = `${principal.tenantId}\n${[...principal.scopes].sort().join(' ')}`));
    return partition;
  };
  // Per shared zero report (one per combination of breaker states) and estimate: made once.
  const replayClosings = new WeakMap<object, Map<string | undefined, Buffer>>();
  const inFlight = config.cache.shareIdenticalOperations ? new AnswersInFlight((error) => fastify.log.error({ err: error }, 'a request waiting for a shared answer could not be answered')) : undefined;
  // Data changed (any invalidation, this instance's writes and events included): no kept answer
  // is replayed, and no request waits on an operation begun before.
  const clearAnswers = () => {
    results?.clear();
    inFlight?.clear();
  };
  const resultTicketOf =
    results || inFlight
      ? registerResultCache(fastify, {
          cache: results,
          inFlight,
          // Every operation has answered by its deadline; a leader silent well past it never will.
          abandonedLeaderMs: config.resilience.operationDeadlineMs + 1000,
          partitionOf,
          persistedDocumentOf: persisted.heldDocumentOf,
          closingOf: (request, estimate) => {
            const report = zeroReport(tenantOf(auth.principalOf(request)));
            if (report === undefined) return CLOSE_ANSWER;
            let closings = replayClosings.get(report);
            if (!closings) replayClosings.set(report, (closings = new Map()));
            let closing = closings.get(estimate);
            if (!closing) {
              if (closings.size >= MAX_REPLAY_CLOSINGS) closings.clear(); // estimates vary with variables
              const upstream = estimate === undefined ? JSON.stringify(report) : `${JSON.stringify(report).slice(0, -1)},"estimate":${estimate}}`;
              // Ended as Apollo ends an answer it runs (stringifyResult), so that a replay reads the same.
              closings.set(estimate, (closing = ownBytes(Buffer.from(`,"extensions":{"upstream":${upstream}}}\n`))));
            }
            return closing;
          },
          onReused: (request, how) => {
            accessLog.recordOf(request).reused = how;
            if (tracing) traceReplay(tracing, request, auth.principalOf(request).tenantId, how);
            if (how === 'shared') metrics?.operations.sharedAnswer();
          },
          ...(metrics ? { onLookup: resultLookupRecorder(metrics.operations) } : {}),
          refresher: { remember: (ticket, document) => refresher?.remember(ticket, document), due: (request, key, answer) => refresher?.due(key, answer, auth.principalOf(request)) },
        })
      : () => undefined;
  // Made once the executor is (below): what builds kept answers again before they expire.
  let refresher: AnswerRefresher | undefined;
  // Entities first, answers after: an answer begun before the clear is then never kept (its
  // ticket is older), and one begun after it reads entities that are already gone.
  const changes = createChangeHub({ onListenerError: (error, change) => fastify.log.error({ err: error, topic: change.topic }, 'a subscription listener failed') });
  const invalidations = await createInvalidationBus(
    stack.redis,
    `${config.cache.keyPrefix}:v1:invalidations`,
    (what, changed) => {
      // invalidateLocally drops the in-process copies before its first await, so a read that
      // comes after this call (the local-first reads `onListening` allows, among them) finds
      // them gone.
      void stack.cache
        .invalidateLocally(what)
        .catch((error: unknown) => fastify.log.warn({ err: error }, 'applying another instance\'s invalidation failed'))
        .finally(() => {
          clearAnswers();
          // Only now: a subscriber reads through a cache that no longer holds the old copy.
          for (const change of changed) changes.publish(change);
        });
    },
    (listening) => stack.readLocalFirst(listening),
  );
  const invalidate = async (what: Invalidation) => {
    await stack.cache.invalidate(what);
    clearAnswers();
    await invalidations.announce(what);
  };

  const events = createEventPipeline({
    config: config.events,
    redis: stack.redis,
    keyPrefix: `${config.cache.keyPrefix}:events`,
    tenants: stack.tenants,
    deadlineMs: config.resilience.operationDeadlineMs,
    hub: changes,
    clearResults: clearAnswers,
    broadcast: (keys, changed) => invalidations.announceOrFail({ keys }, changed),
    logger: fastify.log,
    ...(now ? { now } : {}),
  });
  started.push(() => events.close());
  await registerWebhookRoutes(fastify, {
    verifiers: WEBHOOK_PROVIDERS.map((provider) => provider.verifier),
    tenants: tenants.map((tenant) => ({ id: tenant.id, webhookSecrets: tenant.webhookSecrets ?? {} })),
    log: events.log,
    maxBytes: config.events.webhookMaxBytes,
    ...(config.events.publicUrl ? { publicUrl: config.events.publicUrl } : {}),
    now: now ?? Date.now,
    counters: events.counters,
    logger: fastify.log,
  });
  registerDeadLetterRoutes(fastify, events.log.deadLetters, (request) => auth.tryAuthenticate(request));

  const writes = createWritePipeline({
    config: config.writes,
    claimIdleMs: config.events.claimIdleMs,
    redis: stack.redis,
    keyPrefix: config.cache.keyPrefix,
    tenants: stack.tenants,
    deadlineMs: config.resilience.operationDeadlineMs,
    announce: announcer({ clearResults: clearAnswers, broadcast: (keys, changed) => invalidations.announceOrFail({ keys }, changed), hub: changes }),
    logger: fastify.log,
    ...(now ? { now } : {}),
  });
  started.push(() => writes.close());
  if (config.production && !stack.redis) {
    fastify.log.warn('no REDIS_URL: mutations\' Idempotency-Keys and queued writes (allowDeferred) are kept in this process only; they are not shared with other instances and are lost on restart');
  }
  registerDeadLetterRoutes(fastify, writes.queue.deadLetters, (request) => auth.tryAuthenticate(request), '/admin/writes/dead-letters');
  const contextOf = (principal: Principal, resultTicket?: ResultTicket, request?: FastifyRequest, refreshAhead = false) => {
    const { services } = tenantOf(principal);
    return createOperationContext({
      services,
      principal,
      // A request that waited on an identical operation it could not share runs in what is left.
      deadlineMs: Math.max(0, Math.floor(config.resilience.operationDeadlineMs - (resultTicket?.waitedMs ?? 0))),
      resultTicket,
      refreshAhead,
      ...(request ? { request: { id: request.id, record: accessLog.recordOf(request) } } : {}),
      writes: (context) => createWriteSupport(writes.service, context, services),
    });
  };

  // 200 for GraphQL request errors answered in application/json (GraphQL over HTTP's watershed).
  const requestErrorStatus = registerRequestErrorStatus(fastify, (request) => accessLog.recordOf(request));
  const typeDefs = loadTypeDefs();
  const schema = makeExecutableSchema({ typeDefs, resolvers: guardScopes(typeDefs, resolvers) });
  const executor = createOperationExecutor(schema, { kind: config.executor });
  if (results) {
    refresher = new AnswerRefresher({
      cache: results,
      executor,
      contextFor: (principal) => contextOf(principal, undefined, undefined, true),
      onError: (error) => fastify.log.warn({ err: error }, 'refreshing a kept answer failed; it is replayed until it expires'),
      ...(metrics ? { onOutcome: (outcome: RefreshOutcome) => metrics.operations.resultCacheRefresh(outcome) } : {}),
    });
  }
  const apollo = new ApolloServer<OperationContext>({
    gateway: executorGateway(schema, executor),
    introspection: !config.production,
    includeStacktraceInErrorResponses: false,
    persistedQueries: persisted.option,
    // main.ts owns the signals: it closes the gateway, then the simulators, then exits.
    stopOnTerminationSignals: false,
    // Logged by requestLogPlugin, with each request's own logger.
    formatError: createFormatError(),
    stringifyResult,
    validationRules: limits.validationRules,
    plugins: [
      requestLogPlugin(errorLog),
      ...persisted.plugins,
      ...limits.plugins,
      idempotencyPlugin({
        store: writes.idempotency,
        needingKeys: writes.service.needingKeys,
        ttlMs: config.writes.idempotencyTtlMs,
        // A claim outlives its request (which ends by its deadline) with room to spare, and a
        // crashed instance's claim lapses soon after.
        leaseMs: 2 * config.resilience.operationDeadlineMs + 10_000,
        onStoreError: (error) => fastify.log.warn({ err: error }, 'an idempotency key could not be completed; a repeat is refused as in progress until its lease lapses'),
      }),
      operationLimitsPlugin({
        limits: config.limits,
        onEstimate: async (context, estimate, http) => {
          await onEstimate?.(context, estimate, http);
          await chargeCost(context, estimate, http);
        },
      }),
      fastifyApolloDrainPlugin(fastify),
      // Freshness comes from the entity cache, not from @cacheControl hints; without this Apollo
      // instruments every field of every answer to compute hints nobody reads.
      ApolloServerPluginCacheControlDisabled(),
      landingPage.plugin,
      ...(config.upstreamReport ? [upstreamReportPlugin((context) => tenantOf(context.principal).breakers())] : []),
      ...(results || inFlight ? [resultCachePlugin(now ?? Date.now)] : []),
      // Off, it is not registered at all: an untraced operation pays nothing for it.
      ...(tracing ? [tracingPlugin(tracing)] : []),
      // After the result cache's plugin: it tells the answer to keep which operation's replays to count.
      ...(metrics ? [operationMetricsPlugin(metrics.operations)] : []),
      // Last: it reads the status every other plugin has set.
      requestErrorStatus,
    ],
  });
  await apollo.start();

  fastify.get('/healthz', async () => ({ status: 'ok' }));
  // The status is public (load balancers); what is behind it only for principals with `ops:read`.
  fastify.get('/readyz', async (request, reply) => {
    if (!ready) return reply.code(503).send({ status: 'unavailable' });
    const principal = await auth.tryAuthenticate(request);
    if (!principal?.scopes.has('ops:read')) return { status: 'ready' };
    return {
      status: 'ready',
      mode: config.mode,
      cache: config.cache.enabled ? stack.cache.storeKind : 'off',
      ...(stack.redis ? { redis: stack.redis.available ? 'up' : 'down' } : {}),
      // A provider whose circuit is open does not make the gateway unready: it still answers.
      // Its own tenant's only: another tenant's ids and provider health are not its business.
      tenants: Object.fromEntries([...stack.tenants].filter(([id]) => id === principal.tenantId).map(([id, tenant]) => [id, { breakers: tenant.breakers() }])),
      // Counters cover every tenant (no ids in them); the backlog and dead letters are the log's.
      events: {
        log: events.log.kind,
        backlog: await events.log.backlog().catch(() => null),
        deadLetters: await events.log.deadLetters.count().catch(() => null),
        subscribers: changes.size,
        webhooks: events.counters.snapshot(),
      },
      writes: {
        queue: writes.queue.kind,
        backlog: await writes.queue.backlog().catch(() => null),
        deadLetters: await writes.queue.deadLetters.count().catch(() => null),
      },
    };
  });
  // The live ops page (/ops) reads the registry /metrics serves; with METRICS=off it has nothing to show.
  // Client auth configured or production: /metrics and the ops data are for operators (docs/operations.md).
  const opsProtected = config.production || config.clientAuth.apiKeys !== undefined || config.clientAuth.jwt !== undefined;
  if (metrics) await registerOpsRoutes(fastify, { registry: metrics.registry, protected: opsProtected, operatorToken: config.metrics.token, authenticate: (request) => auth.tryAuthenticate(request), log: fastify.log, ...(now ? { now } : {}) });
  await landingPage.registerRoutes(fastify);
  await fastify.register(fastifyApollo(apollo), {
    context: async (request) => contextOf(auth.principalOf(request), resultTicketOf(request), request),
  });

  // --- Subscriptions: graphql-ws on the same /graphql, over WebSocket (src/server/subscriptions/) ---
  const subscriptions = attachSubscriptions({
    server: fastify.server,
    config,
    typeDefs,
    authenticator,
    contextFor: (principal) => contextOf(principal),
    changes,
    log: fastify.log,
    errorLog,
    ...(now ? { now } : {}),
    admit: async (principal) => {
      const decision = await limiter.consume(principal, { requests: 1, cost: 0 });
      return decision.allowed ? undefined : rateLimitedError(decision);
    },
  });
  started.push(() => subscriptions.close());
  // --- end of subscriptions ---

  const metricsRoute = metrics && { registry: metrics.registry, config: config.metrics, protected: opsProtected };
  if (metricsRoute && config.metrics.port === undefined) registerMetricsRoute(fastify, metricsRoute);
  if (metricsUnexposed(config.metrics, opsProtected)) fastify.log.warn('metrics are not exposed: /metrics answers 403 until METRICS_TOKEN or METRICS_PORT is set');
  metrics?.watch({
    tenants: () => [...stack.tenants].map(([id, tenant]) => [id, tenant.gauges()]),
    events: events.log,
    writes: writes.queue,
    webhookTotals: () => events.counters.webhookTotals(),
  });

  const address = await listenOn({ host: config.host, port: config.port, hostVariable: 'HOST', portVariable: 'PORT' }, () => fastify.listen({ port: config.port, host: config.host }));
  const metricsPort = config.metrics.port;
  const metricsServer =
    metricsRoute && metricsPort !== undefined
      ? await listenOn({ host: config.metrics.host, port: metricsPort, hostVariable: 'METRICS_HOST', portVariable: 'METRICS_PORT' }, () =>
          listenForMetrics({ ...metricsRoute, host: config.metrics.host, port: metricsPort, log: fastify.log, serverOptions: httpServerOptions(config.http), accessLog: config.logs.accessLog }),
        )
      : undefined;
  if (metricsServer) started.push(() => metricsServer.close());
  ready = true;
  function beginShutdown(): void {
    ready = false;
    shuttingDown = true;
  }
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  const url = wildcard ? `http://localhost:${new URL(address).port}/graphql` : new URL('/graphql', address).toString();
  return {
    url,
    log: fastify.log,
    invalidate: async (provider, resource, id, tenantId) => {
      if (RESOURCES[resource].provider !== provider) throw new TypeError(`${resource} is not a ${provider} resource`);
      const tenant = tenantId === undefined ? defaultTenant : stack.tenants.get(tenantId);
      if (!tenant) throw new TypeError(`no tenant ${tenantId}`);
      await invalidate({ keys: [tenant.services[provider].cache.keyOf(resource, id)] });
    },
    flushCache: () => invalidate({ all: true }),
    answersRefreshed: () => refresher?.settled() ?? Promise.resolve(),
    sharedAnswers: () => ({ running: inFlight?.size ?? 0, waiting: inFlight?.waiting ?? 0 }),
    events: { log: events.log, counters: events.counters, changes },
    writes: { queue: writes.queue },
    beginShutdown,
    metrics,
    metricsUrl: metricsServer?.url ?? (metrics ? new URL('/metrics', url).toString() : undefined),
    close: async () => {
      beginShutdown();
      if (config.shutdownGraceMs > 0) {
        fastify.log.info({ graceMs: config.shutdownGraceMs }, 'shutting down: /readyz answers 503 while requests are still served');
        await new Promise((resolve) => setTimeout(resolve, config.shutdownGraceMs));
      }
      await metricsServer?.close();
      await subscriptions.close(); // first: open WebSockets would keep the HTTP server from closing
      await apollo.stop(); // drains and closes fastify (fastifyApolloDrainPlugin)
      await refresher?.settled(); // refreshes under way still read through the providers' clients
      await events.close(); // before Redis: in-flight handlers still write to it
      await writes.close(); // the same: a queued write being sent finishes first
      await stack.close();
      // Last: the spans of everything above are ended by now, and are sent before the process goes.
      await tracing?.shutdown().catch((error: unknown) => fastify.log.warn({ err: error }, 'sending the last trace spans failed'));
    },
  };
}
