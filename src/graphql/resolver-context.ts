import type { Principal } from '../auth/principal.ts';
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
}
