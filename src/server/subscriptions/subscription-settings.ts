/** How much one WebSocket connection may hold; read from the environment by src/config.ts. */
export interface SubscriptionSettings {
  /** Subscriptions one connection may hold at once; one more is refused with TOO_MANY_SUBSCRIPTIONS. */
  maxPerConnection: number;
  /** Bytes waiting to be sent on one connection past which it is closed as too slow (code 4008). */
  maxBufferedBytes: number;
  /** Between pings; a connection that has not answered the previous one is then terminated. */
  pingIntervalMs: number;
}

/**
 * - 100 subscriptions: a dashboard watches a page of customers (20 to 50) on one or two topics.
 * - 1 MiB waiting: about 2 000 payment events; a client that far behind is not keeping up and
 *   reads the current state again when it reconnects.
 * - a ping every 30 s: below the 60 s idle timeout of common load balancers (AWS ALB, nginx's
 *   proxy_read_timeout), so an idle subscription is not cut by one.
 */
export const SUBSCRIPTION_DEFAULTS: SubscriptionSettings = {
  maxPerConnection: 100,
  maxBufferedBytes: 1024 * 1024, // 1 MiB
  pingIntervalMs: 30 * 1000, // 30 s
};
