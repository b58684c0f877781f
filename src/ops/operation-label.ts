/** The operation label of a request Apollo could not run: its document did not parse or validate, or it named no operation the document has. */
export const INVALID_OPERATION = 'invalid';
/** The operation label of a validated operation without a name. */
export const ANONYMOUS_OPERATION = 'anonymous';
/** The operation label past METRICS_MAX_OPERATIONS, or of a name too long to be a label. */
export const OTHER_OPERATION = 'other';

/** A GraphQL name (spec §2.1.9) of at most 64 characters: longer ones are not worth a series or a span name. */
const LABELLED_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

/**
 * What a metric label or a span name may say about an operation. Only a name Apollo resolved in a
 * document that parsed and validated counts: the request body's `operationName` is whatever the
 * client sent (any length, any text), and labelling by it would let a client fill the label slots
 * with junk and bloat every scrape.
 */
export function operationLabel(resolved: boolean, name: string | null | undefined): string {
  if (!resolved) return INVALID_OPERATION;
  if (!name) return ANONYMOUS_OPERATION;
  return LABELLED_NAME.test(name) ? name : OTHER_OPERATION;
}

/** Labels that name no operation of a client's, so they never take one of the METRICS_MAX_OPERATIONS slots. */
export const RESERVED_OPERATION_LABELS: ReadonlySet<string> = new Set([INVALID_OPERATION, ANONYMOUS_OPERATION, OTHER_OPERATION]);
