import { GraphQLError, GraphQLScalarType } from 'graphql';
import { decodeCursor, encodeCursor, type Connection } from '../../../src/model/connection.ts';
import { expectGlobalId, toGlobalId } from '../../../src/model/global-id.ts';
import { formatAmount, type MoneyModel } from '../../../src/model/money.ts';
import type { CrmContactModel, CustomerModel, DealModel, NodeModel, PaymentModel } from '../../../src/model/types.ts';
import type { ProviderApi } from './provider-api.ts';

/** What a peer's resolvers get: a fresh ProviderApi per operation. */
export interface PeerContext {
  api: ProviderApi;
}

const EMPTY: Connection<never> = {
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
};

function connection<T extends { id: string }>(scope: string, nodes: T[], hasNextPage: boolean, hasPreviousPage = false): Connection<T> {
  const edges = nodes.map((node) => ({ cursor: encodeCursor(scope, node.id), node }));
  return {
    edges,
    pageInfo: { hasNextPage, hasPreviousPage, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

function notImplemented(field: string): never {
  throw new GraphQLError(`${field} is outside the benchmark's schema subset`, { extensions: { code: 'NOT_IMPLEMENTED' } });
}

/**
 * The contact a customer is linked to, as docs/mapping.md says: by HubSpot ref when it has one
 * (a dangling ref links to nothing), else by email. Both `crmContact` and `deals` call it, each
 * on its own, the way independent field resolvers do.
 */
function contactOf(api: ProviderApi, customer: CustomerModel): Promise<CrmContactModel | null> {
  return customer.hubspotRef !== null ? api.getContact(customer.hubspotRef) : api.getContactByEmail(customer.email.toLowerCase());
}

/**
 * Resolvers for the benchmark's subset of the schema (customers, customer, and every field
 * below Customer), producing exactly the JSON Tributary produces: the same global ids, cursors,
 * Money strings, DateTime format and orderings, from the same mappers (src/providers/*\/mapper.ts).
 * Each field resolver calls the providers for itself: the per-field (N+1) style a team writes
 * first.
 */
export function createPeerResolvers() {
  return {
    DateTime: new GraphQLScalarType<Date, string>({
      name: 'DateTime',
      serialize: (value) => {
        if (!(value instanceof Date)) throw new TypeError(`DateTime cannot represent ${String(value)}`);
        return value.toISOString();
      },
    }),
    Node: { __resolveType: (node: NodeModel) => node.kind },
    Query: {
      customers: async (_root: unknown, args: { first?: number | null; after?: string | null }, { api }: PeerContext) => {
        const first = args.first ?? 20;
        const afterId = decodeCursor('customer', args.after);
        const page = await api.listCustomers(Math.max(first, 1), afterId);
        const customers = page.customers.slice(0, first);
        return connection('customer', customers, page.hasMore || page.customers.length > first, afterId !== null);
      },
      customer: (_root: unknown, args: { id: string }, { api }: PeerContext) => api.getCustomer(expectGlobalId(args.id, 'Customer')),
      node: () => notImplemented('Query.node'),
      nodes: () => notImplemented('Query.nodes'),
      payment: () => notImplemented('Query.payment'),
    },
    Customer: {
      id: (customer: CustomerModel) => toGlobalId('Customer', customer.id),
      payments: async (customer: CustomerModel, args: { first?: number | null }, { api }: PeerContext) => {
        const first = args.first ?? 10;
        if (customer.stripeRef === null) return EMPTY;
        const page = await api.listCharges(customer.stripeRef, Math.max(first, 1));
        return connection('payment', page.payments.slice(0, first), page.hasMore || page.payments.length > first);
      },
      crmContact: (customer: CustomerModel, _args: unknown, { api }: PeerContext) => contactOf(api, customer),
      deals: async (customer: CustomerModel, args: { first?: number | null }, { api }: PeerContext) => {
        const first = args.first ?? 10;
        const contact = await contactOf(api, customer);
        if (contact === null) return EMPTY;
        const ids = await api.getDealIds(contact.id);
        ids.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
        const deals = await Promise.all(ids.slice(0, first).map((id) => api.getDeal(id)));
        // An association can outlive its deal; Tributary skips such deals, and so do we.
        return connection('deal', deals.filter((deal): deal is DealModel => deal !== null), first < ids.length);
      },
    },
    Payment: {
      id: (payment: PaymentModel) => toGlobalId('Payment', payment.id),
      customer: () => notImplemented('Payment.customer'),
    },
    CrmContact: { id: (contact: CrmContactModel) => toGlobalId('CrmContact', contact.id) },
    Deal: { id: (deal: DealModel) => toGlobalId('Deal', deal.id) },
    Money: {
      amount: (money: MoneyModel) => formatAmount(money),
      minorUnits: (money: MoneyModel) => money.minorUnits.toString(),
    },
  };
}
