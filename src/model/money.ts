/**
 * Exact money. Amounts are kept as an integer count of the currency's minor unit (bigint), so no
 * value ever passes through a float. The exponents follow ISO 4217 as Stripe applies it
 * (https://docs.stripe.com/currencies#zero-decimal): zero-decimal currencies have no minor unit,
 * three-decimal ones have three digits.
 */
const ZERO_DECIMAL = new Set([
  'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF',
  'XOF', 'XPF',
]);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

export function currencyExponent(currency: string): number {
  const code = currency.toUpperCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

export interface MoneyModel {
  readonly minorUnits: bigint;
  readonly currency: string;
}

const CURRENCY = /^[A-Za-z]{3}$/;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function checkCurrency(currency: string): string {
  if (!CURRENCY.test(currency)) throw new RangeError(`currency must be an ISO 4217 code: ${currency}`);
  return currency.toUpperCase();
}

/** Stripe's shape: an integer in minor units and a lower-case currency. */
export function moneyFromMinorUnits(minorUnits: number, currency: string): MoneyModel {
  if (!Number.isSafeInteger(minorUnits)) throw new RangeError(`minor units must be an integer: ${minorUnits}`);
  return { minorUnits: BigInt(minorUnits), currency: checkCurrency(currency) };
}

/**
 * HubSpot's shape: a decimal string in major units ("1500.5"). Digits beyond the currency's minor
 * unit are rounded half to even, the rounding HubSpot's own currency display applies; the mapping
 * doc says so.
 */
export function moneyFromDecimal(decimal: string, currency: string): MoneyModel {
  const code = checkCurrency(currency);
  const match = DECIMAL.exec(decimal.trim());
  if (!match) throw new RangeError(`not a decimal amount: ${decimal}`);
  const [, sign = '', whole = '0', fraction = ''] = match;
  const exponent = currencyExponent(code);
  const kept = fraction.slice(0, exponent).padEnd(exponent, '0');
  let minor = BigInt(whole + kept);
  const dropped = fraction.slice(exponent);
  if (dropped.length > 0 && /[1-9]/.test(dropped)) {
    const first = Number(dropped[0]);
    const beyondHalf = first > 5 || (first === 5 && /[1-9]/.test(dropped.slice(1)));
    const exactlyHalf = first === 5 && !/[1-9]/.test(dropped.slice(1));
    if (beyondHalf || (exactlyHalf && minor % 2n === 1n)) minor += 1n;
  }
  return { minorUnits: sign === '-' ? -minor : minor, currency: code };
}

/** The decimal string with exactly the currency's number of fraction digits. */
export function formatAmount(money: MoneyModel): string {
  const exponent = currencyExponent(money.currency);
  const negative = money.minorUnits < 0n;
  const digits = (negative ? -money.minorUnits : money.minorUnits).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent === 0 ? '' : `.${digits.slice(digits.length - exponent)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/**
 * A client's amount (`MoneyInput`): a positive decimal in major units with at most the
 * currency's digits, never rounded (`12.345` USD is refused, not made `12.34`). Undefined when
 * it is not one.
 */
export function moneyFromClient(decimal: string, currency: string): MoneyModel | undefined {
  if (!CURRENCY.test(currency)) return undefined;
  const match = /^(\d{1,15})(?:\.(\d+))?$/.exec(decimal);
  if (!match) return undefined;
  const code = currency.toUpperCase();
  const exponent = currencyExponent(code);
  const [, whole = '0', fraction = ''] = match;
  if (fraction.length > exponent) return undefined;
  const minorUnits = BigInt(whole + fraction.padEnd(exponent, '0'));
  return minorUnits > 0n ? { minorUnits, currency: code } : undefined;
}
