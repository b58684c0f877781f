import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, publicErrorOf, type GatewayError } from '../errors.ts';
import { OperationLimitError, UnsupportedRequestError } from '../graphql/limits/operation-limit-error.ts';
import type { OperationLimits } from '../graphql/limits/operation-limits.ts';
import { countTokens, jsonDepth, jsonTextDepth } from '../graphql/limits/request-checks.ts';

/**
 * The limits that must hold before Apollo sees a request: a body past `maxRequestBytes` (Fastify
 * refuses it while reading; we only reshape its 413), a batch, a document too long or with too many
 * tokens (before it is parsed), and variables nested too deep (before anything recursive, even the
 * result cache's key, walks them). Pass `bodyLimit: limits.maxRequestBytes` to Fastify.
 */
export function registerRequestLimits(fastify: FastifyInstance, limits: OperationLimits, path = '/graphql'): void {
  // Callback hooks: both run on every request and need no await.
  fastify.addHook('preValidation', (request, reply, done) => {
    if (request.routeOptions.url !== path) return done();
    const error = requestLimitError(request, limits);
    if (!error) return done();
    // Answered here: the hook chain stops without `done`.
    void sendError(reply, 400, error);
  });
  // Fastify's own 413 body is `{statusCode, code: 'FST_ERR_CTP_BODY_TOO_LARGE', …}`; a GraphQL
  // client expects `errors`. An onSend hook rather than setErrorHandler leaves the error handler
  // (one per Fastify scope) free for whoever needs it.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode !== 413 || request.routeOptions.url !== path) return done(null, payload);
    const error = new OperationLimitError(ErrorCode.RequestTooLarge, `Request bodies take at most ${limits.maxRequestBytes} bytes`, { maxBytes: limits.maxRequestBytes });
    reply.type('application/json; charset=utf-8');
    done(null, JSON.stringify(bodyOf(error)));
  });
}

function requestLimitError(request: FastifyRequest, limits: OperationLimits): GatewayError | undefined {
  let query: unknown;
  let variablesDepth = 0;
  if (request.method === 'POST') {
    if (Array.isArray(request.body)) return new UnsupportedRequestError(ErrorCode.BatchingNotSupported, 'Send one operation per request; batches are not supported');
    const body = (request.body ?? {}) as Record<string, unknown>;
    query = body['query'];
    // The variables object itself is depth 1, as in the MAX_VARIABLES_DEPTH documentation.
    variablesDepth = jsonDepth(body['variables'], limits.maxRequestBytes);
  } else if (request.method === 'GET') {
    // Read as Apollo reads them (URLSearchParams), not through Fastify's parser: the two decode a
    // malformed escape differently, and a value only this hook saw undecoded would pass unmeasured.
    const params = new URL(request.url, 'http://gateway').searchParams;
    query = params.get('query') ?? undefined;
    const variables = params.get('variables');
    if (variables !== null) variablesDepth = jsonTextDepth(variables, limits.maxRequestBytes);
  }
  if (variablesDepth > limits.maxVariablesDepth) {
    return new OperationLimitError(ErrorCode.VariablesTooDeep, `Variables nest ${variablesDepth} deep; at most ${limits.maxVariablesDepth} is accepted`, { depth: variablesDepth, maxDepth: limits.maxVariablesDepth });
  }
  if (typeof query !== 'string') return undefined;
  const bytes = Buffer.byteLength(query, 'utf8');
  if (bytes > limits.maxQueryBytes) {
    return new OperationLimitError(ErrorCode.QueryTooLarge, `The document is ${bytes} bytes; at most ${limits.maxQueryBytes} are accepted`, { bytes, maxBytes: limits.maxQueryBytes });
  }
  // Every token takes at least a character: a document no longer than the limit cannot pass it,
  // and most are never lexed here. Past that, the count is exact and bounded by the check above.
  if (query.length <= limits.maxTokens) return undefined;
  const tokens = countTokens(query, limits.maxQueryBytes);
  if (tokens !== undefined && tokens > limits.maxTokens) {
    return new OperationLimitError(ErrorCode.TooManyTokens, `The document has ${tokens} tokens; at most ${limits.maxTokens} are accepted`, { tokens, maxTokens: limits.maxTokens });
  }
  return undefined;
}

function bodyOf(error: GatewayError) {
  const { message, extensions } = publicErrorOf(error)!;
  return { errors: [{ message, extensions }] };
}

function sendError(reply: FastifyReply, status: number, error: GatewayError) {
  return reply.code(status).type('application/json; charset=utf-8').send(bodyOf(error));
}
