import type { Principal } from '../auth/principal.ts';
import type { ChangeHub } from '../events/change.ts';
import type { CustomerLoaders } from '../providers/customers/index.ts';
import type { HubSpotLoaders } from '../providers/hubspot/index.ts';
import type { StripeLoaders } from '../providers/stripe/index.ts';
import type { WriteEnv } from '../providers/write-env.ts';
import type { WriteOperationModel, WritePayloadModel } from '../model/writes.ts';
import type { WriteDefinition } from '../writes/write-definition.ts';

/**
 * What a resolver may read, made fresh for each GraphQL operation by src/server/. Only the
 * providers' loaders: resolvers reach data through them, never through the upstream pipeline, so
 * the operation's cost report and deadline stay with the server, which builds and reads them.
 */
export interface ResolverContext {
  /** Who is asking; resolvers of scoped fields are checked against its scopes before they run. */
  readonly principal: Principal;
  readonly customers: CustomerLoaders;
  readonly stripe: StripeLoaders;
  readonly hubspot: HubSpotLoaders;
  /** Mutations' writes and queued writes' status (src/server/writes/). */
  readonly writes: WriteSupport;
  /** Set for operations over WebSocket only (src/server/subscriptions/): what subscriptions need. */
  readonly live?: LiveSupport;
}

/**
 * A subscription outlives the operation that started it: its loaders memoize (a second event
 * would read the first one's object) and its deadline passes. So each event is read with a
 * context from `fresh()`: the same principal and tenant, new loaders, a new deadline.
 */
export interface LiveSupport {
  /** This instance's changes; subscribe with the principal's tenant. */
  readonly changes: ChangeHub;
  fresh(): ResolverContext;
}

/** What the mutation resolvers write through: the principal's tenant, the request's idempotency key. */
export interface WriteSupport {
  /**
   * Runs `definition` now, or queues it (QUEUED) when its provider is unavailable and
   * `allowDeferred`; `path` is the field's response path, which keeps two mutations of one
   * request apart at the provider.
   */
  run<I, P extends WritePayloadModel>(definition: WriteDefinition<WriteEnv, I, P>, input: I, options: { path: string; allowDeferred: boolean }): Promise<P>;
  /** A queued write of the principal's tenant; undefined when unknown or expired. */
  status(id: string): Promise<WriteOperationModel | undefined>;
}
