import { createHmac } from 'node:crypto';
import type { Verification, WebhookRequest, WebhookVerifier } from '../../events/event.ts';
import { anySignatureMatches, parseWebhookJson } from '../../events/signature-match.ts';
import { stripeEvent } from './webhook-wire.ts';

// What the effects code reads, exported next to the verifier so the provider's index needs one line.
export { chargeOf, stripeEventOf, type StripeEvent } from './webhook-wire.ts';

export interface StripeWebhookVerifierOptions {
  /** How far the signed timestamp may be from `now`, either way. */
  toleranceMs?: number;
}

const DEFAULTS = {
  toleranceMs: 300 * 1000, // 300 s, the default of Stripe's SDKs (DEFAULT_TOLERANCE)
} as const;

/**
 * Verifies `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>…]` (https://docs.stripe.com/webhooks#verify-manually):
 * v1 = hex HMAC-SHA256 keyed with the `whsec_…` string as it is, over `${t}.` and the raw body.
 * Accepted when any v1 matches any secret (Stripe signs with both while a secret rolls); `v0`
 * and unknown schemes are ignored.
 *
 * Order: signature, then clock, then body. A sender without the secret learns nothing about our
 * clock or tolerance, and `stale-timestamp` then means a genuine delivery that came late (or a
 * replay), which is worth telling apart from a forgery in the logs. A header that is present but
 * carries no usable `t` or `v1` is `bad-signature`: something claimed to sign and did not.
 */
export function createStripeWebhookVerifier(options: StripeWebhookVerifierOptions = {}): WebhookVerifier {
  const toleranceMs = options.toleranceMs ?? DEFAULTS.toleranceMs;
  if (!(Number.isFinite(toleranceMs) && toleranceMs > 0)) throw new TypeError(`toleranceMs must be a positive number: ${toleranceMs}`);

  return {
    provider: 'stripe',
    verify(request: WebhookRequest, secrets: readonly string[], now: number): Verification {
      const header = request.headers['stripe-signature'];
      if (!header) return { ok: false, reason: 'missing-signature' };
      const signature = parseSignatureHeader(header);
      if (!signature) return { ok: false, reason: 'bad-signature' };

      const expected = secrets
        .filter((secret) => secret.length > 0)
        .map((secret) => Buffer.from(createHmac('sha256', secret).update(`${signature.timestamp}.`).update(request.rawBody).digest('hex')));
      if (!anySignatureMatches(expected, signature.v1.map((value) => Buffer.from(value)))) return { ok: false, reason: 'bad-signature' };

      if (Math.abs(now - Number(signature.timestamp) * 1000) > toleranceMs) return { ok: false, reason: 'stale-timestamp' };

      const event = stripeEvent.safeParse(parseWebhookJson(request.rawBody));
      if (!event.success) return { ok: false, reason: 'malformed' };
      return {
        ok: true,
        events: [{ provider: 'stripe', id: event.data.id, type: event.data.type, occurredAt: event.data.created * 1000, payload: event.data }],
      };
    },
  };
}

/** The verifier with Stripe's defaults. */
export const stripeWebhookVerifier: WebhookVerifier = createStripeWebhookVerifier();

// Private: header parsing.

/**
 * `t` exactly once, all digits (at most 12: seconds, and exact as a number of milliseconds), and at
 * least one `v1`; anything else is no signature at all.
 */
function parseSignatureHeader(header: string): { timestamp: string; v1: string[] } | undefined {
  let timestamp: string | undefined;
  let timestamps = 0;
  const v1: string[] = [];
  for (const item of header.split(',')) {
    const separator = item.indexOf('=');
    if (separator < 0) continue;
    const scheme = item.slice(0, separator).trim();
    const value = item.slice(separator + 1).trim();
    if (scheme === 't') {
      timestamp = value;
      timestamps += 1;
    } else if (scheme === 'v1' && value.length > 0) {
      v1.push(value);
    }
  }
  if (timestamps !== 1 || timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || v1.length === 0) return undefined;
  return { timestamp, v1 };
}
