import type { SimRequest, SimResponse } from '../shared/sim-request.ts';

/** `{status:"error", message, correlationId, category, …}`, HubSpot's error body. */
export function hubspotError(
  req: Pick<SimRequest, 'requestId'>,
  status: number,
  category: string,
  message: string,
  extra: Record<string, unknown> = {},
): SimResponse {
  return { status, body: { status: 'error', message, correlationId: req.requestId, category, ...extra } };
}

/** The category HubSpot uses for a status, for injected faults and unknown routes. */
export function categoryForStatus(status: number): string {
  if (status === 401) return 'INVALID_AUTHENTICATION';
  if (status === 403) return 'MISSING_SCOPES';
  if (status === 404) return 'OBJECT_NOT_FOUND';
  if (status === 429) return 'RATE_LIMITS';
  if (status === 503) return 'SERVICE_UNAVAILABLE';
  if (status >= 500) return 'INTERNAL_ERROR';
  return 'VALIDATION_ERROR';
}
