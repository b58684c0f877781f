import type { Resolvers } from '../../generated/graphql.ts';
import { CrmContact, Deal } from './crm.ts';
import { Customer } from './customer.ts';
import { Money } from './money.ts';
import { Node } from './node.ts';
import { Payment } from './payment.ts';
import { Query } from './query.ts';
import { DateTime } from './scalars.ts';
import { Subscription } from './subscription.ts';
import { Mutation } from './mutation.ts';
import { AddCrmNotePayload, CrmNote, Refund, RefundPaymentPayload, UpdateCrmContactPayload, UpdateCustomerPayload, WriteOperation, WritePayload } from './writes.ts';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Subscription,
  Node,
  Customer,
  Payment,
  CrmContact,
  Deal,
  Money,
  DateTime,
  RefundPaymentPayload,
  UpdateCustomerPayload,
  UpdateCrmContactPayload,
  AddCrmNotePayload,
  Refund,
  CrmNote,
  WritePayload,
  WriteOperation,
};
