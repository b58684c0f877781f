import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyRequest } from 'fastify';
import { operationLabel } from '../ops/operation-label.ts';
import type { GatewayTracing, OperationSpan } from '../ops/tracing.ts';
import type { OperationContext } from './operation-context.ts';

/** Until Apollo has resolved the operation: a document that does not parse is never named. */
const UNRESOLVED_NAME = 'graphql.operation';

/**
 * One server span per GraphQL operation Apollo runs, named `query Customer360` as OpenTelemetry's
 * GraphQL conventions name it, put on the operation's CallContext before anything executes: the
 * batches and attempts below open their spans under it. Registered only while tracing is on.
 * A replayed answer never reaches Apollo: the result cache's hook opens its span (create-gateway.ts).
 */
export function tracingPlugin(tracing: GatewayTracing): ApolloServerPlugin<OperationContext> {
  return {
    async requestDidStart({ request, contextValue }) {
      const headers = request.http?.headers;
      const span: OperationSpan = tracing.startOperation(UNRESOLVED_NAME, headers && ((name) => headers.get(name)), {
        'tributary.tenant': contextValue.principal.tenantId,
        'tributary.result_cache.replayed': false,
      });
      contextValue.call.trace = span;
      return {
        async didResolveOperation({ operation, operationName }) {
          if (!operation) return;
          const name = operationName ? operationLabel(true, operationName) : undefined;
          span.rename(name ? `${operation.operation} ${name}` : operation.operation);
          span.setAttributes({ 'graphql.operation.type': operation.operation, 'graphql.operation.name': name });
        },
        async willSendResponse({ response }) {
          // An incremental answer (@defer) is judged by its first part.
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;
          const count = errors?.length ?? 0;
          span.end({ 'tributary.errors': count }, count > 0 ? errorCode(errors![0]!.extensions?.['code']) : undefined);
        },
      };
    },
  };
}

function errorCode(code: unknown): string {
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * The span of an answer the result cache replayed, or of one given the answer of the identical
 * operation in flight (`how`: 'shared'; that operation's span has the work): no GraphQL work and
 * no upstream call of its own, so it has no children. Only queries without errors are kept; the name is the request's
 * `operationName` when it gives one (the document is not parsed for a replay), bounded like a
 * resolved one: the body is the client's text.
 */
export function traceReplay(tracing: GatewayTracing, request: FastifyRequest, tenant: string, how: 'cache' | 'shared' = 'cache'): void {
  const body = request.body as { operationName?: unknown } | undefined;
  const name = typeof body?.operationName === 'string' && body.operationName !== '' ? operationLabel(true, body.operationName) : undefined;
  const header = (key: string) => {
    const value = request.headers[key];
    return Array.isArray(value) ? value[0] : value;
  };
  tracing
    .startOperation(name ? `query ${name}` : 'query', header, {
      'graphql.operation.type': 'query',
      'graphql.operation.name': name,
      'tributary.tenant': tenant,
      'tributary.result_cache.replayed': how === 'cache',
      ...(how === 'shared' ? { 'tributary.answer.shared': true } : {}),
    })
    .end({ 'tributary.errors': 0 });
}
