import type { Selectable } from 'kysely';
import type { CampaignsTable, ProductsTable } from '../db/schema.ts';
import type { FieldErrorCollector } from '../http/errors.ts';
import type { DayCountConvention } from '../interest/day-count.ts';
import type { InterestFrequency } from '../interest/schedule.ts';
import { Money, MoneyError, type MoneyJson, normalizeDecimal } from '../money/money.ts';

export type ProductRow = Selectable<ProductsTable>;
export type CampaignRow = Selectable<CampaignsTable>;

export const PRODUCT_TYPES = [
  'BOND',
  'SUBORDINATED_LOAN',
  'PARTICIPATION_RIGHT',
  'PARTICIPATION_PAPER',
  'DEBT_SECURITY',
  'CONVERTIBLE_BOND',
  'DIGITAL_COMPANY_SHARE',
  'FUND_SHARE',
  'AIF',
] as const;
export { DAY_COUNT_CONVENTIONS } from '../interest/day-count.ts';
export { INTEREST_FREQUENCIES } from '../interest/schedule.ts';
export const PRODUCT_STATUSES = ['ACTIVE', 'CLOSED'] as const;
export const RULE_TYPES = ['public_offering', 'minimum_investment_amount'] as const;

/** The terms of a product as the API receives them (already schema-valid). */
export interface ProductTerms {
  nominal_value?: MoneyJson | null;
  issuance_price?: MoneyJson | null;
  interest_rate?: string | null;
  day_count_convention?: string | null;
  interest_start_date?: string | null;
  interest_frequency?: string | null;
  maturity_date?: string | null;
}

export const INTEREST_FIELDS = [
  'interest_rate',
  'day_count_convention',
  'interest_start_date',
  'interest_frequency',
] as const;

/** Reads a Money field, adding a field error (and returning null) when it is not acceptable. */
export function moneyField(
  fields: FieldErrorCollector,
  name: string,
  value: MoneyJson | null | undefined,
  opts: { currency?: string; allowZero?: boolean } = {},
): Money | null {
  if (value === undefined || value === null) return null;
  try {
    const money = Money.fromJson(value);
    if (money.isNegative() || (!opts.allowZero && money.minor === 0n)) {
      fields.add(`${name}.amount`, opts.allowZero ? 'must not be negative' : 'must be positive');
      return null;
    }
    if (opts.currency && money.currency !== opts.currency) {
      fields.add(`${name}.currency`, `must be ${opts.currency}, the product's currency`);
      return null;
    }
    return money;
  } catch (error) {
    if (!(error instanceof MoneyError)) throw error;
    fields.add(name, error.message);
    return null;
  }
}

/**
 * Checks the economic terms of a product: a price (nominal value or issuance price) in one
 * currency, and interest fields that come all together or not at all.
 */
export function checkProductTerms(terms: ProductTerms, fields: FieldErrorCollector) {
  const nominal = moneyField(fields, 'nominal_value', terms.nominal_value);
  const price = moneyField(fields, 'issuance_price', terms.issuance_price, {
    currency: nominal?.currency,
  });
  if (!terms.nominal_value && !terms.issuance_price) {
    fields.add('issuance_price', 'a product needs an issuance_price or a nominal_value');
  }
  const given = INTEREST_FIELDS.filter((f) => terms[f] !== undefined && terms[f] !== null);
  if (given.length > 0 && given.length < INTEREST_FIELDS.length) {
    for (const f of INTEREST_FIELDS) {
      if (!given.includes(f)) fields.add(f, `is required together with ${given.join(', ')}`);
    }
  }
  if (terms.day_count_convention === '30E/360-ISDA' && !terms.maturity_date) {
    fields.add('maturity_date', 'is required for 30E/360-ISDA (it is the termination date)');
  }
  if (terms.maturity_date && terms.interest_start_date && terms.maturity_date <= terms.interest_start_date) {
    fields.add('maturity_date', 'must be after interest_start_date');
  }
  if (terms.interest_rate !== undefined && terms.interest_rate !== null && Number(terms.interest_rate) > 100) {
    fields.add('interest_rate', 'must not exceed 100');
  }
  return { nominal, price, currency: (nominal ?? price)?.currency ?? null };
}

/**
 * The part of a campaign's allocation that counts against its product's `max_issuable_amount`:
 * all of it while active; only what live investments hold once it is switched off, so that a
 * replacement campaign can take the rest (invariant 1).
 */
export function allocationInForce(campaign: Pick<CampaignRow, 'is_campaign_active' | 'allocation' | 'units_reserved'>) {
  return campaign.is_campaign_active ? campaign.allocation : campaign.units_reserved;
}

/** What a product can still hand to a new or reactivated campaign; never negative. */
export function allocationLeft(maxIssuable: bigint, inForce: bigint[]): bigint {
  const used = inForce.reduce((a, b) => a + b, 0n);
  return maxIssuable > used ? maxIssuable - used : 0n;
}

const money = (minor: bigint | null, currency: string) => (minor === null ? null : Money.of(minor, currency).toJSON());

export function productView(row: ProductRow) {
  return {
    id: row.id,
    issuer_id: row.issuer_id,
    name: row.name,
    product_type: row.product_type as (typeof PRODUCT_TYPES)[number],
    ewpg: row.ewpg,
    isin: row.isin,
    asset_code: row.asset_code,
    nominal_value: money(row.nominal_value, row.currency),
    issuance_price: money(row.issuance_price, row.currency),
    max_issuable_amount: Number(row.max_issuable_amount),
    step_size: Number(row.step_size),
    payment_deadline: row.payment_deadline,
    cancellation_deadline: row.cancellation_deadline,
    interest_rate: row.interest_rate === null ? null : normalizeDecimal(row.interest_rate),
    day_count_convention: row.day_count_convention as DayCountConvention | null,
    interest_start_date: row.interest_start_date,
    interest_frequency: row.interest_frequency as InterestFrequency | null,
    maturity_date: row.maturity_date,
    requires_review: row.requires_review,
    status: row.status as (typeof PRODUCT_STATUSES)[number],
    token:
      row.token_contract_address === null
        ? null
        : {
            chain_id: Number(row.token_chain_id),
            contract_address: row.token_contract_address,
            deployed_at: row.token_deployed_at!,
          },
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function campaignView(row: CampaignRow) {
  return {
    id: row.id,
    product_id: row.product_id,
    distribution_platform_id: row.distribution_platform_id,
    name: row.name,
    allocation: Number(row.allocation),
    price_per_token: Money.of(row.price_per_token, row.currency).toJSON(),
    min_number_of_tokens: Number(row.min_number_of_tokens),
    max_number_of_tokens: Number(row.max_number_of_tokens),
    legal_persons_allowed: row.legal_persons_allowed,
    natural_persons_allowed: row.natural_persons_allowed,
    country: row.country,
    rule_type: row.rule_type,
    minimum_investment_amount: money(row.minimum_investment_amount, row.currency),
    agio_percent: normalizeDecimal(row.agio_percent),
    is_campaign_active: row.is_campaign_active,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
