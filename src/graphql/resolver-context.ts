import type { Principal } from '../auth/principal.ts';
import type { ChangeHub } from '../events/change.ts';
import type { CustomerLoaders } from '../providers/customers/index.ts';
import type { HubSpotLoaders } from '../providers/hubspot/index.ts';
import type { StripeLoaders } from '../providers/stripe/index.ts';

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
