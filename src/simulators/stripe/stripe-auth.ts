import type { Authentication } from '../shared/provider-adapter.ts';
import { headerValue, type SimRequest } from '../shared/sim-request.ts';
import { stripeError } from './stripe-error.ts';

/**
 * Stripe takes the secret key as a Bearer token or as the Basic user name (`curl -u sk_…:`).
 * Both failures are 401 `invalid_request_error`, which is what the SDKs map to
 * StripeAuthenticationError.
 */
export function authenticateStripe(req: SimRequest, keys: ReadonlySet<string>): Authentication {
  const key = apiKeyOf(headerValue(req, 'authorization') ?? '');
  if (key !== undefined && keys.has(key)) return { ok: true, principal: key, budgetKey: key };
  const message =
    key === undefined || key === ''
      ? "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
      : `Invalid API Key provided: ${mask(key)}`;
  const response = stripeError(401, 'invalid_request_error', message);
  return { ok: false, response: { ...response, headers: { 'www-authenticate': 'Basic realm="Stripe"' } } };
}

function apiKeyOf(authorization: string): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization)?.[1];
  if (bearer !== undefined) return bearer.trim();
  const basic = /^Basic\s+(.+)$/i.exec(authorization)?.[1];
  if (basic === undefined) return undefined;
  return Buffer.from(basic.trim(), 'base64').toString('utf8').split(':')[0];
}

/** Never echo a key back whole, even a wrong one: keep the prefix and the last four characters. */
function mask(key: string): string {
  const prefix = /^(sk|rk|pk)_(test|live)_/.exec(key)?.[0] ?? '';
  const tail = key.length - prefix.length > 4 ? key.slice(-4) : '';
  return `${prefix}${'*'.repeat(Math.max(4, key.length - prefix.length - tail.length))}${tail}`;
}
