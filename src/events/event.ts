import type { ProviderName } from '../errors.ts';

/** A webhook request as it reached the gateway: the exact bytes, nothing parsed or re-encoded. */
export interface WebhookRequest {
  method: string;
  /** The full URI the provider posted to (scheme, host, path and query), as it signed it. */
  url: string;
  /** Lower-case header names. */
  headers: Readonly<Record<string, string | undefined>>;
  rawBody: Buffer;
}

/**
 * One provider event, verified. `id` is the provider's own event id (Stripe `evt_…`, HubSpot
 * `eventId`, Standard Webhooks `webhook-id`): the deduplication key, with tenant and provider.
 */
export interface ProviderEvent {
  provider: ProviderName;
  id: string;
  /** The provider's event type, e.g. `charge.refunded`, `contact.propertyChange`, `customer.updated`. */
  type: string;
  /** When the change happened, by the provider's clock, in milliseconds since the epoch. */
  occurredAt: number;
  /** The provider's JSON for this one event (one element of a HubSpot batch). */
  payload: unknown;
}

/** Why a delivery was refused; logged and counted, never told to the sender. */
export type RefusalReason = 'missing-signature' | 'bad-signature' | 'stale-timestamp' | 'malformed';

export type Verification = { ok: true; events: ProviderEvent[] } | { ok: false; reason: RefusalReason };

/** Checks one provider's webhook signature and splits the body into events. */
export interface WebhookVerifier {
  readonly provider: ProviderName;
  /**
   * `secrets`: every secret currently accepted (several during rotation). `now`: milliseconds
   * since the epoch, for the timestamp tolerance. Never throws on hostile input.
   */
  verify(request: WebhookRequest, secrets: readonly string[], now: number): Verification;
}

/** A verified event as the durable log keeps it. */
export interface StoredEvent extends ProviderEvent {
  tenantId: string;
  /** When the gateway received it, by its own clock (ms since the epoch). */
  receivedAt: number;
}

/** The deduplication key of an event: one per tenant, provider and provider event id. */
export function eventKey(event: Pick<StoredEvent, 'tenantId' | 'provider' | 'id'>): string {
  return `${event.tenantId}\n${event.provider}\n${event.id}`;
}
