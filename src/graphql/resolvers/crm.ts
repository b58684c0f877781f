import type { CrmContactResolvers, DealResolvers } from '../../generated/graphql.ts';
import { toGlobalId } from '../../model/global-id.ts';

export const CrmContact: CrmContactResolvers = {
  id: (contact) => toGlobalId('CrmContact', contact.id),
  firstName: (contact) => contact.firstName,
  lastName: (contact) => contact.lastName,
  email: (contact) => contact.email,
  lifecycleStage: (contact) => contact.lifecycleStage,
  createdAt: (contact) => contact.createdAt,
  updatedAt: (contact) => contact.updatedAt,
};

export const Deal: DealResolvers = {
  id: (deal) => toGlobalId('Deal', deal.id),
  name: (deal) => deal.name,
  amount: (deal) => deal.amount,
  stage: (deal) => deal.stage,
  closeDate: (deal) => deal.closeDate,
  pipeline: (deal) => deal.pipeline,
};
