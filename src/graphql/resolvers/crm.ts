import type { CrmContactResolvers, DealResolvers } from '../../generated/graphql.ts';
import { toGlobalId } from '../../model/global-id.ts';

// Other fields read the model's property of the same name (graphql-js's default resolver).
export const CrmContact: CrmContactResolvers = {
  id: (contact) => toGlobalId('CrmContact', contact.id),
};

export const Deal: DealResolvers = {
  id: (deal) => toGlobalId('Deal', deal.id),
};
