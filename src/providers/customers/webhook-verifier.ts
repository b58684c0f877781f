import { createHmac } from 'node:crypto';
import type { Verification, WebhookRequest, WebhookVerifier } from '../../events/event.ts';
import { anySignatureMatches, parseWebhookJson } from '../../events/signature-match.ts';
import { customersWebhookEvent } from './webhook-wire.ts';

// What the effects code reads, exported next to the verifier so the provider's index needs one line.
export { customersEventOf, type CustomersWebhookEvent } from './webhook-wire.ts';

export interface CustomersWebhookVerifierOptions {
  /** How far `webhook-timestamp` may be from `now`, either way. */
  toleranceMs?: number;
}

const DEFAULTS = {
  toleranceMs: 5 * 60 * 1000, // 5 min, the Standard Webhooks reference libraries' tolerance
} as const;

/** `whsec_` marks a Standard Webhooks secret; the rest is the key, base64-encoded. */
const SECRET_PREFIX = 'whsec_';

/**
 * Verifies a Standard Webhooks 1.0 delivery (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * `webhook-signature` is a space-separated list of `<version>,<base64>`; each `v1` is the base64
 * HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.` and the raw body, keyed with the
 * base64-decoded secret. Any `v1` matching any secret is enough (the sender lists one signature
 * per secret while one rolls); other versions (`v1a` is asymmetric) are ignored.
 *
 * Order: signature, then clock, then body, so a sender without the secret learns nothing about
 * our clock, and `stale-timestamp` means a genuine delivery that came late (or a replay). A
 * `webhook-timestamp` that is not all digits, or a header without any `v1`, is `bad-signature`.
 */
export function createCustomersWebhookVerifier(options: CustomersWebhookVerifierOptions = {}): WebhookVerifier {
  const toleranceMs = options.toleranceMs ?? DEFAULTS.toleranceMs;
  if (!(Number.isFinite(toleranceMs) && toleranceMs > 0)) throw new TypeError(`toleranceMs must be a positive number: ${toleranceMs}`);

  return {
    provider: 'customers',
    verify(request: WebhookRequest, secrets: readonly string[], now: number): Verification {
      const id = request.headers['webhook-id'];
      const timestamp = request.headers['webhook-timestamp'];
      const header = request.headers['webhook-signature'];
      if (!id || !timestamp || !header) return { ok: false, reason: 'missing-signature' };
      if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad-signature' };
      const received = v1SignaturesOf(header);
      if (received.length === 0) return { ok: false, reason: 'bad-signature' };

      const expected = secrets
        .map(keyOf)
        .filter((key) => key.length > 0)
        .map((key) => Buffer.from(createHmac('sha256', key).update(`${id}.${timestamp}.`).update(request.rawBody).digest('base64')));
      if (!anySignatureMatches(expected, received)) return { ok: false, reason: 'bad-signature' };

      const signedAt = Number(timestamp) * 1000;
      if (Math.abs(now - signedAt) > toleranceMs) return { ok: false, reason: 'stale-timestamp' };

      const body = customersWebhookEvent.safeParse(parseWebhookJson(request.rawBody));
      if (!body.success) return { ok: false, reason: 'malformed' };
      const occurredAt = body.data.timestamp === undefined ? Number.NaN : Date.parse(body.data.timestamp);
      return {
        ok: true,
        events: [{ provider: 'customers', id, type: body.data.type, occurredAt: Number.isFinite(occurredAt) ? occurredAt : signedAt, payload: body.data }],
      };
    },
  };
}

/** The verifier with the Standard Webhooks defaults. */
export const customersWebhookVerifier: WebhookVerifier = createCustomersWebhookVerifier();

// Private: keys and header parsing.

/** A secret without the `whsec_` prefix is taken as the base64 key itself. */
function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

function v1SignaturesOf(header: string): Buffer[] {
  return header
    .split(' ')
    .filter((entry) => entry.startsWith('v1,') && entry.length > 'v1,'.length)
    .map((entry) => Buffer.from(entry.slice('v1,'.length)));
}
