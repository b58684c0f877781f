import type { IncomingHttpHeaders } from 'node:http';
import type { ProviderName } from '../../errors.ts';
import { parseRetryAfter } from '../retry-after.ts';

/**
 * How long every caller should hold off, from what a provider's answer says about its budget, or
 * undefined when it says nothing worth pausing for. The configured budget keeps us under the
 * documented limits; these signals correct it when the provider knows better (a smaller plan,
 * another app spending the same quota).
 */
export function pauseFromResponse(provider: ProviderName, status: number, headers: IncomingHttpHeaders): number | undefined {
  const retryAfter = parseRetryAfter(first(headers['retry-after']));
  // RFC 9110 §10.2.3 and the IETF RateLimit draft: Retry-After, when sent, takes precedence.
  if (retryAfter !== undefined && (status === 429 || status === 503)) return retryAfter * 1000;
  switch (provider) {
    case 'hubspot':
      return hubspotPause(status, headers);
    case 'stripe':
      return stripePause(status, headers);
    case 'customers':
      return ietfPause(status, headers);
  }
}

/** X-HubSpot-RateLimit-*: a spent rolling window frees a slot about every interval/max ms. */
function hubspotPause(status: number, headers: IncomingHttpHeaders): number | undefined {
  if (number(headers['x-hubspot-ratelimit-daily-remaining']) === 0) return 60_000; // re-check each minute
  const remaining = number(headers['x-hubspot-ratelimit-remaining']);
  const max = number(headers['x-hubspot-ratelimit-max']);
  const interval = number(headers['x-hubspot-ratelimit-interval-milliseconds']) ?? 10_000;
  if (remaining === 0 || status === 429) return Math.ceil(interval / Math.max(1, max ?? 100));
  return undefined;
}

/**
 * Stripe documents no Retry-After. A 429 naming a global or endpoint limit
 * (Stripe-Rate-Limited-Reason) pauses everyone for a second, Stripe's window; a 429 without one
 * is a lock conflict on one object (`lock_timeout`) and is no reason to stop other calls.
 */
function stripePause(status: number, headers: IncomingHttpHeaders): number | undefined {
  if (status !== 429) return undefined;
  const reason = first(headers['stripe-rate-limited-reason']);
  if (reason === undefined) return undefined;
  return reason.endsWith('concurrency') ? 250 : 1000;
}

/** IETF RateLimit fields (draft 11): `RateLimit: "default";r=0;t=5` → wait 5 s. */
function ietfPause(status: number, headers: IncomingHttpHeaders): number | undefined {
  const field = first(headers['ratelimit']);
  const remaining = field === undefined ? undefined : number(/;\s*r=(\d+)/.exec(field)?.[1]);
  const reset = field === undefined ? undefined : number(/;\s*t=(\d+)/.exec(field)?.[1]);
  if (remaining === 0 && reset !== undefined) return reset * 1000;
  if (status === 429) return 1000;
  return undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function number(value: string | string[] | undefined): number | undefined {
  const text = first(value);
  return text !== undefined && /^\d+$/.test(text.trim()) ? Number(text) : undefined;
}
