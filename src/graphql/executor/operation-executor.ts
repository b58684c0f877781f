import type { DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { graphql } from '../graphql-runtime.ts';

/** `jit`: queries compiled by graphql-jit once repeated; `graphql-js`: graphql-js's interpreter for everything. */
export type ExecutorKind = 'jit' | 'graphql-js';

export interface OperationRequest {
  /** Parsed and validated; Apollo keeps one object per distinct document, so it identifies it. */
  document: DocumentNode;
  /** Absent when the document holds no operation of the name asked for: graphql-js says so. */
  operation: OperationDefinitionNode | undefined;
  operationName: string | null;
  variables: Record<string, unknown> | undefined;
  contextValue: unknown;
}

export type OperationExecutor = (request: OperationRequest) => Promise<ExecutionResult>;

export interface ExecutorOptions {
  kind: ExecutorKind;
  /** Executions of a document by graphql-js before it is compiled: a one-off query is not worth compiling. */
  compileAfter?: number;
}

/** One operation of one document: how often it ran, then its compiled form (or that it could not be). */
interface Slot {
  runs: number;
  compiled?: CompiledQuery | 'not-compilable';
}

/**
 * Runs an operation with graphql-js or, for a query seen often enough, with its graphql-jit
 * compilation: a warm Customer 360 page spends most of its CPU in graphql-js's per-field
 * interpretation (argument coercion, completion, a promise per object), which the compiled
 * function does without (docs/performance.md). Mutations keep graphql-js: they are rare, and
 * their serial execution and resolve info (the write's response path) stay exactly as they were.
 * A request error of a compiled query (its variables) is answered by graphql-js, word for word
 * as before; test/graphql/executor/ checks the two executors answer alike.
 */
export function createOperationExecutor(schema: GraphQLSchema, { kind, compileAfter = 1 }: ExecutorOptions): OperationExecutor {
  const interpret = (request: OperationRequest) =>
    Promise.resolve(
      graphql.execute({
        schema,
        document: request.document,
        operationName: request.operationName,
        variableValues: request.variables,
        contextValue: request.contextValue,
      }),
    );
  if (kind === 'graphql-js') return interpret;
  // Keyed by the document object: when Apollo drops a document from its store, its compiled
  // form goes with it, so this holds no more than Apollo's bounded store does.
  const slots = new WeakMap<DocumentNode, Map<string, Slot>>();
  return async (request) => {
    if (request.operation?.operation !== 'query') return interpret(request);
    let byName = slots.get(request.document);
    if (!byName) slots.set(request.document, (byName = new Map()));
    const name = request.operationName ?? '';
    let slot = byName.get(name);
    if (!slot) byName.set(name, (slot = { runs: 0 }));
    if (slot.compiled === undefined && slot.runs < compileAfter) {
      slot.runs += 1;
      return interpret(request);
    }
    if (slot.compiled === undefined) {
      const compiled = compileQuery(schema, request.document, request.operationName ?? undefined);
      slot.compiled = isCompiledQuery(compiled) ? compiled : 'not-compilable';
    }
    if (slot.compiled === 'not-compilable') return interpret(request);
    const result = await slot.compiled.query(undefined, request.contextValue, request.variables ?? {});
    // No data at all: the request itself was refused (its variables), before any resolver ran.
    if (result.errors?.length && result.data === undefined) return interpret(request);
    return result.errors?.length ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  };
}

/**
 * graphql-jit's errors only look like graphql-js's: they lack `extensions` when the thrown error
 * had none, and Apollo, reading `extensions.code`, then masks them with neither path nor code.
 * Rebuilt as graphql-js would have made them, with the same message, path, locations and cause.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const rebuilt = new graphql.GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    ...(error.extensions ? { extensions: error.extensions } : {}),
  });
  // graphql-js derives locations from AST nodes, which graphql-jit does not keep: set as found.
  if (error.locations) (rebuilt as { locations: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}
