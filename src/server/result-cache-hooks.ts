import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OperationContext } from './operation-context.ts';
import type { ResultCache } from './result-cache.ts';

/**
 * A request that missed the result cache: its ticket, and, once Apollo has decided the answer
 * may be kept, for how long and how its serialised `extensions` end the payload. Shared by
 * reference with Apollo's copies of the context.
 */
export interface ResultTicket {
  readonly ticket: string;
  keep?: { ttlMs: number; suffix: string };
}

/**
 * Wires the result cache around Apollo: a Fastify hook answers a replayable request before any
 * GraphQL work, an Apollo plugin decides whether a fresh, error-free answer may be kept, and a
 * Fastify onSend hook keeps the very string Apollo wrote: serialising a 50-customer answer a
 * second time for the cache cost 9% of the CPU of a warm page (docs/performance.md).
 * `extensions` (the upstream report) are not replayed: `renderHit` adds the current ones, since a
 * replay costs no upstream call.
 */
export function registerResultCache(
  fastify: FastifyInstance,
  cache: ResultCache,
  /** What besides the request decides its answer (the tenant, the scopes): part of the key. */
  partitionOf: (request: FastifyRequest) => string,
  /** The answer to send for a kept `{"data":…` (no closing brace): the bytes that close it. */
  closingOf: (request: FastifyRequest) => Buffer,
): (request: FastifyRequest) => ResultTicket | undefined {
  const tickets = new WeakMap<FastifyRequest, ResultTicket>();
  fastify.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.routeOptions.url !== '/graphql') return;
    const key = cache.keyOf(request.body, partitionOf(request));
    if (key === undefined) return;
    const hit = cache.get(key);
    if (hit === undefined) {
      tickets.set(request, { ticket: cache.ticket(key) });
      return;
    }
    return reply.type('application/json; charset=utf-8').send(Buffer.concat([hit, closingOf(request)]));
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const keep = tickets.get(request)?.keep;
    if (keep === undefined || typeof payload !== 'string' || reply.statusCode !== 200) return done(null, payload);
    // Encoded once, here: the bytes are both kept and sent, where a string would be encoded for
    // the socket and copied again for the cache (docs/performance.md, allocations).
    const bytes = Buffer.from(payload, 'utf8');
    const kept = dataOf(bytes, keep.suffix);
    if (kept !== undefined) cache.set(tickets.get(request)!.ticket, kept, keep.ttlMs);
    done(null, bytes);
  });
  return (request) => tickets.get(request);
}

const DATA_START = Buffer.from('{"data":');

/**
 * `{"data":…` (without its closing brace) out of the bytes of Apollo's
 * `{"data":…,"extensions":…}\n` or `{"data":…}\n` (it writes errors, data, extensions in that
 * order, and no `errors` here), or undefined when the payload is not shaped so. A view of
 * `payload`, not a copy.
 */
export function dataOf(payload: Buffer, suffix: string): Buffer | undefined {
  const end = Buffer.from(suffix, 'utf8');
  if (payload.length < DATA_START.length + end.length) return undefined;
  if (!payload.subarray(0, DATA_START.length).equals(DATA_START) || !payload.subarray(payload.length - end.length).equals(end)) return undefined;
  // Either suffix starts right after the data's own last byte: `}\n` closes the answer, `,"extensions"…` continues it.
  return payload.subarray(0, payload.length - end.length);
}

export function resultCachePlugin(cache: ResultCache): ApolloServerPlugin<OperationContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue, operation }) {
          const ticket = contextValue.resultTicket;
          if (ticket === undefined || response.body.kind !== 'single' || operation?.operation !== 'query') return;
          const { data, errors, extensions } = response.body.singleResult;
          if (errors?.length || data === undefined || data === null) return;
          const ttlMs = contextValue.call.freshness.reusableForMs(cache.now());
          if (ttlMs <= 0) return;
          // Plugins that add extensions run before this one (see create-gateway.ts): these are final.
          ticket.keep = { ttlMs, suffix: extensions === undefined ? '}\n' : `,"extensions":${JSON.stringify(extensions)}}\n` };
        },
      };
    },
  };
}
