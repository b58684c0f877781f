import { Pool } from 'undici';
import { percentiles, type Percentiles, type SignedDelivery } from './events-stripe.ts';

export interface IngestOptions {
  /** The gateway's origin, `http://127.0.0.1:<port>`. */
  origin: string;
  deliveries: readonly SignedDelivery[];
  connections: number;
  /** The load stops at this long, or when every delivery has been sent, whichever comes first. */
  durationSeconds: number;
}

export interface IngestResult {
  seconds: number;
  /** Deliveries answered, any status. */
  responses: number;
  /** 2xx answers with `"duplicates":0`: events verified and stored. */
  verified: number;
  verifiedPerSecond: number;
  /** Of every answer, from just before the request to its whole body, in ms. */
  latencyMs: Percentiles;
  /** Answers by status; anything but 200 is a failure here. */
  byStatus: Record<string, number>;
  non2xx: number;
  /** 2xx answers that called the event a duplicate: none are expected (every id is new). */
  duplicates: number;
  /** No answer (socket error, timeout). */
  network: number;
  /** Every delivery was sent before the time ran out: the pool, not the time, ended the load. */
  poolExhausted: boolean;
}

const REQUEST_TIMEOUT_MS = 10_000; // 10s

/**
 * Closed-loop load on `POST /webhooks/stripe`: `connections` senders, each posting the next
 * pre-signed delivery as soon as its previous one is answered. undici rather than autocannon: each
 * request carries its own body and signature header, and the load stops when the pool runs out.
 */
export async function ingest(options: IngestOptions): Promise<IngestResult> {
  const pool = new Pool(options.origin, { connections: options.connections, pipelining: 1, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  const latencies: number[] = [];
  const byStatus: Record<string, number> = {};
  let next = 0;
  let verified = 0;
  let duplicates = 0;
  let network = 0;
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;

  const sender = async () => {
    while (performance.now() < deadline) {
      const delivery = options.deliveries[next++];
      if (!delivery) return;
      const sent = performance.now();
      try {
        const response = await pool.request({
          path: '/webhooks/stripe',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': delivery.signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
          body: delivery.body,
        });
        const text = await response.body.text();
        latencies.push(performance.now() - sent);
        byStatus[response.statusCode] = (byStatus[response.statusCode] ?? 0) + 1;
        if (response.statusCode >= 200 && response.statusCode < 300) {
          if (text.includes('"duplicates":0')) verified += 1;
          else duplicates += 1;
        }
      } catch {
        network += 1;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.connections }, sender));
  } finally {
    await pool.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const responses = latencies.length;
  const ok = Object.entries(byStatus).reduce((sum, [status, count]) => (status.startsWith('2') ? sum + count : sum), 0);
  return {
    seconds,
    responses,
    verified,
    verifiedPerSecond: seconds > 0 ? verified / seconds : 0,
    latencyMs: percentiles(latencies),
    byStatus,
    non2xx: responses - ok,
    duplicates,
    network,
    poolExhausted: next >= options.deliveries.length,
  };
}
