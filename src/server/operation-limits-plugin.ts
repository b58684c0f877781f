import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestListener } from '@apollo/server';
import { Kind, visit, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
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
  // An operation without variables costs the same every time: its estimate is kept with the
  // operation's node, which Apollo's document cache hands back for every request of that text.
  const fixed = new WeakMap<OperationDefinitionNode, { schema: GraphQLSchema; estimate: OperationEstimate }>();
  const estimateOf = (schema: GraphQLSchema, operation: OperationDefinitionNode, document: DocumentNode, variables: Record<string, unknown>): OperationEstimate => {
    const kept = fixed.get(operation);
    if (kept?.schema === schema) return kept.estimate;
    const fragments = new Map(
      document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [])),
    ) as ReadonlyMap<string, FragmentDefinitionNode>;
    const estimate: OperationEstimate = Object.freeze({ ...estimateCost(schema, operation, fragments, variables), maxCost: limits.maxCost });
    // Validation refused any variable an operation without definitions uses, fragments included.
    if (!operation.variableDefinitions?.length) fixed.set(operation, { schema, estimate });
    return estimate;
  };
  const listener: GraphQLRequestListener<OperationContext> = {
    // Not async: a throw must still reach Apollo as a rejection, but an operation that passes
    // and is charged in place costs no promise of its own.
    didResolveOperation({ operation, document, schema, request, contextValue, response }) {
      let charged: Promise<void> | void;
      try {
        if (!operation) return DONE; // Apollo answers that itself (OPERATION_RESOLUTION_FAILURE)
        const variables = request.variables ?? {};
        const long = longStringIn(variables, limits.maxStringLength);
        if (long) {
          const argument = argumentOfVariable(document, long.variable) ?? long.variable;
          throw requestError(new BadUserInputError(`${argument} is ${long.length} characters long; arguments take at most ${limits.maxStringLength}`, argument), 400);
        }
        const estimate = estimateOf(schema, operation, document, variables);
        contextValue.estimate = estimate;
        if (estimate.cost > limits.maxCost) {
          const error = new OperationLimitError(ErrorCode.QueryTooComplex, `The operation's estimated cost ${estimate.cost} is over the limit of ${limits.maxCost}`, { cost: estimate.cost, maxCost: limits.maxCost });
          throw requestError(error, 400);
        }
        if (!onEstimate) return DONE;
        try {
          charged = onEstimate(contextValue, estimate, response.http);
        } catch (error) {
          estimateRefusal(error);
        }
      } catch (error) {
        return Promise.reject(error as Error);
      }
      return charged instanceof Promise ? charged.catch(estimateRefusal) : DONE;
    },
  };
  const started = Promise.resolve(listener);
  return { requestDidStart: () => started };
}

const DONE: Promise<void> = Promise.resolve();

/** What an error thrown before execution becomes: as it is when it already names its HTTP answer. */
function estimateRefusal(error: unknown): never {
  // Already a GraphQL error with its HTTP answer (a 429 and its headers, say): as it is.
  if ((error as { extensions?: { http?: unknown } }).extensions?.http !== undefined) throw error;
  const status = (error as { httpStatus?: unknown }).httpStatus;
  throw requestError(error, typeof status === 'number' ? status : publicErrorOf(error) ? 400 : 500);
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
