import type { CrmContactResolvers, DealResolvers } from '../../generated/graphql.ts';
import { globalIdOf } from '../../model/global-id.ts';

// Other fields read the model's property of the same name (graphql-js's default resolver).
export const CrmContact: CrmContactResolvers = {
  id: (contact) => globalIdOf('CrmContact', contact),
};

export const Deal: DealResolvers = {
  id: (deal) => globalIdOf('Deal', deal),
};
