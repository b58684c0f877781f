import { moneyFromDecimal } from '../../model/money.ts';
import type { CrmContactModel, DealModel, LifecycleStageModel } from '../../model/types.ts';
import { mappedOnce } from '../../model/mapped-once.ts';
import type { WireObject } from './wire.ts';

export const CONTACT_PROPERTIES = ['email', 'firstname', 'lastname', 'lifecyclestage'] as const;
export const DEAL_PROPERTIES = ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'deal_currency_code'] as const;

const LIFECYCLE_STAGES: Record<string, LifecycleStageModel> = {
  subscriber: 'SUBSCRIBER',
  lead: 'LEAD',
  marketingqualifiedlead: 'MARKETING_QUALIFIED_LEAD',
  salesqualifiedlead: 'SALES_QUALIFIED_LEAD',
  opportunity: 'OPPORTUNITY',
  customer: 'CUSTOMER',
  evangelist: 'EVANGELIST',
  other: 'OTHER',
};

/** The HubSpot value of one of our stages (the inverse of the mapping above). */
export function hubspotStage(stage: LifecycleStageModel): string {
  return Object.entries(LIFECYCLE_STAGES).find(([, model]) => model === stage)![0];
}

function prop(object: WireObject, name: string): string | null {
  const value = object.properties[name];
  return value === undefined || value === '' ? null : value;
}

export const toCrmContact = mappedOnce((object: WireObject): CrmContactModel => {
  const stage = prop(object, 'lifecyclestage');
  return {
    kind: 'CrmContact',
    id: object.id,
    firstName: prop(object, 'firstname'),
    lastName: prop(object, 'lastname'),
    email: prop(object, 'email'),
    // Portals can define their own stages (numeric ids); they read as OTHER.
    lifecycleStage: stage === null ? null : (LIFECYCLE_STAGES[stage] ?? 'OTHER'),
    createdAt: new Date(object.createdAt),
    updatedAt: new Date(object.updatedAt),
  };
});

/** Deals mapped once per wire object and default currency (a tenant's setting). */
const deals = new WeakMap<WireObject, { currency: string; deal: DealModel }>();

export function toDeal(object: WireObject, defaultCurrency: string): DealModel {
  const made = deals.get(object);
  if (made?.currency === defaultCurrency) return made.deal;
  const deal = dealOf(object, defaultCurrency);
  deals.set(object, { currency: defaultCurrency, deal });
  return deal;
}

function dealOf(object: WireObject, defaultCurrency: string): DealModel {
  const amount = prop(object, 'amount');
  const closeDate = prop(object, 'closedate');
  return {
    kind: 'Deal',
    id: object.id,
    name: prop(object, 'dealname'),
    amount: amount === null ? null : moneyFromDecimal(amount, prop(object, 'deal_currency_code') ?? defaultCurrency),
    stage: prop(object, 'dealstage'),
    closeDate: closeDate === null ? null : new Date(closeDate),
    pipeline: prop(object, 'pipeline'),
  };
}
