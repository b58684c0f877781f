import type { SimRequest } from '../shared/sim-request.ts';

/** `req_` plus 14 characters, stable for one request so replays can name the original. */
export function stripeRequestId(req: SimRequest): string {
  return `req_${req.requestId.replaceAll('-', '').slice(0, 14)}`;
}
