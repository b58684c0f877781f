import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Principal } from '../../auth/principal.ts';
import { publicErrorOf, RateLimitedError } from '../../errors.ts';
import type { ClientRateLimiter, RateLimitDecision } from './client-rate-limiter.ts';

/**
 * Spends one request of the caller's budgets on every request to /graphql, before any GraphQL
 * work and before the result cache (a replayed answer is still a request), and answers a refusal
 * itself: HTTP 429 with Retry-After, the RateLimit fields, and a GraphQL-shaped body carrying
 * RATE_LIMITED. Register it before the result cache's hook and after the hook that
 * authenticates, whose principal `principalOf` reads; a request without one (the explorer's
 * landing page, which authentication lets through and which holds no data) spends nothing.
 */
export function registerRequestRateLimit(fastify: FastifyInstance, limiter: ClientRateLimiter, principalOf: (request: FastifyRequest) => Principal | undefined): void {
  const settle = (reply: FastifyReply, decision: RateLimitDecision, done: HookHandlerDoneFunction): void => {
    void reply.headers(decision.headers);
    if (decision.allowed) return done();
    const error = rateLimitedError(decision);
    // Answered here: the hook chain stops without `done`.
    void reply
      .code(429)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify({ errors: [{ message: error.message, extensions: publicErrorOf(error)?.extensions }] }));
  };
  // onRequest, right after authentication: a client past its budget costs no body parse, and
  // requests the later checks refuse (size, tokens, untrusted documents) still spend a unit. A
  // callback hook: the in-process store answers in place, so most requests need no promise.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url !== '/graphql' || request.method === 'OPTIONS' || request.method === 'HEAD') return done();
    const principal = principalOf(request);
    if (!principal) return done();
    let decision: RateLimitDecision | Promise<RateLimitDecision>;
    try {
      decision = limiter.consumeNow(principal, ONE_REQUEST);
    } catch (error) {
      return done(error as Error);
    }
    if (decision instanceof Promise) decision.then((settled) => settle(reply, settled, done), done);
    else settle(reply, decision, done);
  });
}

const ONE_REQUEST = { requests: 1, cost: 0 };

/** The error a refusal becomes, for both the request hook and the operation cost charge. */
export function rateLimitedError(decision: RateLimitDecision): RateLimitedError {
  const whose = decision.refusedBy?.startsWith('tenant') ? 'this tenant' : 'this client';
  const what = decision.refusedBy?.endsWith('cost') ? 'operation cost' : 'request';
  return new RateLimitedError(`The ${what} budget of ${whose} is spent; retry in ${decision.retryAfterSeconds} s`, decision.retryAfterSeconds, decision.headers);
}
