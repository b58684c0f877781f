import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../errors.ts';
import type { RequestRecord } from './access-log.ts';
import type { OperationContext } from './operation-context.ts';

/**
 * GraphQL over HTTP's legacy watershed, which Apollo does not follow: an `application/json` answer
 * to a well-formed request SHOULD be 200 whatever GraphQL request error it carries (parse,
 * validation, variable coercion), because a client cannot tell a 4xx from one an intermediary
 * made (https://graphql.github.io/graphql-over-http/draft/#sec-application-json); an
 * `application/graphql-response+json` answer with no `data` SHOULD stay 4xx, 400 for those errors
 * (#sec-application-graphql-response-json). Apollo answers 400 in both.
 *
 * Apollo picks the media type after every plugin has run (runHttpQuery negotiates the Accept
 * header), so the plugin only marks a request error answered 400, and an onSend hook, which sees
 * the chosen type, makes it 200. Refusals made before Apollo runs the operation are not GraphQL
 * request errors and keep their status: CSRF prevention, a malformed body or parameters, the
 * request limits, trusted documents, 401, 413 and 429; and so do the request errors in
 * HTTP_REFUSALS below.
 *
 * Returns the plugin; register it last, after any plugin that sets the status.
 */
export function registerRequestErrorStatus(fastify: FastifyInstance, recordOf: (request: FastifyRequest) => RequestRecord, path = '/graphql'): ApolloServerPlugin<OperationContext> {
  const marked = new WeakSet<RequestRecord>();
  // A callback hook: it runs on every answer and needs no await.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode === 400 && request.routeOptions.url === path && marked.has(recordOf(request)) && String(reply.getHeader('content-type') ?? '').startsWith('application/json')) {
      void reply.code(200);
    }
    done(null, payload);
  });
  const listener: GraphQLRequestListener<OperationContext> = {
    willSendResponse({ response, contextValue }) {
      const record = contextValue.request;
      if (!record || response.http.status !== 400 || response.body.kind !== 'single') return DONE;
      const { data, errors } = response.body.singleResult;
      // No `data` at all: the operation never began to execute, which makes it a request error.
      if (data === undefined && !errors?.some((error) => HTTP_REFUSALS.has(error.extensions?.['code']))) marked.add(record);
      return DONE;
    },
  };
  const started = Promise.resolve(listener);
  return { requestDidStart: () => started };
}

/**
 * Request errors that are about the HTTP request rather than its GraphQL, and keep their 400 in
 * either media type: BAD_REQUEST is a request that is not well-formed (no `query`, a `query` that
 * is not a string), so the watershed's "well-formed request" does not cover it; a missing
 * Idempotency-Key is a missing header, which the Idempotency-Key draft answers 400
 * (draft-ietf-httpapi-idempotency-key-header §2.7).
 */
const HTTP_REFUSALS: ReadonlySet<unknown> = new Set([ApolloServerErrorCode.BAD_REQUEST, ErrorCode.IdempotencyKeyRequired]);

const DONE: Promise<void> = Promise.resolve();
