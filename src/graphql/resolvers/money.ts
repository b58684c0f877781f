import type { MoneyResolvers } from '../../generated/graphql.ts';
import { formatAmount } from '../../model/money.ts';

export const Money: MoneyResolvers = {
  amount: (money) => formatAmount(money),
  minorUnits: (money) => money.minorUnits.toString(),
};
