import type { NodeResolvers } from '../../generated/graphql.ts';
import { fromGlobalId } from '../../model/global-id.ts';
import type { NodeModel } from '../../model/types.ts';
import type { Scope } from '../../auth/principal.ts';
import { ForbiddenError } from '../../errors.ts';
import type { ResolverContext } from '../resolver-context.ts';

/** The scope each kind of node needs, the same its fields need where they are reached directly. */
const NODE_SCOPES: Record<NodeModel['kind'], Scope> = { Customer: 'customers:read', Payment: 'payments:read', CrmContact: 'crm:read', Deal: 'crm:read' };

export const Node: NodeResolvers = {
  __resolveType: (node) => node.kind,
};

/** Any object by global id, through the same per-request loaders the fields use. */
export async function loadNode(ctx: ResolverContext, globalId: string, argument = 'id'): Promise<NodeModel | null> {
  const { kind, id } = fromGlobalId(globalId, argument);
  if (!ctx.principal.scopes.has(NODE_SCOPES[kind])) throw new ForbiddenError(NODE_SCOPES[kind]);
  switch (kind) {
    case 'Customer':
      return ctx.customers.byId.load(id);
    case 'Payment':
      return ctx.stripe.chargeById.load(id);
    case 'CrmContact':
      return ctx.hubspot.contactById.load(id);
    case 'Deal':
      return ctx.hubspot.dealById.load(id);
  }
}
