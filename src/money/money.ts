/**
 * Exact money on bigint minor units (invariant 8). No float ever enters an amount: inputs are
 * integer strings with a decimals count, percentages are decimal strings.
 */

/** ISO 4217 minor units of the currencies Kontor accepts. */
export const MINOR_UNITS: Readonly<Record<string, number>> = {
  EUR: 2,
  USD: 2,
  GBP: 2,
  CHF: 2,
  JPY: 0,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  PLN: 2,
  CZK: 2,
  HUF: 2,
  RON: 2,
  BGN: 2,
  ISK: 0,
  CAD: 2,
  AUD: 2,
  NZD: 2,
  SGD: 2,
  HKD: 2,
  CNY: 2,
  KRW: 0,
  INR: 2,
  BRL: 2,
  MXN: 2,
  ZAR: 2,
  TRY: 2,
  AED: 2,
  SAR: 2,
  ILS: 2,
  KWD: 3,
  BHD: 3,
  OMR: 3,
  JOD: 3,
  TND: 3,
};

export interface MoneyJson {
  amount: string;
  decimals: number;
  currency: string;
}

export class MoneyError extends Error {}

export class Money {
  private constructor(
    readonly minor: bigint,
    readonly currency: string,
  ) {}

  static of(minor: bigint, currency: string): Money {
    if (MINOR_UNITS[currency] === undefined) throw new MoneyError(`unsupported currency ${currency}`);
    return new Money(minor, currency);
  }

  static zero(currency: string): Money {
    return Money.of(0n, currency);
  }

  /**
   * Reads `{amount, decimals, currency}` given in any decimals. Refuses values finer than the
   * currency's minor unit instead of rounding them away.
   */
  static fromJson(input: MoneyJson): Money {
    const exponent = MINOR_UNITS[input.currency];
    if (exponent === undefined) throw new MoneyError(`currency ${input.currency} is not supported`);
    if (!/^-?\d+$/.test(input.amount)) throw new MoneyError('amount must be an integer string');
    if (!Number.isInteger(input.decimals) || input.decimals < 0 || input.decimals > 18) {
      throw new MoneyError('decimals must be an integer from 0 to 18');
    }
    const amount = BigInt(input.amount);
    if (input.decimals <= exponent) {
      return new Money(amount * 10n ** BigInt(exponent - input.decimals), input.currency);
    }
    const divisor = 10n ** BigInt(input.decimals - exponent);
    if (amount % divisor !== 0n) {
      throw new MoneyError(`${input.currency} has ${exponent} decimals; the amount is finer than that`);
    }
    return new Money(amount / divisor, input.currency);
  }

  toJSON(): MoneyJson {
    return { amount: this.minor.toString(), decimals: MINOR_UNITS[this.currency]!, currency: this.currency };
  }

  private same(other: Money): void {
    if (other.currency !== this.currency) {
      throw new MoneyError(`cannot combine ${this.currency} and ${other.currency}`);
    }
  }

  add(other: Money): Money {
    this.same(other);
    return new Money(this.minor + other.minor, this.currency);
  }

  subtract(other: Money): Money {
    this.same(other);
    return new Money(this.minor - other.minor, this.currency);
  }

  times(units: bigint): Money {
    return new Money(this.minor * units, this.currency);
  }

  /** This amount × `percent` / 100, rounded half-up (half away from zero) to the minor unit. */
  percent(percent: string): Money {
    const { numerator, denominator } = parseDecimal(percent);
    return new Money(divideHalfUp(this.minor * numerator, denominator * 100n), this.currency);
  }

  compare(other: Money): -1 | 0 | 1 {
    this.same(other);
    return this.minor < other.minor ? -1 : this.minor > other.minor ? 1 : 0;
  }

  isNegative(): boolean {
    return this.minor < 0n;
  }
}

/** `numerator / denominator` rounded half away from zero. */
export function divideHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new MoneyError('division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const q = (n * 2n + d) / (d * 2n);
  return negative ? -q : q;
}

export const DECIMAL_PATTERN = '^\\d{1,9}(\\.\\d{1,9})?$';

/** A non-negative decimal string (e.g. a percentage "2.5") as an exact fraction. */
export function parseDecimal(value: string): { numerator: bigint; denominator: bigint } {
  if (!new RegExp(DECIMAL_PATTERN).test(value)) throw new MoneyError(`"${value}" is not a decimal number`);
  const [whole, fraction = ''] = value.split('.');
  return { numerator: BigInt(whole! + fraction), denominator: 10n ** BigInt(fraction.length) };
}

/** The canonical text of a decimal string: no leading zeros, no trailing fractional zeros. */
export function normalizeDecimal(value: string): string {
  const { numerator, denominator } = parseDecimal(value);
  const scale = denominator.toString().length - 1;
  if (scale === 0) return numerator.toString();
  const digits = numerator.toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`.replace(/\.?0+$/, '');
  return text;
}
