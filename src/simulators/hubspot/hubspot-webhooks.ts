import { randomInt } from 'node:crypto';
import { WebhookSender } from '../shared/webhook-sender.ts';
import { signHubSpotV3 } from './hubspot-signature.ts';
import type { PropertyChange } from './hubspot-store.ts';
import type { ObjectType } from './object-type.ts';

export type HubSpotSubscriptionType = `${ObjectType['subscriptionPrefix']}.${'propertyChange' | 'deletion'}`;

/** One element of a webhook body (https://developers.hubspot.com/docs/api/webhooks#webhook-payloads). */
export interface HubSpotWebhookEvent {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  /** Milliseconds since the epoch. */
  occurredAt: number;
  subscriptionType: HubSpotSubscriptionType;
  /** 0 on the first attempt. */
  attemptNumber: number;
  objectId: number;
  propertyName?: string;
  propertyValue?: string;
  changeSource: 'CRM';
}

type PendingEvent = Omit<HubSpotWebhookEvent, 'attemptNumber'>;

/** The simulated portal and app; HubSpot's docs use these numbers in their examples. */
export const HUBSPOT_PORTAL_ID = 62515;
export const HUBSPOT_APP_ID = 1160452;
const SUBSCRIPTION_IDS: Record<HubSpotSubscriptionType, number> = {
  'contact.propertyChange': 2001,
  'contact.deletion': 2002,
  'deal.propertyChange': 2003,
  'deal.deletion': 2004,
};
/** HubSpot sends at most 100 events per request. */
const MAX_EVENTS_PER_REQUEST = 100;
/** HubSpot retries up to 10 times over 24 hours; compressed here. */
export const HUBSPOT_RETRY_DELAYS_MS = [250, 1000, 5000, 15_000];

export interface HubSpotWebhooksOptions {
  clientSecret: string;
  clock: () => number;
  sleep?: (ms: number) => Promise<unknown>;
  retryDelaysMs?: readonly number[];
  timeoutMs?: number;
}

/** Turns CRM changes into HubSpot's batched, v3-signed webhook requests. */
export class HubSpotWebhooks {
  readonly sender: WebhookSender<PendingEvent[]>;
  readonly #clock: () => number;
  // Event ids start at a random point and never restart, not even on reset: a receiver
  // deduplicates by eventId, and a reused id after `POST /_sim/reset` would be dropped.
  #nextEventId = randomInt(1_000_000, 2 ** 40);

  constructor(options: HubSpotWebhooksOptions) {
    this.#clock = options.clock;
    this.sender = new WebhookSender<PendingEvent[]>({
      defaultSecret: options.clientSecret,
      defaultRetryDelaysMs: options.retryDelaysMs ?? HUBSPOT_RETRY_DELAYS_MS,
      clock: options.clock,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      render: ({ payload }, { url, secret, attemptNumber, now }) => {
        const body = JSON.stringify(payload.map((event) => withAttempt(event, attemptNumber)));
        const headers = { ...signHubSpotV3(secret, 'POST', url, body, now), 'user-agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExtension' };
        return { body, headers };
      },
    });
  }

  /** One `<type>.propertyChange` per changed property, all in one request (split past 100). */
  propertiesChanged(type: ObjectType, objectId: string, changes: readonly PropertyChange[]): void {
    const occurredAt = this.#clock();
    this.#send(changes.map(({ name, value }) => ({
      ...this.#event(`${type.subscriptionPrefix}.propertyChange`, objectId, occurredAt),
      propertyName: name,
      // A cleared property arrives as an empty string; HubSpot has no null in this field.
      propertyValue: value ?? '',
    })));
  }

  deleted(type: ObjectType, objectId: string): void {
    this.#send([this.#event(`${type.subscriptionPrefix}.deletion`, objectId, this.#clock())]);
  }

  #event(subscriptionType: HubSpotSubscriptionType, objectId: string, occurredAt: number): PendingEvent {
    return {
      eventId: this.#nextEventId++,
      subscriptionId: SUBSCRIPTION_IDS[subscriptionType],
      portalId: HUBSPOT_PORTAL_ID,
      appId: HUBSPOT_APP_ID,
      occurredAt,
      subscriptionType,
      objectId: Number(objectId),
      changeSource: 'CRM',
    };
  }

  #send(events: PendingEvent[]): void {
    for (let start = 0; start < events.length; start += MAX_EVENTS_PER_REQUEST) {
      const batch = events.slice(start, start + MAX_EVENTS_PER_REQUEST);
      const first = batch[0];
      if (first) this.sender.send({ id: String(first.eventId), types: batch.map((event) => event.subscriptionType), payload: batch });
    }
  }
}

/** The event as sent: `attemptNumber` where HubSpot's examples put it, after `subscriptionType`. */
function withAttempt(event: PendingEvent, attemptNumber: number): HubSpotWebhookEvent {
  const { eventId, subscriptionId, portalId, appId, occurredAt, subscriptionType, ...rest } = event;
  return { eventId, subscriptionId, portalId, appId, occurredAt, subscriptionType, attemptNumber, ...rest };
}
