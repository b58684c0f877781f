import type { SimResponse } from '../shared/sim-request.ts';

export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface StripeErrorDetails {
  code?: string;
  param?: string;
}

/**
 * `{"error":{"type","code","message","param","doc_url"}}`; `code`, `param` and `doc_url` appear
 * only when they apply, as in Stripe's own responses.
 */
export function stripeError(
  status: number,
  type: StripeErrorType,
  message: string,
  details: StripeErrorDetails = {},
): SimResponse {
  const error: Record<string, string> = { type, message };
  if (details.code) {
    error.code = details.code;
    error.doc_url = `https://stripe.com/docs/error-codes/${details.code.replaceAll('_', '-')}`;
  }
  if (details.param) error.param = details.param;
  return { status, body: { error } };
}

export function invalidRequest(message: string, details: StripeErrorDetails = {}): SimResponse {
  return stripeError(400, 'invalid_request_error', message, details);
}

/** `No such charge: 'ch_x'`: 404 for the object in the URL, 400 naming `param` for one in a parameter. */
export function resourceMissing(noun: string, id: string, param?: string): SimResponse {
  const details = param ? { code: 'resource_missing', param } : { code: 'resource_missing', param: 'id' };
  return stripeError(param ? 400 : 404, 'invalid_request_error', `No such ${noun}: '${id}'`, details);
}
