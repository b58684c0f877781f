import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { FastifyBaseLogger } from 'fastify';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import { WebSocket, WebSocketServer } from 'ws';
import type { Authenticator } from '../../auth/authenticator.ts';
import type { Principal } from '../../auth/principal.ts';
import type { GatewayConfig } from '../../config.ts';
import type { ChangeHub } from '../../events/change.ts';
import { limitRules } from '../../graphql/limits/limit-rules.ts';
import type { ResolverContext } from '../../graphql/resolver-context.ts';
import { resolvers } from '../../graphql/resolvers/index.ts';
import { guardScopes } from '../../graphql/scope-guard.ts';
import { CredentialsExpiredError, type GatewayError } from '../../errors.ts';
import { createFormatError, type ResolverErrorLog } from '../format-error.ts';
import { TrustedDocuments } from '../trusted-documents/trusted-documents.ts';
import { credentialHeadersOf } from './connection-credentials.ts';
import { subscribeFreshPerEvent } from './fresh-per-event.ts';
import { KeepAlive, type IntervalTimers } from './keep-alive.ts';
import { admitOperation, refusal } from './operation-admission.ts';
import { SUBSCRIBER_TOO_SLOW, sendUnlessTooSlow } from './slow-subscriber-guard.ts';
import { TooManySubscriptionsError } from './too-many-subscriptions-error.ts';

export interface SubscriptionServerOptions {
  /** The HTTP server whose upgrade requests to `path` become WebSocket connections. */
  server: HttpServer;
  /** Limits, subscription settings, trusted documents, production. */
  config: GatewayConfig;
  /** The schema's text (loadTypeDefs()); the resolvers are the HTTP ones, scopes guarded the same way. */
  typeDefs: string;
  /** The one HTTP uses: a connection is whoever its credentials say, anonymous where no auth is configured. */
  authenticator: Authenticator;
  /** A new context for one operation of the principal: its tenant's loaders and a new deadline. */
  contextFor(principal: Principal): ResolverContext;
  changes: ChangeHub;
  log: FastifyBaseLogger;
  /** Where resolver errors are logged (format-error.ts). */
  errorLog: ResolverErrorLog;
  /** Default `/graphql`: the same URL as queries, as graphql-ws clients expect. */
  path?: string;
  /** For the keep-alive pings; tests pass fake ones. */
  timers?: IntervalTimers;
  /** The gateway's clock (ms since the epoch), against which credentials expire. */
  now?: () => number;
  /**
   * Spends the principal's request budget (the HTTP rate limits): called for every subscribe, so
   * a client cannot go round its limits by subscribing in a loop. An error refuses it.
   */
  admit?: (principal: Principal) => Promise<GatewayError | undefined>;
}

export interface SubscriptionServer {
  /** Open WebSocket connections. */
  readonly connections: number;
  /** Refuses new connections, closes the open ones (1001 Going away) and waits for them to end. */
  close(): Promise<void>;
}

/** What graphql-ws keeps per connection for our hooks. */
interface ConnectionExtra {
  readonly request: IncomingMessage;
  /** Set once connection_init authenticated it. */
  principal: Principal | undefined;
  close(code: number, reason: string): void;
}

/** A closing client gets this long to answer our close frame before its socket is cut. */
const CLOSE_GRACE_MS = 1000; // 1 s
/** RFC 6455 §7.4.1 (IANA registry): the server cannot check credentials now; try again later. */
const TRY_AGAIN_LATER = 1013;

/**
 * GraphQL subscriptions over WebSocket (graphql-ws's `graphql-transport-ws` protocol) on the
 * Fastify server's `/graphql`. graphql-ws's protocol engine (`makeServer`) is driven by a few
 * lines of our own rather than its `useServer` adapter, which awaits each frame's flush (a slow
 * reader then piles events up in memory, out of sight of any bound instead of in the socket's
 * buffer, where the slow-subscriber guard sees it), pings on timers tests cannot drive, and
 * reports errors with console.error instead of the gateway's log.
 *
 * No CORS or origin check applies: browsers send no credentials of their own on a WebSocket
 * here (no cookies are read), so a foreign page can only use credentials it already has.
 */
export function attachSubscriptions(options: SubscriptionServerOptions): SubscriptionServer {
  const { config, log, changes } = options;
  const path = options.path ?? '/graphql';
  const settings = config.subscriptions;
  const schema = makeExecutableSchema({ typeDefs: options.typeDefs, resolvers: guardScopes(options.typeDefs, resolvers) });
  const admission = {
    schema,
    limits: config.limits,
    validationRules: limitRules(config.limits, config.production).validationRules,
    ...(config.trustedDocuments.mode === 'off' ? {} : { trusted: new TrustedDocuments(config.trustedDocuments.mode, config.trustedDocuments.operations) }),
  };
  const formatError = createFormatError(options.errorLog);
  const format = (error: GraphQLError): GraphQLFormattedError => formatError(error.toJSON(), error);
  const now = options.now ?? Date.now;
  const expired = (principal: Principal) => principal.expiresAt !== undefined && now() >= principal.expiresAt;
  // Checked at every subscribe and before every event is read: a connection outliving its JWT
  // gets nothing more, and is closed with 4401 so its client reconnects with a new token.
  const liveContext = (principal: Principal, close: ConnectionExtra['close']): ResolverContext =>
    Object.assign(options.contextFor(principal), {
      live: {
        changes,
        fresh: () => {
          if (expired(principal)) {
            close(CloseCode.Unauthorized, 'Credentials expired');
            throw new CredentialsExpiredError();
          }
          return liveContext(principal, close);
        },
      },
    });

  const protocol = makeServer<Record<string, unknown>, ConnectionExtra>({
    schema,
    onConnect: async (ctx) => {
      const credentials = credentialHeadersOf(ctx.connectionParams, ctx.extra.request.headers);
      const outcome = 'refused' in credentials ? credentials : await options.authenticator.authenticate(credentials.headers);
      if ('principal' in outcome) {
        ctx.extra.principal = outcome.principal;
        return true;
      }
      if ('unavailable' in outcome) {
        log.warn({ reason: outcome.unavailable }, 'cannot check a JWT: the JWKS endpoint is out of reach');
        ctx.extra.close(TRY_AGAIN_LATER, 'Credentials cannot be checked right now');
        return false;
      }
      log.debug({ reason: outcome.refused }, 'WebSocket connection refused: not authenticated');
      ctx.extra.close(CloseCode.Unauthorized, 'Unauthorized');
      return false;
    },
    onSubscribe: async (ctx, _id, payload) => {
      const principal = ctx.extra.principal;
      // graphql-ws closes an unacknowledged connection's subscribe with 4401 before this hook.
      if (!principal) throw new Error('a subscribe before authentication');
      if (expired(principal)) {
        ctx.extra.close(CloseCode.Unauthorized, 'Credentials expired');
        return refusal(new CredentialsExpiredError());
      }
      // The reservation for this message is already counted.
      if (Object.keys(ctx.subscriptions).length > settings.maxPerConnection) return refusal(new TooManySubscriptionsError(settings.maxPerConnection));
      const refused = await options.admit?.(principal);
      if (refused) return refusal(refused);
      const admitted = admitOperation(payload, admission);
      if (Array.isArray(admitted)) return admitted;
      return { schema, ...admitted, contextValue: liveContext(principal, ctx.extra.close) };
    },
    subscribe: subscribeFreshPerEvent,
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: result.errors.map(format) } : undefined),
    onError: (_ctx, _id, _payload, errors) => errors.map(format),
  });

  const keepAlive = new KeepAlive(settings.pingIntervalMs, options.timers);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.limits.maxRequestBytes,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  const sockets = new Set<WebSocket>();
  let closing = false;

  const connected = (socket: WebSocket, request: IncomingMessage) => {
    sockets.add(socket);
    const unwatch = keepAlive.watch(socket);
    // graphql-ws's cleanup (completing every subscription, so their listeners leave the hub) runs
    // once: as soon as we close a socket ourselves, or when the client closes it.
    let cleanup: ((code?: number, reason?: string) => Promise<void>) | undefined;
    let ended: [number, string] | undefined;
    const end = (code: number, reason: string) => {
      if (ended) return;
      ended = [code, reason];
      unwatch();
      void cleanup?.(code, reason);
    };
    const close = (code: number, reason: string) => {
      socket.close(code, reason);
      end(code, reason);
    };
    cleanup = protocol.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          if (sendUnlessTooSlow(socket, data, settings.maxBufferedBytes, (error) => log.debug({ err: error }, 'a WebSocket send failed')) !== 'too-slow') return;
          log.warn({ bufferedBytes: socket.bufferedAmount, maxBufferedBytes: settings.maxBufferedBytes }, 'closing a WebSocket connection: its client does not read fast enough');
          close(SUBSCRIBER_TOO_SLOW.code, SUBSCRIBER_TOO_SLOW.reason);
        },
        close,
        onMessage: (handle) =>
          socket.on('message', (data: Buffer) => {
            handle(data.toString('utf8')).catch((error: unknown) => {
              log.error({ err: error }, 'a WebSocket message failed');
              close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { request, principal: undefined, close },
    );
    // The protocol check in opened() may already have closed it.
    if (ended) void cleanup(...ended);
    socket.on('error', (error) => log.debug({ err: error }, 'WebSocket error'));
    socket.once('close', (code: number, reason: Buffer) => {
      sockets.delete(socket);
      end(code, reason.toString('utf8'));
    });
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(request.url ?? '/', 'http://gateway').pathname;
    if (closing || pathname !== path) {
      socket.end(`HTTP/1.1 ${closing ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => connected(ws, request));
  };
  options.server.on('upgrade', onUpgrade);

  return {
    get connections() {
      return sockets.size;
    },
    close: async () => {
      closing = true;
      options.server.off('upgrade', onUpgrade);
      keepAlive.close();
      await Promise.all([...sockets].map((socket) => goAway(socket)));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** Closes with 1001 Going Away, and cuts the socket if the client does not answer in time. */
function goAway(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    const cut = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
    socket.once('close', () => {
      clearTimeout(cut);
      resolve();
    });
    socket.close(1001, 'Going away');
  });
}
