import Negotiator from 'negotiator';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { AuthOutcome, Authenticator } from '../auth/authenticator.ts';
import type { Principal } from '../auth/principal.ts';
import { ErrorCode } from '../errors.ts';

const PRINCIPAL = Symbol('tributary.principal');

type AuthenticatedRequest = FastifyRequest & { [PRINCIPAL]: Principal | null };

/** RFC 6750 §3: the scheme and realm only, so a refusal never says which part was wrong. */
const CHALLENGE = 'Bearer realm="tributary"';

export interface RequestAuth {
  /** The request's principal; only requests that passed the hook reach GraphQL, so it is there. */
  principalOf(request: FastifyRequest): Principal;
  /** The same, or undefined for a request the hook let through without one (other routes, the landing page). */
  principalIfAny(request: FastifyRequest): Principal | undefined;
  /** The principal when the request carries valid credentials, for routes that also serve anonymous callers. */
  tryAuthenticate(request: FastifyRequest): Promise<Principal | undefined>;
}

/**
 * Authenticates every request to /graphql before its body is read (an `onRequest` hook), so an
 * unauthenticated client costs a header check, not a parse. Refusals are 401 with
 * `UNAUTHENTICATED` and a `WWW-Authenticate` challenge; their reason goes to the debug log only.
 * The landing page (a browser's GET of HTML, `landingPage`: the explorer unless EXPLORER=off)
 * stays reachable: it holds no data, and the queries it sends carry the credentials the user
 * types into it.
 */
export function registerAuthentication(fastify: FastifyInstance, authenticator: Authenticator, options: { landingPage: boolean }): RequestAuth {
  // A slot on every request, declared once so that requests keep one shape: a WeakMap entry per
  // request cost the garbage collector an ephemeron to process for every request it met.
  fastify.decorateRequest(PRINCIPAL, null);
  const settle = (request: FastifyRequest, reply: FastifyReply, outcome: AuthOutcome, done: HookHandlerDoneFunction): void => {
    if ('principal' in outcome) {
      (request as AuthenticatedRequest)[PRINCIPAL] = outcome.principal;
      return done();
    }
    // Answered here: the hook chain stops without `done`.
    if ('unavailable' in outcome) {
      request.log.warn({ reason: outcome.unavailable }, 'cannot check a JWT: the JWKS endpoint is out of reach');
      void unavailable(reply);
      return;
    }
    request.log.debug({ reason: outcome.refused }, 'request refused: not authenticated');
    void refuse(reply);
  };
  // A callback hook, not an async one: an API key is checked synchronously, and an async hook
  // would cost every request a promise and a microtask turn for nothing.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url !== '/graphql' || (options.landingPage && isLandingPage(request))) return done();
    const outcome = authenticator.outcomeOf(request.headers);
    if (outcome instanceof Promise) outcome.then((settled) => settle(request, reply, settled, done), done);
    else settle(request, reply, outcome, done);
  });
  return {
    principalOf: (request) => {
      const principal = (request as AuthenticatedRequest)[PRINCIPAL];
      if (!principal) throw new Error('no principal: the authentication hook did not run for this request');
      return principal;
    },
    principalIfAny: (request) => (request as AuthenticatedRequest)[PRINCIPAL] ?? undefined,
    tryAuthenticate: async (request) => {
      const outcome = await authenticator.authenticate(request.headers);
      return 'principal' in outcome ? outcome.principal : undefined;
    },
  };
}

function refuse(reply: FastifyReply): FastifyReply {
  return reply
    .code(401)
    .header('www-authenticate', CHALLENGE)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send({ errors: [{ message: 'Authentication required: send a valid API key or token as `Authorization: Bearer …`', extensions: { code: ErrorCode.Unauthenticated } }] });
}

/** The seconds a client waits before trying again while the issuer's keys are out of reach. */
const AUTH_RETRY_AFTER_S = 5;

function unavailable(reply: FastifyReply): FastifyReply {
  return reply
    .code(503)
    .header('retry-after', String(AUTH_RETRY_AFTER_S))
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send({
      errors: [{ message: 'Credentials cannot be checked right now; retry shortly', extensions: { code: ErrorCode.AuthenticationUnavailable, retryAfter: AUTH_RETRY_AFTER_S } }],
    });
}

/** What Apollo chooses between for a GET (its `prefersHTML`): the landing page only when HTML wins. */
const GET_MEDIA_TYPES = ['application/json', 'application/graphql-response+json', 'multipart/mixed', 'text/html'];

/**
 * A browser opening the page: a GET with no parameters at all whose Accept prefers HTML, decided
 * as Apollo decides it (negotiator), so that nothing let through here reaches Apollo as anything
 * but the page (`Accept: application/json, text/html` is a JSON request, and authenticated). Any
 * parameter (`query`, but also a persisted query's `extensions` or a `documentId`) names an
 * operation, which must be authenticated.
 */
function isLandingPage(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  if (request.method !== 'GET' || !accept || request.url.includes('?')) return false;
  return new Negotiator({ headers: { accept } }).mediaType(GET_MEDIA_TYPES) === 'text/html';
}
