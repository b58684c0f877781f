import { ErrorCode, GatewayError } from '../../errors.ts';

/** The codes whose error carries a measured figure and the maximum it passed. */
export type LimitCode =
  | typeof ErrorCode.RequestTooLarge
  | typeof ErrorCode.QueryTooLarge
  | typeof ErrorCode.TooManyTokens
  | typeof ErrorCode.QueryTooDeep
  | typeof ErrorCode.TooManyAliases
  | typeof ErrorCode.TooManyRootFields
  | typeof ErrorCode.TooManyDirectives
  | typeof ErrorCode.QueryTooComplex
  | typeof ErrorCode.VariablesTooDeep;

/**
 * An operation refused before execution. `figures` are public, e.g. `{ cost: 12000, maxCost: 5000 }`:
 * a client can see by how much it went over and shrink its query.
 */
export class OperationLimitError extends GatewayError {
  override readonly name = 'OperationLimitError';

  constructor(
    readonly code: LimitCode,
    message: string,
    readonly figures: Readonly<Record<string, number>>,
  ) {
    super(message);
  }

  override publicExtensions(): Record<string, unknown> {
    return { ...this.figures };
  }
}

/** A well-formed request the gateway does not serve (batches, operation types without a root). */
export class UnsupportedRequestError extends GatewayError {
  override readonly name = 'UnsupportedRequestError';

  constructor(
    readonly code: typeof ErrorCode.BatchingNotSupported | typeof ErrorCode.OperationNotSupported,
    message: string,
  ) {
    super(message);
  }
}
