import type { Resolvers } from '../../generated/graphql.ts';
import { CrmContact, Deal } from './crm.ts';
import { Customer } from './customer.ts';
import { Money } from './money.ts';
import { Node } from './node.ts';
import { Payment } from './payment.ts';
import { Query } from './query.ts';
import { DateTime } from './scalars.ts';
import { Subscription } from './subscription.ts';

export const resolvers: Resolvers = { Query, Subscription, Node, Customer, Payment, CrmContact, Deal, Money, DateTime };
