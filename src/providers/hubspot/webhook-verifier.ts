import { createHmac } from 'node:crypto';
import { anySignatureMatches, parseWebhookJson } from '../../events/signature-match.ts';
import type { ProviderEvent, Verification, WebhookRequest, WebhookVerifier } from '../../events/event.ts';
import { hubspotWebhookBatch, type HubSpotWebhookEvent } from './webhook-wire.ts';

// What the effects code reads, exported next to the verifier so the provider's index needs one line.
export { hubspotEventOf, type HubSpotWebhookEvent } from './webhook-wire.ts';

export interface HubSpotWebhookVerifierOptions {
  /** How far `X-HubSpot-Request-Timestamp` may be from `now`, either way. */
  toleranceMs?: number;
}

const DEFAULTS = {
  toleranceMs: 5 * 60 * 1000, // 5 min, HubSpot's "reject the request if the timestamp is older than 5 minutes"
} as const;

/**
 * Verifies `X-HubSpot-Signature-v3` (https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests):
 * base64 HMAC-SHA256 keyed with the app's client secret over method + URI + raw body + the
 * `X-HubSpot-Request-Timestamp` value (ms). Several secrets may be given (rotation); any may match.
 *
 * Order: signature, then clock, then body, so a sender without the secret learns nothing about
 * our clock, and `stale-timestamp` means a genuine delivery that came late (or a replay). A
 * timestamp that is not all digits is `bad-signature`. The body is a batch: each element becomes
 * one event, and a batch with any invalid element (or none, or more than 100) is `malformed` as a
 * whole, since HubSpot retries a delivery, not an element.
 */
export function createHubSpotWebhookVerifier(options: HubSpotWebhookVerifierOptions = {}): WebhookVerifier {
  const toleranceMs = options.toleranceMs ?? DEFAULTS.toleranceMs;
  if (!(Number.isFinite(toleranceMs) && toleranceMs > 0)) throw new TypeError(`toleranceMs must be a positive number: ${toleranceMs}`);

  return {
    provider: 'hubspot',
    verify(request: WebhookRequest, secrets: readonly string[], now: number): Verification {
      const signature = request.headers['x-hubspot-signature-v3'];
      const timestamp = request.headers['x-hubspot-request-timestamp'];
      if (!signature || !timestamp) return { ok: false, reason: 'missing-signature' };
      if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'bad-signature' };

      const signed = `${request.method}${hubspotSignedUri(request.url)}`;
      const expected = secrets
        .filter((secret) => secret.length > 0)
        .map((secret) => Buffer.from(createHmac('sha256', secret).update(signed).update(request.rawBody).update(timestamp).digest('base64')));
      if (!anySignatureMatches(expected, [Buffer.from(signature)])) return { ok: false, reason: 'bad-signature' };

      if (Math.abs(now - Number(timestamp)) > toleranceMs) return { ok: false, reason: 'stale-timestamp' };

      const batch = hubspotWebhookBatch.safeParse(parseWebhookJson(request.rawBody));
      if (!batch.success) return { ok: false, reason: 'malformed' };
      const events = batch.data.map(
        (event): ProviderEvent => ({
          provider: 'hubspot',
          id: hubspotEventId(event),
          type: event.subscriptionType,
          occurredAt: event.occurredAt,
          payload: event,
        }),
      );
      return { ok: true, events };
    },
  };
}

/**
 * HubSpot documents `eventId` as not guaranteed unique: two changes of one batch may share it.
 * What one notification is, and what its redeliveries repeat unchanged, is the whole tuple.
 */
function hubspotEventId(event: HubSpotWebhookEvent): string {
  const object = event.objectId ?? `${event.fromObjectId}>${event.toObjectId}`;
  return [event.eventId, event.subscriptionId, event.subscriptionType, object, event.propertyName ?? '', event.occurredAt].join(':');
}

/** The verifier with HubSpot's defaults. */
export const hubspotWebhookVerifier: WebhookVerifier = createHubSpotWebhookVerifier();

// Private: the signed URI.

/**
 * The URI as HubSpot signs it: its docs have the receiver decode exactly these percent-encoded
 * characters before hashing (and no others: `%20`, `%26`, `%3D` stay encoded). Hex case is
 * matched loosely because `%3a` and `%3A` are the same octet (RFC 3986 §2.1).
 */
function hubspotSignedUri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
