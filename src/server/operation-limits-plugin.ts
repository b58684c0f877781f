import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { Kind, visit, type DocumentNode, type FragmentDefinitionNode } from 'graphql';
import { BadUserInputError, ErrorCode, publicErrorOf } from '../errors.ts';
import { estimateCost, type OperationEstimate } from '../graphql/limits/cost-estimate.ts';
import { OperationLimitError } from '../graphql/limits/operation-limit-error.ts';
import type { OperationLimits } from '../graphql/limits/operation-limits.ts';
import { longStringIn } from '../graphql/limits/request-checks.ts';
import type { OperationContext } from './operation-context.ts';

export interface OperationLimitsPluginOptions {
  limits: OperationLimits;
  /**
   * Called once the limits pass, before execution, with the estimate (also on
   * `context.estimate`): the per-client rate limiter charges the cost here. An error it throws
   * ends the operation: a GatewayError reaches the client with its code and public extensions, and
   * HTTP 400 unless it carries a numeric `httpStatus` (429 for a rate limit, say).
   */
  onEstimate?: (context: OperationContext, estimate: OperationEstimate, http: { headers: HeaderMap }) => Promise<void> | void;
}

/**
 * What needs the variables, checked once Apollo knows the operation and before any resolver
 * runs: the length of strings in the variables, and the estimated cost
 * (src/graphql/limits/cost-estimate.ts). The document's own limits are validation rules
 * (src/graphql/limits/limit-rules.ts); the request's are Fastify hooks (request-limits.ts).
 */
export function operationLimitsPlugin({ limits, onEstimate }: OperationLimitsPluginOptions): ApolloServerPlugin<OperationContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, request, contextValue, response }) {
          if (!operation) return; // Apollo answers that itself (OPERATION_RESOLUTION_FAILURE)
          const variables = request.variables ?? {};
          const long = longStringIn(variables, limits.maxStringLength);
          if (long) {
            const argument = argumentOfVariable(document, long.variable) ?? long.variable;
            throw requestError(new BadUserInputError(`${argument} is ${long.length} characters long; arguments take at most ${limits.maxStringLength}`, argument), 400);
          }
          const fragments = new Map(
            document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [])),
          ) as ReadonlyMap<string, FragmentDefinitionNode>;
          const estimate: OperationEstimate = { ...estimateCost(schema, operation, fragments, variables), maxCost: limits.maxCost };
          contextValue.estimate = estimate;
          if (estimate.cost > limits.maxCost) {
            const error = new OperationLimitError(ErrorCode.QueryTooComplex, `The operation's estimated cost ${estimate.cost} is over the limit of ${limits.maxCost}`, { cost: estimate.cost, maxCost: limits.maxCost });
            throw requestError(error, 400);
          }
          if (!onEstimate) return;
          try {
            await onEstimate(contextValue, estimate, response.http);
          } catch (error) {
            // Already a GraphQL error with its HTTP answer (a 429 and its headers, say): as it is.
            if ((error as { extensions?: { http?: unknown } }).extensions?.http !== undefined) throw error;
            const status = (error as { httpStatus?: unknown }).httpStatus;
            throw requestError(error, typeof status === 'number' ? status : publicErrorOf(error) ? 400 : 500);
          }
        },
      };
    },
  };
}

/**
 * Apollo answers an error thrown from didResolveOperation with a 500 unless its `extensions.http`
 * names a status. Apollo wraps what it is given in its own GraphQLError (copying `extensions`), and
 * the error boundary (format-error.ts) reads the code from that wrapper's `originalError`: so the
 * status goes on the gateway error itself, not on a GraphQLError of ours (a second wrapper would
 * hide the code, and Apollo's graphql-js may be another copy than ours).
 */
export function requestError(error: unknown, status: number, headers = new HeaderMap()): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const extensions = (original as { extensions?: Record<string, unknown> }).extensions;
  return Object.assign(original, { extensions: { ...extensions, http: { status, headers } } });
}

/** The first argument whose value uses `$variable`, so the error names what the client sees in the schema. */
function argumentOfVariable(document: DocumentNode, variable: string): string | undefined {
  let found: string | undefined;
  visit(document, {
    Argument(argument) {
      if (found !== undefined) return false;
      visit(argument.value, {
        Variable(node) {
          if (node.name.value === variable) found ??= argument.name.value;
        },
      });
      return false;
    },
  });
  return found;
}
