import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import { ApiError, conflict, FieldErrorCollector, forbidden, invalidField, notFound } from '../http/errors.ts';
import { scheduleLedgerOperations } from '../ledger/schedule.ts';
import type { MoneyJson } from '../money/money.ts';
import { isAllowed } from '../parties/service.ts';
import {
  allocationInForce,
  allocationLeft,
  type CampaignRow,
  campaignView,
  checkProductTerms,
  moneyField,
  type ProductTerms,
  productView,
} from './domain.ts';

export interface ProductInput extends ProductTerms {
  issuer_id?: string;
  name: string;
  product_type: string;
  ewpg?: boolean;
  isin?: string | null;
  asset_code: string;
  max_issuable_amount: number;
  step_size?: number;
  payment_deadline?: number | null;
  cancellation_deadline?: number | null;
  requires_review?: boolean;
}

function uniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === constraint;
}

/** Creates a product of the calling issuer (the registrar names the issuer). */
export async function createProduct(trx: Trx, scope: string | null, input: ProductInput) {
  const fields = new FieldErrorCollector();
  let issuerId = scope;
  if (scope === null) {
    if (!input.issuer_id) fields.add('issuer_id', 'is required when the registrar creates a product');
    issuerId = input.issuer_id ?? null;
  } else if (input.issuer_id !== undefined && input.issuer_id !== scope) {
    fields.add('issuer_id', 'must be your own issuer');
  }
  const { nominal, price, currency } = checkProductTerms(input, fields);
  fields.throwIfAny();
  const issuer = await trx.selectFrom('issuers').select('id').where('id', '=', issuerId!).executeTakeFirst();
  if (!issuer) throw invalidField('issuer_id', 'no such issuer');
  try {
    const row = await trx
      .insertInto('products')
      .values({
        id: uuidv7(),
        issuer_id: issuerId!,
        name: input.name,
        product_type: input.product_type,
        ewpg: input.ewpg ?? true,
        isin: input.isin ?? null,
        asset_code: input.asset_code,
        currency: currency!,
        nominal_value: nominal?.minor ?? null,
        issuance_price: price?.minor ?? null,
        max_issuable_amount: BigInt(input.max_issuable_amount),
        step_size: BigInt(input.step_size ?? 1),
        payment_deadline: input.payment_deadline ?? null,
        cancellation_deadline: input.cancellation_deadline ?? null,
        interest_rate: input.interest_rate ?? null,
        day_count_convention: input.day_count_convention ?? null,
        interest_start_date: input.interest_start_date ?? null,
        interest_frequency: input.interest_frequency ?? null,
        maturity_date: input.maturity_date ?? null,
        requires_review: input.requires_review ?? false,
        status: 'ACTIVE',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    // Its token contract is deployed by the workers (the registrar's transactions run in one job).
    await scheduleLedgerOperations(trx);
    return productView(row);
  } catch (error) {
    if (uniqueViolation(error, 'products_isin')) throw conflict('isin_taken', 'another product has this ISIN');
    throw error;
  }
}

export interface ProductPatch {
  name?: string;
  isin?: string | null;
  status?: string;
  requires_review?: boolean;
  payment_deadline?: number | null;
  cancellation_deadline?: number | null;
  max_issuable_amount?: number;
}

async function lockProduct(trx: Trx, id: string, scope: string | null) {
  const row = await trx
    .selectFrom('products')
    .selectAll()
    .where('id', '=', id)
    .$if(scope !== null, (q) => q.where('issuer_id', '=', scope!))
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound('product');
  return row;
}

async function allocationsInForce(trx: Trx, productId: string, exceptCampaign?: string): Promise<bigint[]> {
  const campaigns = await trx
    .selectFrom('campaigns')
    .select(['id', 'is_campaign_active', 'allocation', 'units_reserved'])
    .where('product_id', '=', productId)
    .execute();
  return campaigns.filter((c) => c.id !== exceptCampaign).map(allocationInForce);
}

/** Changes the mutable parts of a product; the economic terms are fixed at creation. */
export async function updateProduct(trx: Trx, id: string, scope: string | null, patch: ProductPatch) {
  const current = await lockProduct(trx, id, scope);
  if (patch.isin !== undefined && current.isin !== null && patch.isin !== current.isin) {
    throw conflict('isin_immutable', 'the ISIN of a product cannot change once set');
  }
  if (patch.max_issuable_amount !== undefined) {
    const used = (await allocationsInForce(trx, id)).reduce((a, b) => a + b, 0n);
    if (BigInt(patch.max_issuable_amount) < used) {
      throw conflict(
        'allocation_exceeded',
        `the campaigns of this product hold ${used} units; max_issuable_amount cannot be lower`,
      );
    }
  }
  try {
    const row = await trx
      .updateTable('products')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.isin !== undefined ? { isin: patch.isin } : {}),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(patch.requires_review !== undefined ? { requires_review: patch.requires_review } : {}),
        ...(patch.payment_deadline !== undefined ? { payment_deadline: patch.payment_deadline } : {}),
        ...(patch.cancellation_deadline !== undefined ? { cancellation_deadline: patch.cancellation_deadline } : {}),
        ...(patch.max_issuable_amount !== undefined ? { max_issuable_amount: BigInt(patch.max_issuable_amount) } : {}),
        updated_at: sql<string>`now()`,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return productView(row);
  } catch (error) {
    if (uniqueViolation(error, 'products_isin')) throw conflict('isin_taken', 'another product has this ISIN');
    throw error;
  }
}

export async function getProductForIssuer(db: Db | Trx, id: string, scope: string | null) {
  const row = await db
    .selectFrom('products')
    .selectAll()
    .where('id', '=', id)
    .$if(scope !== null, (q) => q.where('issuer_id', '=', scope!))
    .executeTakeFirst();
  if (!row) throw notFound('product');
  return row;
}

/** Products a platform may see: listed for it by an issuer that is allowed on it. */
export function productsVisibleToPlatform(db: Db | Trx, platformId: string) {
  return db.selectFrom('products').where((eb) =>
    eb.exists(
      eb
        .selectFrom('listings as l')
        .innerJoin('issuer_platform_allowances as a', (j) =>
          j
            .onRef('a.issuer_id', '=', 'products.issuer_id')
            .onRef('a.distribution_platform_id', '=', 'l.distribution_platform_id'),
        )
        .select('l.id')
        .whereRef('l.product_id', '=', 'products.id')
        .where('l.distribution_platform_id', '=', platformId)
        .where('a.is_allowed', '=', true),
    ),
  );
}

export async function getProductForPlatform(db: Db | Trx, id: string, platformId: string) {
  const row = await productsVisibleToPlatform(db, platformId)
    .selectAll('products')
    .where('products.id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('product');
  return row;
}

export async function createListing(
  trx: Trx,
  scope: string | null,
  input: { product_id: string; distribution_platform_id: string },
) {
  const product = await getProductForIssuer(trx, input.product_id, scope);
  const platform = await trx
    .selectFrom('distribution_platforms')
    .select('id')
    .where('id', '=', input.distribution_platform_id)
    .executeTakeFirst();
  if (!platform) throw invalidField('distribution_platform_id', 'no such distribution platform');
  if (!(await isAllowed(trx, product.issuer_id, platform.id))) {
    throw forbidden('platform_not_allowed', 'the registrar has not allowed this issuer on that platform');
  }
  const row = await trx
    .insertInto('listings')
    .values({ id: uuidv7(), product_id: product.id, distribution_platform_id: platform.id })
    .onConflict((oc) => oc.columns(['product_id', 'distribution_platform_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw conflict('already_listed', 'the product is already listed on that platform');
  return row;
}

export interface CampaignInput {
  distribution_platform_id: string;
  name: string;
  allocation: number;
  price_per_token: MoneyJson;
  min_number_of_tokens: number;
  max_number_of_tokens: number;
  legal_persons_allowed: boolean;
  natural_persons_allowed: boolean;
  country: string;
  rule_type: 'public_offering' | 'minimum_investment_amount';
  minimum_investment_amount?: MoneyJson | null;
  agio_percent?: string;
  is_campaign_active: boolean;
}

/**
 * Creates a campaign. The product row is locked first, so concurrent creations are serialised
 * and their allocations never exceed `max_issuable_amount` together (invariant 1).
 */
export async function createCampaign(trx: Trx, scope: string | null, productId: string, input: CampaignInput) {
  const product = await lockProduct(trx, productId, scope);
  const fields = new FieldErrorCollector();
  const price = moneyField(fields, 'price_per_token', input.price_per_token, {
    currency: product.currency,
    allowZero: true,
  });
  const minimum = moneyField(fields, 'minimum_investment_amount', input.minimum_investment_amount, {
    currency: product.currency,
  });
  if (input.min_number_of_tokens > input.max_number_of_tokens) {
    fields.add('max_number_of_tokens', 'must not be below min_number_of_tokens');
  }
  if (input.rule_type === 'minimum_investment_amount' && !input.minimum_investment_amount) {
    fields.add('minimum_investment_amount', 'is required for the rule type minimum_investment_amount');
  }
  if (input.rule_type === 'public_offering' && input.minimum_investment_amount) {
    fields.add('minimum_investment_amount', 'applies only to the rule type minimum_investment_amount');
  }
  if (!input.legal_persons_allowed && !input.natural_persons_allowed) {
    fields.add('natural_persons_allowed', 'a campaign must allow natural or legal persons');
  }
  if (input.agio_percent !== undefined && Number(input.agio_percent) > 100) {
    fields.add('agio_percent', 'must not exceed 100');
  }
  fields.throwIfAny();
  if (product.status !== 'ACTIVE') throw conflict('product_closed', 'the product is closed');
  const listed = await trx
    .selectFrom('listings')
    .select('id')
    .where('product_id', '=', product.id)
    .where('distribution_platform_id', '=', input.distribution_platform_id)
    .executeTakeFirst();
  if (!listed) {
    throw conflict('product_not_listed', 'list the product on that distribution platform first (POST /listings/)');
  }
  if (!(await isAllowed(trx, product.issuer_id, input.distribution_platform_id))) {
    throw forbidden('platform_not_allowed', 'the registrar has not allowed this issuer on that platform');
  }
  if (input.is_campaign_active) {
    const left = allocationLeft(product.max_issuable_amount, await allocationsInForce(trx, product.id));
    if (BigInt(input.allocation) > left) {
      throw new ApiError(
        409,
        'allocation_exceeded',
        `the product has ${left} units left for campaigns; the allocation asks for ${input.allocation}`,
      );
    }
  }
  const row = await trx
    .insertInto('campaigns')
    .values({
      id: uuidv7(),
      product_id: product.id,
      distribution_platform_id: input.distribution_platform_id,
      name: input.name,
      allocation: BigInt(input.allocation),
      currency: product.currency,
      price_per_token: price!.minor,
      min_number_of_tokens: BigInt(input.min_number_of_tokens),
      max_number_of_tokens: BigInt(input.max_number_of_tokens),
      legal_persons_allowed: input.legal_persons_allowed,
      natural_persons_allowed: input.natural_persons_allowed,
      country: input.country,
      rule_type: input.rule_type,
      minimum_investment_amount: minimum?.minor ?? null,
      agio_percent: input.agio_percent ?? '0',
      is_campaign_active: input.is_campaign_active,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return campaignView(row);
}

/** Switches a campaign on or off: the only change a campaign allows after creation. */
export async function setCampaignActive(
  trx: Trx,
  scope: string | null,
  productId: string,
  campaignId: string,
  active: boolean,
) {
  const product = await lockProduct(trx, productId, scope);
  const campaign = await trx
    .selectFrom('campaigns')
    .selectAll()
    .where('id', '=', campaignId)
    .where('product_id', '=', product.id)
    .forUpdate()
    .executeTakeFirst();
  if (!campaign) throw notFound('campaign');
  if (active && !campaign.is_campaign_active) {
    const left = allocationLeft(product.max_issuable_amount, await allocationsInForce(trx, product.id, campaign.id));
    if (campaign.allocation > left) {
      throw conflict(
        'allocation_exceeded',
        `the product has ${left} units left for campaigns; this campaign's allocation is ${campaign.allocation}`,
      );
    }
  }
  const row = await trx
    .updateTable('campaigns')
    .set({ is_campaign_active: active, updated_at: sql<string>`now()` })
    .where('id', '=', campaign.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return campaignView(row);
}

export async function getCampaign(
  db: Db | Trx,
  productId: string,
  campaignId: string,
  platformId: string | null,
): Promise<CampaignRow> {
  const row = await db
    .selectFrom('campaigns')
    .selectAll()
    .where('id', '=', campaignId)
    .where('product_id', '=', productId)
    .$if(platformId !== null, (q) => q.where('distribution_platform_id', '=', platformId!))
    .executeTakeFirst();
  if (!row) throw notFound('campaign');
  return row;
}
