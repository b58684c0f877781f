import type { CustomerRecord } from '../dataset/dataset.ts';
import { randomAlnum } from '../shared/random-alnum.ts';
import { WebhookSender } from '../shared/webhook-sender.ts';
import { customerEtag } from './entity-tag.ts';
import { signStandardWebhook } from './standard-webhook-signature.ts';

/**
 * A thin event: it names what changed and its new validator, not the record. A receiver
 * fetches the record when it needs it (or compares the ETag with the one it holds), so a
 * late or replayed event can never overwrite newer data.
 */
export type CustomerEvent =
  | { type: 'customer.updated'; timestamp: string; data: { id: string; etag: string; updatedAt: string } }
  | { type: 'customer.deleted'; timestamp: string; data: { id: string } };

/** Standard Webhooks' reference schedule runs from seconds to ten hours; compressed here. */
export const CUSTOMER_RETRY_DELAYS_MS = [250, 1000, 5000, 15_000];

export interface CustomerWebhooksOptions {
  secret: string;
  clock: () => number;
  sleep?: (ms: number) => Promise<unknown>;
  retryDelaysMs?: readonly number[];
  timeoutMs?: number;
}

/** The customer service's Standard Webhooks: one message per change, the same `webhook-id` on every retry. */
export class CustomerWebhooks {
  readonly sender: WebhookSender<CustomerEvent>;
  readonly #clock: () => number;

  constructor(options: CustomerWebhooksOptions) {
    checkSecret(options.secret);
    this.#clock = options.clock;
    this.sender = new WebhookSender<CustomerEvent>({
      defaultSecret: options.secret,
      defaultRetryDelaysMs: options.retryDelaysMs ?? CUSTOMER_RETRY_DELAYS_MS,
      clock: options.clock,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      render: ({ id, payload }, { secret, now }) => {
        const body = JSON.stringify(payload);
        return { body, headers: signStandardWebhook(secret, id, Math.floor(now / 1000), body) };
      },
    });
  }

  updated(record: CustomerRecord): void {
    const data = { id: record.id, etag: customerEtag(record), updatedAt: record.updatedAt };
    this.#send({ type: 'customer.updated', timestamp: this.#timestamp(), data });
  }

  deleted(id: string): void {
    this.#send({ type: 'customer.deleted', timestamp: this.#timestamp(), data: { id } });
  }

  #timestamp(): string {
    return new Date(this.#clock()).toISOString();
  }

  #send(event: CustomerEvent): void {
    this.sender.send({ id: `msg_${randomAlnum(27)}`, types: [event.type], payload: event });
  }
}

/** The spec asks for 24 to 64 random bytes; a shorter key is a configuration mistake worth naming. */
function checkSecret(secret: string): void {
  const base64 = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret)?.[1];
  if (base64 === undefined || Buffer.from(base64, 'base64').length < 24) {
    throw new TypeError('customers webhookSecret must be whsec_ followed by the base64 of at least 24 bytes');
  }
}
