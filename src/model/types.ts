import type { MoneyModel } from './money.ts';

/**
 * The gateway's own model: what providers' mappers produce and resolvers read. Codegen maps the
 * schema's object types onto these (codegen.ts `mappers`), so a resolver can only return a model,
 * never a provider payload.
 */
export interface CustomerModel {
  readonly kind: 'Customer';
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Grows by one with every change; what `If-Match` compares. */
  readonly version: number;
  readonly stripeRef: string | null;
  readonly hubspotRef: string | null;
}

export type PaymentStatusModel = 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'PARTIALLY_REFUNDED' | 'REFUNDED';

export interface PaymentModel {
  readonly kind: 'Payment';
  readonly id: string;
  readonly amount: MoneyModel;
  readonly amountRefunded: MoneyModel;
  readonly status: PaymentStatusModel;
  readonly createdAt: Date;
  readonly description: string | null;
  readonly stripeCustomerId: string | null;
}

export type LifecycleStageModel =
  | 'SUBSCRIBER'
  | 'LEAD'
  | 'MARKETING_QUALIFIED_LEAD'
  | 'SALES_QUALIFIED_LEAD'
  | 'OPPORTUNITY'
  | 'CUSTOMER'
  | 'EVANGELIST'
  | 'OTHER';

export interface CrmContactModel {
  readonly kind: 'CrmContact';
  readonly id: string;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly email: string | null;
  readonly lifecycleStage: LifecycleStageModel | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface DealModel {
  readonly kind: 'Deal';
  readonly id: string;
  readonly name: string | null;
  readonly amount: MoneyModel | null;
  readonly stage: string | null;
  readonly closeDate: Date | null;
  readonly pipeline: string | null;
}

export type NodeModel = CustomerModel | PaymentModel | CrmContactModel | DealModel;
export type NodeKind = NodeModel['kind'];
