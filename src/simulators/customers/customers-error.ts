import type { SimResponse } from '../shared/sim-request.ts';

/** The codes docs/providers/customers.md allows in `{"error":{"code","message"}}`. */
export type CustomersErrorCode =
  | 'unauthorized'
  | 'not_found'
  | 'invalid_request'
  | 'precondition_failed'
  | 'email_taken'
  | 'rate_limited'
  | 'internal'
  | 'unavailable';

/** `extra` adds documented fields beside code and message (`currentVersion` on a 412). */
export function customersError(status: number, code: CustomersErrorCode, message: string, extra: Record<string, unknown> = {}): SimResponse {
  return { status, body: { error: { code, message, ...extra } } };
}

/** The documented code closest to a status, for injected faults and unknown routes. */
export function codeForStatus(status: number): CustomersErrorCode {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  if (status >= 500) return 'internal';
  return 'invalid_request';
}
