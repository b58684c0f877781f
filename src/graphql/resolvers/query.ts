import { BadUserInputError, ForbiddenError } from '../../errors.ts';
import { writeScopeOf } from '../write-scope.ts';
import type { QueryResolvers } from '../../generated/graphql.ts';
import { checkFirst, decodeCursor, toConnection } from '../../model/connection.ts';
import { expectGlobalId } from '../../model/global-id.ts';
import type { NodeModel } from '../../model/types.ts';
import { selects } from '../selects.ts';
import { loadNode } from './node.ts';

const CUSTOMER_CURSOR_SCOPE = 'customer';
const MAX_NODES = 100;

export const Query: QueryResolvers = {
  customer: (_root, args, ctx) => ctx.customers.byId.load(expectGlobalId(args.id, 'Customer')),
  payment: (_root, args, ctx) => ctx.stripe.chargeById.load(expectGlobalId(args.id, 'Payment')),
  node: (_root, args, ctx) => loadNode(ctx, args.id),
  nodes: (_root, args, ctx) => {
    if (args.ids.length > MAX_NODES) throw new BadUserInputError(`ids takes at most ${MAX_NODES} ids: ${args.ids.length}`, 'ids');
    // graphql-js completes each list item on its own, so a bad or failing id nulls only its own
    // entry. The generated types cannot say "a promise of a node or null" for an item; hence the cast.
    return args.ids.map(async (id, index) => loadNode(ctx, id, `ids[${index}]`)) as unknown as NodeModel[];
  },
  writeStatus: async (_root, args, ctx) => {
    const operation = await ctx.writes.status(args.id);
    if (!operation) return null;
    const scope = writeScopeOf(operation.mutation);
    if (!ctx.principal.scopes.has(scope)) throw new ForbiddenError(scope);
    return operation;
  },
  customers: async (_root, args, ctx, info) => {
    const first = checkFirst(args.first, 20);
    const startingAfter = decodeCursor(CUSTOMER_CURSOR_SCOPE, args.after) ?? undefined;
    const email = args.email?.trim() || undefined;
    const page = await ctx.customers.page({ limit: Math.max(first, 1), startingAfter, email });
    // HubSpot's chain (contact, associations, deals) is the page's critical path: its first reads
    // leave now, in the tick the page arrived, ahead of the Stripe calls the fields below start.
    if (ctx.principal.scopes.has('crm:read') && (selects(info, ['edges', 'node', 'crmContact']) || selects(info, ['edges', 'node', 'deals']))) {
      ctx.hubspot.prefetchContacts(page.customers.slice(0, first));
    }
    return toConnection(CUSTOMER_CURSOR_SCOPE, page.customers, {
      first,
      hasMore: page.hasMore,
      hasPreviousPage: startingAfter !== undefined,
    });
  },
};
