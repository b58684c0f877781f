/** What a subscription can listen to, and what identifies the changed thing in each. */
export type ChangeTopic = 'customer' | 'payment' | 'crmContact' | 'deal' | 'write';

/**
 * One entity changed for one tenant, announced after its cache entries were applied or dropped
 * (on every instance), so a listener that reads it through the loaders reads the new state.
 * `key`: customer → the customer service's customer id; payment → the Stripe customer id
 * (`cus_…`) with `entityId` the charge id; crmContact → the HubSpot contact id; deal → the
 * HubSpot deal id; write → a queued write's operation id (it finished or failed for good).
 */
export interface Change {
  tenantId: string;
  topic: ChangeTopic;
  key: string;
  entityId?: string;
  /** For a deletion: the entity is gone, a listener gets null or ends. */
  deleted?: boolean;
  /** When the change happened (the provider's clock, ms since the epoch). */
  occurredAt: number;
}

export type ChangeListener = (change: Change) => void;

/**
 * In-process fan-out of changes to this instance's subscribers. Other instances' changes are fed
 * in by the bus that carries invalidations (so a listener never reads a copy the same message
 * has not dropped yet); `publish` here never leaves the process.
 */
export interface ChangeHub {
  publish(change: Change): void;
  /** `key: null` listens to every key of the topic (deals are filtered by their contact). Returns the unsubscribe. */
  subscribe(tenantId: string, topic: ChangeTopic, key: string | null, listener: ChangeListener): () => void;
  /** Subscribers currently listening (metrics, tests). */
  readonly size: number;
}
