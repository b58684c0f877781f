import { describe, expect, it } from 'vitest';
import { formatAmount, moneyFromDecimal, moneyFromMinorUnits } from '../../src/model/money.ts';

const show = (m: { minorUnits: bigint; currency: string }) => `${formatAmount(m)} ${m.currency} (${m.minorUnits})`;

describe('Money', () => {
  it('reads Stripe minor units in two-, zero- and three-decimal currencies', () => {
    expect(show(moneyFromMinorUnits(1230, 'usd'))).toBe('12.30 USD (1230)');
    expect(show(moneyFromMinorUnits(1200, 'jpy'))).toBe('1200 JPY (1200)');
    expect(show(moneyFromMinorUnits(5, 'kwd'))).toBe('0.005 KWD (5)');
    expect(show(moneyFromMinorUnits(-7, 'eur'))).toBe('-0.07 EUR (-7)');
  });

  it('reads HubSpot decimal strings to the same shape', () => {
    expect(show(moneyFromDecimal('1500', 'USD'))).toBe('1500.00 USD (150000)');
    expect(show(moneyFromDecimal('1500.5', 'eur'))).toBe('1500.50 EUR (150050)');
    expect(show(moneyFromDecimal('98000', 'JPY'))).toBe('98000 JPY (98000)');
  });

  it('stays exact where a float would not', () => {
    expect(show(moneyFromDecimal('0.1', 'USD'))).toBe('0.10 USD (10)');
    expect(show(moneyFromDecimal('90071992547409931.07', 'USD'))).toBe('90071992547409931.07 USD (9007199254740993107)');
  });

  it('rounds digits beyond the minor unit half to even', () => {
    expect(formatAmount(moneyFromDecimal('1.005', 'USD'))).toBe('1.00');
    expect(formatAmount(moneyFromDecimal('1.015', 'USD'))).toBe('1.02');
    expect(formatAmount(moneyFromDecimal('1.0051', 'USD'))).toBe('1.01');
    expect(formatAmount(moneyFromDecimal('1200.5', 'JPY'))).toBe('1200');
  });

  it('refuses what is not money', () => {
    expect(() => moneyFromDecimal('12,50', 'USD')).toThrow(RangeError);
    expect(() => moneyFromDecimal('1e3', 'USD')).toThrow(RangeError);
    expect(() => moneyFromMinorUnits(1.5, 'usd')).toThrow(RangeError);
    expect(() => moneyFromMinorUnits(1, 'dollars')).toThrow(RangeError);
  });
});
