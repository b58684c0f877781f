import type { DocumentNode, FragmentDefinitionNode, GraphQLError, GraphQLSchema, ValidationRule } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { BadUserInputError, ErrorCode, GatewayError } from '../../errors.ts';
import { estimateCost } from '../../graphql/limits/cost-estimate.ts';
import { OperationLimitError, UnsupportedRequestError } from '../../graphql/limits/operation-limit-error.ts';
import type { OperationLimits } from '../../graphql/limits/operation-limits.ts';
import { countTokens, jsonDepth, longStringIn } from '../../graphql/limits/request-checks.ts';
import type { TrustedDocuments } from '../trusted-documents/trusted-documents.ts';
import { graphql } from '../../graphql/graphql-runtime.ts';

const { GraphQLError: RuntimeGraphQLError, Kind, getOperationAST, getVariableValues, parse, specifiedRules, validate } = graphql;

export interface AdmissionOptions {
  schema: GraphQLSchema;
  limits: OperationLimits;
  /** The document rules HTTP runs (limitRules(…).validationRules); graphql-js's own come first. */
  validationRules: readonly ValidationRule[];
  /** The manifest, when TRUSTED_DOCUMENTS is allow or enforce. */
  trusted?: TrustedDocuments;
}

export interface AdmittedOperation {
  document: DocumentNode;
  operationName: string | undefined;
  /** As sent: graphql-js coerces them when it runs (coercing twice would break DateTime). */
  variableValues: Record<string, unknown>;
}

/**
 * One `subscribe` message checked as HTTP checks a request, in the same order and with the same
 * codes (src/server/request-limits.ts, limit-rules.ts, operation-limits-plugin.ts), before anything
 * runs: the trusted documents manifest, the document's size and tokens, the variables' depth and
 * strings, parsing, validation with the limit rules, the variables' types, and the estimated cost
 * (per event). Only subscriptions are admitted: queries and mutations belong on HTTP, where the
 * per-client rate limits, the result cache and the upstream report apply.
 */
export function admitOperation(payload: SubscribePayload, options: AdmissionOptions): AdmittedOperation | GraphQLError[] {
  const { schema, limits } = options;
  let query = payload.query;
  if (options.trusted) {
    const persisted = (payload.extensions?.['persistedQuery'] ?? {}) as { sha256Hash?: unknown };
    const hash = typeof persisted.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
    const verdict = options.trusted.judge({ query, ...(hash === undefined ? {} : { sha256Hash: hash }) });
    if (verdict.kind === 'refused') return refusal(verdict.error);
    if (verdict.kind === 'listed') query = verdict.operation.body;
  }
  const variables = payload.variables ?? {};
  const variablesDepth = jsonDepth(variables, limits.maxRequestBytes);
  if (variablesDepth > limits.maxVariablesDepth) {
    return refusal(new OperationLimitError(ErrorCode.VariablesTooDeep, `Variables nest ${variablesDepth} deep; at most ${limits.maxVariablesDepth} is accepted`, { depth: variablesDepth, maxDepth: limits.maxVariablesDepth }));
  }
  const bytes = Buffer.byteLength(query, 'utf8');
  if (bytes > limits.maxQueryBytes) {
    return refusal(new OperationLimitError(ErrorCode.QueryTooLarge, `The document is ${bytes} bytes; at most ${limits.maxQueryBytes} are accepted`, { bytes, maxBytes: limits.maxQueryBytes }));
  }
  const tokens = countTokens(query, limits.maxQueryBytes);
  if (tokens !== undefined && tokens > limits.maxTokens) {
    return refusal(new OperationLimitError(ErrorCode.TooManyTokens, `The document has ${tokens} tokens; at most ${limits.maxTokens} are accepted`, { tokens, maxTokens: limits.maxTokens }));
  }
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    if (error instanceof RuntimeGraphQLError) return [labelled(error, 'GRAPHQL_PARSE_FAILED')];
    throw error;
  }
  const invalid = validate(schema, document, [...specifiedRules, ...options.validationRules]);
  if (invalid.length > 0) return invalid.map((error) => labelled(error, 'GRAPHQL_VALIDATION_FAILED'));
  const operationName = payload.operationName ?? undefined;
  const operation = getOperationAST(document, operationName);
  if (!operation) return [labelled(new RuntimeGraphQLError('Name the operation to run: the document holds several, or none by that name'), 'OPERATION_RESOLUTION_FAILURE')];
  if (operation.operation !== 'subscription') {
    return refusal(new UnsupportedRequestError(ErrorCode.OperationNotSupported, `Only subscriptions are served over WebSocket; send a ${operation.operation} over HTTP`));
  }
  const long = longStringIn(variables, limits.maxStringLength);
  if (long) return refusal(new BadUserInputError(`${long.variable} is ${long.length} characters long; arguments take at most ${limits.maxStringLength}`, long.variable));
  // Coerced here only to refuse bad ones with BAD_USER_INPUT, as Apollo does, not INTERNAL_SERVER_ERROR.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 10 });
  if (coerced.errors) return coerced.errors.map((error) => labelled(error, ErrorCode.BadUserInput));
  const fragments = new Map(document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : []))) as ReadonlyMap<string, FragmentDefinitionNode>;
  const { cost } = estimateCost(schema, operation, fragments, variables);
  if (cost > limits.maxCost) {
    return refusal(new OperationLimitError(ErrorCode.QueryTooComplex, `The operation's estimated cost ${cost} is over the limit of ${limits.maxCost}`, { cost, maxCost: limits.maxCost }));
  }
  return { document, operationName, variableValues: variables };
}

/** A gateway error as graphql-ws sends errors; the error boundary reads its code from `originalError`. */
export function refusal(error: GatewayError): GraphQLError[] {
  return [new RuntimeGraphQLError(error.message, { originalError: error })];
}

/**
 * graphql-js's own request errors carry no code; Apollo labels them, and the error boundary
 * passes those labels (anything unlabelled it masks as INTERNAL_SERVER_ERROR). A limit rule's
 * error keeps its original, whose own code the boundary prefers.
 */
function labelled(error: GraphQLError, code: string): GraphQLError {
  return new RuntimeGraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    ...(error.originalError ? { originalError: error.originalError } : {}),
    extensions: { ...error.extensions, code },
  });
}
