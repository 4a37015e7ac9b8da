import { createHash, randomBytes } from 'node:crypto';
import { type InferResult, sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import { createDocument, ownedDocumentIds, ownedDocumentIdsQuery } from '../documents/service.ts';
import { eventsInsert, fanOutFrom, type NewEvent } from '../events/outbox.ts';
import { ApiError, conflict, FieldErrorCollector, forbidden, invalidField, notFound } from '../http/errors.ts';
import { WithStatus } from '../http/idempotency.ts';
import type { DayCountConvention } from '../interest/day-count.ts';
import type { InterestFrequency } from '../interest/schedule.ts';
import { findInvestorWallet } from '../investors/service.ts';
import { requestBurn } from '../ledger/burns.ts';
import { Money, MoneyError, type MoneyJson } from '../money/money.ts';
import { emailInsert } from '../notifications/emails.ts';
import {
  amountsOf,
  type Decision,
  decideAccept,
  decideDisagioChange,
  decideInvestorCancellation,
  decideIssuerCancellation,
  decidePay,
  decideReview,
  decideWalletChange,
  disagioProblem,
  dueDate,
  type InvestmentStatus,
  type IssuerCancellationReason,
  signedStatus,
  utcDate,
} from './domain.ts';
import { advanceInvestments, changeStatus, type InvestmentRow, waitingEmail } from './lifecycle.ts';

/** Who asks: a platform sees its investments, an issuer those into its products (null: registrar). */
export type InvestmentViewer = { kind: 'platform'; platformId: string } | { kind: 'issuer'; issuerId: string | null };

/** Timestamps from clients may be up to this far ahead of the server's clock. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

function refuseUnless<T>(decision: Decision<T>): T {
  if (!decision.ok) throw conflict(decision.refusal.code, decision.refusal.detail);
  return decision.value;
}

function checkNotFuture(fields: FieldErrorCollector, name: string, value: string | null | undefined, now: Date) {
  if (value && Date.parse(value) > now.getTime() + CLOCK_SKEW_MS) fields.add(name, 'must not be in the future');
}

function moneyIn(fields: FieldErrorCollector, name: string, value: MoneyJson | undefined, currency: string) {
  if (value === undefined) return undefined;
  try {
    const money = Money.fromJson(value);
    if (money.currency !== currency) {
      fields.add(`${name}.currency`, `must be ${currency}, the campaign's currency`);
      return undefined;
    }
    return money.minor;
  } catch (error) {
    if (!(error instanceof MoneyError)) throw error;
    fields.add(name, error.message);
    return undefined;
  }
}

/** Crockford base32 without look-alikes: a payment reference a person can type. */
export function paymentReference(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const bytes = randomBytes(10);
  return `KTR-${Array.from(bytes, (b) => alphabet[b % 32]).join('')}`;
}

interface Terms {
  requires_review: boolean;
  payment_deadline: number | null;
  currency: string;
  nominal_value: bigint | null;
  issuance_price: bigint | null;
  interest_rate: string | null;
  day_count_convention: string | null;
  interest_start_date: string | null;
  interest_frequency: string | null;
  maturity_date: string | null;
  bank_account: Record<string, unknown> | null;
}

/** The terms' columns besides the product's currency (which a campaign's row names too). */
const TERM_COLUMNS = [
  'products.requires_review',
  'products.payment_deadline',
  'products.nominal_value',
  'products.issuance_price',
  'products.interest_rate',
  'products.day_count_convention',
  'products.interest_start_date',
  'products.interest_frequency',
  'products.maturity_date',
  'issuers.bank_account',
] as const;

async function termsOf(db: Db | Trx, productIds: string[]): Promise<Map<string, Terms>> {
  if (productIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('products')
    .innerJoin('issuers', 'issuers.id', 'products.issuer_id')
    .select(['products.id', 'products.currency', ...TERM_COLUMNS])
    .where('products.id', 'in', [...new Set(productIds)])
    .execute();
  return new Map(rows.map((r) => [r.id, r as Terms]));
}

function amountsFor(row: InvestmentRow, terms: Terms, today: string) {
  const frozen = row.accrued_interest_at_acceptance;
  const valueDate = row.accepted_at
    ? utcDate(row.accepted_at)
    : row.cancellation_date
      ? utcDate(row.cancellation_date)
      : today;
  const amounts = amountsOf({
    units: row.units,
    pricePerToken: row.price_per_token,
    currency: row.currency,
    agioPercent: row.agio_percent,
    disagio: row.disagio,
    terms: {
      nominalValue: terms.nominal_value,
      issuancePrice: terms.issuance_price,
      currency: terms.currency,
      interestRate: terms.interest_rate,
      convention: terms.day_count_convention as DayCountConvention | null,
      interestStartDate: terms.interest_start_date,
      frequency: terms.interest_frequency as InterestFrequency | null,
      maturityDate: terms.maturity_date,
    },
    valueDate,
  });
  if (frozen === null) return amounts;
  // Frozen at acceptance: the stored figure is the one that was shown and is due.
  const accrued = Money.of(frozen, row.currency);
  return {
    ...amounts,
    accrued_interest: accrued,
    payment_total: amounts.investment_amount.add(amounts.agio).subtract(amounts.disagio).add(accrued),
  };
}

export interface ViewContext {
  /** Base URL of start_url. */
  baseUrl: string;
  today?: string;
}

function view(row: InvestmentRow, terms: Terms, ctx: ViewContext) {
  const amounts = amountsFor(row, terms, ctx.today ?? utcDate());
  const bank = terms.bank_account as { iban?: string; account_holder?: string } | null;
  return {
    id: row.id,
    investor_id: row.investor_id,
    campaign_id: row.campaign_id,
    product_id: row.product_id,
    status: row.status as InvestmentStatus,
    units: Number(row.units),
    price_per_token: Money.of(row.price_per_token, row.currency).toJSON(),
    investment_amount: amounts.investment_amount.toJSON(),
    agio: amounts.agio.toJSON(),
    disagio: amounts.disagio.toJSON(),
    accrued_interest: amounts.accrued_interest.toJSON(),
    payment_total: amounts.payment_total.toJSON(),
    remaining_amount: Number(row.remaining_amount),
    origin: row.origin,
    transfer_id: row.transfer_id,
    wallet: row.wallet_id,
    signed_at: row.signed_at,
    accepted_at: row.accepted_at,
    paid_at: row.paid_at,
    delivered_at: row.delivered_at,
    review_completed_at: row.review_completed_at,
    cancellation_date: row.cancellation_date,
    cancellation_reason: row.cancellation_reason,
    start_url: row.subscription_token ? `${ctx.baseUrl}/subscribe/${row.subscription_token}` : null,
    // A holding received by transfer was paid for outside the register.
    payment_details:
      bank?.iban && row.origin === 'SUBSCRIPTION'
        ? {
            iban: bank.iban,
            account_holder: bank.account_holder ?? null,
            reference: row.payment_reference,
            amount: amounts.payment_total.toJSON(),
            due_date: dueDate(row.accepted_at, terms.payment_deadline),
          }
        : null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export type InvestmentView = ReturnType<typeof view>;

export async function investmentViews(
  db: Db | Trx,
  rows: InvestmentRow[],
  ctx: ViewContext,
): Promise<InvestmentView[]> {
  const terms = await termsOf(
    db,
    rows.map((r) => r.product_id),
  );
  return rows.map((r) => view(r, terms.get(r.product_id)!, ctx));
}

export async function investmentView(db: Db | Trx, row: InvestmentRow, ctx: ViewContext): Promise<InvestmentView> {
  return (await investmentViews(db, [row], ctx))[0]!;
}

/** The investments a viewer may see, as a query base (for lists and reads). */
export function visibleInvestments(db: Db | Trx, viewer: InvestmentViewer) {
  const base = db.selectFrom('investments');
  if (viewer.kind === 'platform') return base.where('investments.distribution_platform_id', '=', viewer.platformId);
  return viewer.issuerId === null ? base : base.where('investments.issuer_id', '=', viewer.issuerId);
}

async function loadInvestment(
  trx: Db | Trx,
  viewer: InvestmentViewer,
  id: string,
  lock: boolean,
): Promise<InvestmentRow> {
  const row = await visibleInvestments(trx, viewer)
    .selectAll('investments')
    .where('investments.id', '=', id)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
  if (!row) throw notFound('investment');
  return row;
}

export async function getInvestment(db: Db | Trx, viewer: InvestmentViewer, id: string, ctx: ViewContext) {
  return investmentView(db, await loadInvestment(db, viewer, id, false), ctx);
}

export interface SignedDocumentInput {
  category: 'effecta_cryptoregistry_tos' | 'effecta_document';
  document_id: string;
}

export interface InvestmentCreateInput {
  investor_id: string;
  campaign_id: string;
  units: number;
  signed_at?: string;
  signed_documents?: SignedDocumentInput[];
  accepted_at?: string;
  paid_at?: string;
  wallet?: string;
  disagio?: MoneyJson;
}

async function documentCategories(trx: Trx, investmentId: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('investment_documents')
    .select('category')
    .where('investment_id', '=', investmentId)
    .execute();
  return rows.map((r) => r.category);
}

async function attachDocument(
  trx: Trx,
  investmentId: string,
  platformId: string,
  doc: SignedDocumentInput,
  field: string,
) {
  return (await attachDocuments(trx, investmentId, platformId, [doc], () => field))[0]!;
}

/**
 * Attaches signed documents in two statements: each must be the platform's own (400 on its field),
 * and a document is attached once per category (409 already_attached).
 */
async function attachDocuments(
  trx: Trx,
  investmentId: string,
  platformId: string,
  docs: SignedDocumentInput[],
  fieldOf: (index: number) => string,
) {
  if (docs.length === 0) return [];
  const owned = await ownedDocumentIds(
    trx,
    docs.map((d) => d.document_id),
    { kind: 'distribution_platform', platformId },
  );
  requireOwned(docs, owned, fieldOf);
  const rows = await documentsInsert(trx, investmentId, docs).execute();
  requireAllAttached(rows.length, docs);
  return rows;
}

function requireOwned(docs: SignedDocumentInput[], owned: Set<string>, fieldOf: (index: number) => string) {
  const foreign = docs.findIndex((d) => !owned.has(d.document_id));
  if (foreign >= 0) throw invalidField(fieldOf(foreign), 'no such document of yours');
}

/** Fewer rows attached than documents given: one of them is attached in its category already. */
function requireAllAttached(attached: number, docs: SignedDocumentInput[]) {
  if (attached < docs.length) throw conflict('already_attached', 'this document is already attached in this category');
}

/**
 * The insert of an investment's signed documents, skipping one attached in its category already
 * (see requireAllAttached). Arrays, not rows: the statement's text is the same however many
 * documents there are, none included.
 */
function documentsInsert(trx: Trx, investmentId: string, docs: SignedDocumentInput[]) {
  return trx
    .insertInto('investment_documents')
    .columns(['id', 'investment_id', 'category', 'document_id'])
    .expression(
      sql`select unnest(${docs.map(() => uuidv7())}::uuid[]), ${investmentId}::uuid,
        unnest(${docs.map((d) => d.category)}::text[]), unnest(${docs.map((d) => d.document_id)}::uuid[])`,
    )
    .onConflict((oc) => oc.columns(['investment_id', 'category', 'document_id']).doNothing())
    .returningAll();
}

/** Why this wallet (null: none of the investor's) cannot be an investment's wallet, or null. */
function walletRefusal(wallet: { receiving_enabled: boolean } | null): string | null {
  if (!wallet) return "must be a wallet of the investment's investor";
  if (!wallet.receiving_enabled) return 'the wallet does not have receiving_enabled';
  return null;
}

async function checkWallet(trx: Trx, investorId: string, walletId: string) {
  const refusal = walletRefusal(await findInvestorWallet(trx, investorId, walletId));
  if (refusal) throw invalidField('wallet', refusal);
}

async function accept(trx: Trx, row: InvestmentRow, acceptedAt: string): Promise<InvestmentRow> {
  refuseUnless(decideAccept(row.status as InvestmentStatus, await documentCategories(trx, row.id)));
  const [terms] = (await termsOf(trx, [row.product_id])).values();
  // The accrued interest is fixed at the date of acceptance.
  const frozen = amountsFor({ ...row, accepted_at: acceptedAt }, terms!, utcDate(acceptedAt)).accrued_interest;
  return changeStatus(trx, row, 'ACCEPTED', acceptedAt, {
    accepted_at: acceptedAt,
    accrued_interest_at_acceptance: frozen.minor,
  });
}

async function pay(trx: Trx, row: InvestmentRow, paidAt: string): Promise<InvestmentRow> {
  refuseUnless(decidePay(row.status as InvestmentStatus));
  if (row.accepted_at && Date.parse(paidAt) < Date.parse(row.accepted_at)) {
    throw invalidField('paid_at', 'must not be before accepted_at');
  }
  return changeStatus(trx, row, 'PAID', paidAt, { paid_at: paidAt });
}

/** The campaign of a create and what is decided with it: its product's terms, the allowance. */
function createCampaign(trx: Trx, platformId: string, campaignId: string) {
  return trx
    .selectFrom('campaigns')
    .innerJoin('products', 'products.id', 'campaigns.product_id')
    .innerJoin('issuers', 'issuers.id', 'products.issuer_id')
    .innerJoin('listings', (j) =>
      j
        .onRef('listings.product_id', '=', 'products.id')
        .onRef('listings.distribution_platform_id', '=', 'campaigns.distribution_platform_id'),
    )
    .innerJoin('issuer_platform_allowances as a', (j) =>
      j
        .onRef('a.issuer_id', '=', 'products.issuer_id')
        .onRef('a.distribution_platform_id', '=', 'campaigns.distribution_platform_id'),
    )
    .innerJoin('distribution_platforms as p', 'p.id', 'campaigns.distribution_platform_id')
    .selectAll('campaigns')
    .select([
      'products.issuer_id',
      'products.step_size',
      'products.status as product_status',
      'products.name as product_name',
      'products.currency as product_currency',
      ...TERM_COLUMNS,
      'a.is_allowed',
      'p.web_subscription_enabled',
    ])
    .where('campaigns.id', '=', campaignId)
    .where('campaigns.distribution_platform_id', '=', platformId);
}

type CreateCampaign = InferResult<ReturnType<typeof createCampaign>>[number];

/**
 * Everything a create decides on, in one statement: the investor (FOR SHARE: a concurrent KYC
 * completion either sees this investment or is seen by it), the campaign with its product's terms,
 * the wallet and which of the signed documents are the platform's. No row: no such investor.
 */
function createContext(trx: Trx, platformId: string, input: InvestmentCreateInput, documents: SignedDocumentInput[]) {
  const documentIds = documents.map((d) => d.document_id);
  return trx
    .selectFrom('investors as i')
    .leftJoin(createCampaign(trx, platformId, input.campaign_id).as('c'), (j) => j.onTrue())
    .leftJoin('wallets as w', (j) => j.onRef('w.investor_id', '=', 'i.id').on('w.id', '=', input.wallet ?? NO_WALLET))
    .selectAll('c')
    .select([
      'i.id as investor_row_id',
      'i.natural_person',
      'i.kyc_status',
      'w.id as wallet_row_id',
      'w.receiving_enabled as wallet_receiving_enabled',
      // The transaction's time: what `now()` gives every row this create writes.
      sql<string>`now()`.as('now'),
      sql<
        string[]
      >`array(${ownedDocumentIdsQuery(trx, documentIds, { kind: 'distribution_platform', platformId })})::text[]`.as(
        'owned_document_ids',
      ),
    ])
    .where('i.id', '=', input.investor_id)
    .where('i.distribution_platform_id', '=', platformId)
    .forShare('i')
    .executeTakeFirst();
}

/** Matches no wallet: the wallet join of a create without a wallet. */
const NO_WALLET = '00000000-0000-0000-0000-000000000000';

/**
 * Creates an investment (spec §7): one read of everything it decides on, every check (nothing is
 * stored on a refusal), then one write of the investment with its history, documents, e-mail and
 * event. The units are reserved on the campaign at COMMIT with one conditional update — never
 * oversold, however many requests race (migration 009).
 */
export async function createInvestment(
  trx: Trx,
  platformId: string,
  input: InvestmentCreateInput,
  ctx: ViewContext,
  now = new Date(),
) {
  const fields = new FieldErrorCollector();
  checkNotFuture(fields, 'signed_at', input.signed_at, now);
  checkNotFuture(fields, 'accepted_at', input.accepted_at, now);
  checkNotFuture(fields, 'paid_at', input.paid_at, now);
  if (input.accepted_at && !input.signed_at)
    fields.add('accepted_at', 'needs signed_at: only a signed investment can be accepted');
  if (input.paid_at && !input.accepted_at)
    fields.add('paid_at', 'needs accepted_at: only an accepted investment can be paid');
  fields.throwIfAny();

  const signedDocuments = input.signed_documents ?? [];
  const found = await createContext(trx, platformId, input, signedDocuments);
  if (!found) throw invalidField('investor_id', 'no such investor of yours');
  if (!found.is_allowed) throw invalidField('campaign_id', 'no such campaign of yours');
  // The campaign's columns come from inner joins: present once the allowance is.
  const campaign = found as typeof found & CreateCampaign;
  const investor = { id: found.investor_row_id, natural_person: found.natural_person, kyc_status: found.kyc_status };
  if (!campaign.is_campaign_active) throw conflict('campaign_inactive', 'the campaign is not active');
  if (campaign.product_status !== 'ACTIVE') throw conflict('product_closed', "the campaign's product is closed");

  const units = BigInt(input.units);
  const natural = investor.natural_person !== null;
  if (natural && !campaign.natural_persons_allowed)
    fields.add('investor_id', 'the campaign does not allow natural persons');
  if (!natural && !campaign.legal_persons_allowed)
    fields.add('investor_id', 'the campaign does not allow legal persons');
  if (units < campaign.min_number_of_tokens || units > campaign.max_number_of_tokens) {
    fields.add('units', `must be from ${campaign.min_number_of_tokens} to ${campaign.max_number_of_tokens}`);
  }
  if (units % campaign.step_size !== 0n)
    fields.add('units', `must be a multiple of the step size ${campaign.step_size}`);
  const investmentAmount = campaign.price_per_token * units;
  if (campaign.rule_type === 'minimum_investment_amount' && investmentAmount < campaign.minimum_investment_amount!) {
    const minimum = Money.of(campaign.minimum_investment_amount!, campaign.currency).toJSON();
    fields.add(
      'units',
      `units × price_per_token must be at least the minimum investment amount (${minimum.amount} at ${minimum.decimals} decimals ${minimum.currency})`,
    );
  }
  const disagio = moneyIn(fields, 'disagio', input.disagio, campaign.currency) ?? 0n;
  fields.throwIfAny();
  if (input.wallet) {
    const refusal = walletRefusal(found.wallet_row_id ? { receiving_enabled: found.wallet_receiving_enabled! } : null);
    if (refusal) throw invalidField('wallet', refusal);
  }
  const agio = Money.of(investmentAmount, campaign.currency).percent(campaign.agio_percent);
  const disagioIssue = disagioProblem(disagio, {
    investment_amount: Money.of(investmentAmount, campaign.currency),
    agio,
  });
  if (disagioIssue) throw invalidField('disagio', disagioIssue);

  const web = !input.signed_at;
  if (web && !campaign.web_subscription_enabled) {
    throw forbidden(
      'web_subscription_not_enabled',
      'web-based subscription (an investment without signed_at) is not enabled for your platform; send signed_at',
    );
  }

  const status: InvestmentStatus = web
    ? 'PENDING'
    : signedStatus({
        kycSucceeded: investor.kyc_status === 'SUCCESS',
        requiresReview: campaign.requires_review,
        reviewCompleted: false,
      });
  requireOwned(signedDocuments, new Set(found.owned_document_ids), (i) => `signed_documents.${i}.document_id`);
  // Everything a create writes, in one statement: the investment (created at the transaction's
  // time, read with the context, as the column's default would), its first status change, its
  // signed documents, the Studio e-mail where it is ready to be accepted, its event and the
  // event's webhook deliveries.
  const id = uuidv7();
  const createdAt = found.now;
  const created: NewEvent = {
    type: 'investment.created',
    issuerId: campaign.issuer_id,
    platformId,
    investmentId: id,
    data: {
      investment_id: id,
      status,
      investor_id: investor.id,
      campaign_id: campaign.id,
      product_id: campaign.product_id,
      units: Number(units),
      created_at: createdAt,
    },
  };
  // Accepted at once instead (below): the e-mail comes with the acceptance's own rules.
  const notify = !input.accepted_at && status === 'WAITING_FOR_ACCEPTANCE';
  const email = notify
    ? sql`email as (${emailInsert(trx, waitingEmail({ id, issuer_id: campaign.issuer_id, units }, campaign.product_name))}),`
    : sql``;
  const written = await sql<InvestmentRow & { documents_attached: number }>`
    with created as (${trx
      .insertInto('investments')
      .values({
        id,
        investor_id: investor.id,
        campaign_id: campaign.id,
        product_id: campaign.product_id,
        issuer_id: campaign.issuer_id,
        distribution_platform_id: platformId,
        status,
        units,
        currency: campaign.currency,
        price_per_token: campaign.price_per_token,
        agio_percent: campaign.agio_percent,
        disagio,
        wallet_id: input.wallet ?? null,
        signed_at: input.signed_at ?? null,
        subscription_token: web ? randomBytes(32).toString('base64url') : null,
        payment_reference: paymentReference(),
        created_at: createdAt,
        updated_at: createdAt,
      })
      .returningAll()}),
    first_status as (${trx.insertInto('investment_status_changes').values({
      id: uuidv7(),
      investment_id: id,
      previous_status: null,
      status,
      changed_at: createdAt,
    })}),
    documents as (${documentsInsert(trx, id, signedDocuments)}),
    ${email}
    event as (${eventsInsert([created], [uuidv7()])}),
    deliveries as (${fanOutFrom('event')})
    select created.*, (select count(*)::int from documents) as documents_attached from created`.execute(trx);
  const { documents_attached: attached, ...createdRow } = written.rows[0]!;
  requireAllAttached(attached, signedDocuments);
  let row: InvestmentRow = createdRow;
  if (input.accepted_at) {
    // Accepts at once where the investment is ready; otherwise 409 with the reason, and nothing stays.
    row = await accept(trx, row, input.accepted_at);
    if (input.paid_at) row = await pay(trx, row, input.paid_at);
  }
  // The units are reserved in the campaign when this transaction commits (migration 009): the
  // campaign's row, which every create into it must lock, is then held only for the commit, and a
  // refusal (409 allocation_exceeded or campaign_inactive) rolls everything back.
  return view(row, { ...campaign, currency: campaign.product_currency }, ctx);
}

export interface InvestmentPatch {
  accepted_at?: string;
  paid_at?: string;
  wallet?: string | null;
  disagio?: MoneyJson;
  review_completed_at?: string;
}

/** PATCH of either API: disagio and wallet first, then acceptance, then payment. */
export async function updateInvestment(
  trx: Trx,
  viewer: InvestmentViewer,
  id: string,
  patch: InvestmentPatch,
  ctx: ViewContext,
  now = new Date(),
) {
  let row = await loadInvestment(trx, viewer, id, true);
  const fields = new FieldErrorCollector();
  checkNotFuture(fields, 'accepted_at', patch.accepted_at, now);
  checkNotFuture(fields, 'paid_at', patch.paid_at, now);
  checkNotFuture(fields, 'review_completed_at', patch.review_completed_at, now);
  const disagio = moneyIn(fields, 'disagio', patch.disagio, row.currency);
  fields.throwIfAny();
  const status = () => row.status as InvestmentStatus;
  if (disagio !== undefined) {
    refuseUnless(decideDisagioChange(status()));
    const [terms] = (await termsOf(trx, [row.product_id])).values();
    const problem = disagioProblem(disagio, amountsFor(row, terms!, utcDate()));
    if (problem) throw invalidField('disagio', problem);
    row = await trx
      .updateTable('investments')
      .set({ disagio, updated_at: sql<string>`now()` })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  if (patch.wallet !== undefined) {
    refuseUnless(decideWalletChange(status(), row.credit_requested_at !== null));
    if (patch.wallet !== null) await checkWallet(trx, row.investor_id, patch.wallet);
    row = await trx
      .updateTable('investments')
      .set({ wallet_id: patch.wallet, updated_at: sql<string>`now()` })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  if (patch.review_completed_at !== undefined) {
    refuseUnless(decideReview(status(), row.review_completed_at !== null));
    row = await trx
      .updateTable('investments')
      .set({ review_completed_at: patch.review_completed_at, updated_at: sql<string>`now()` })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const [moved] = await advanceInvestments(trx, { investmentId: row.id });
    if (moved) row = moved;
  }
  if (patch.accepted_at !== undefined) row = await accept(trx, row, patch.accepted_at);
  if (patch.paid_at !== undefined) row = await pay(trx, row, patch.paid_at);
  return investmentView(trx, row, ctx);
}

/** The investor's cancellation through the distributor API: → ABORTION before acceptance. */
export async function cancelByInvestor(
  trx: Trx,
  platformId: string,
  id: string,
  cancellationDate: string,
  ctx: ViewContext,
) {
  const row = await loadInvestment(trx, { kind: 'platform', platformId }, id, true);
  const to = refuseUnless(decideInvestorCancellation(row.status as InvestmentStatus));
  const changed = await changeStatus(trx, row, to, cancellationDate, {
    cancellation_date: cancellationDate,
    cancellation_reason: to,
  });
  return investmentView(trx, changed, ctx);
}

/** The issuer's cancellation with a reason (spec §7). */
export async function cancelByIssuer(
  trx: Trx,
  issuerId: string | null,
  id: string,
  reason: IssuerCancellationReason,
  cancellationDate: string,
  ctx: ViewContext,
) {
  const row = await loadInvestment(trx, { kind: 'issuer', issuerId }, id, true);
  const inFlight = async (table: 'credits' | 'burns') =>
    (await trx
      .selectFrom(table)
      .select('id')
      .where('investment_id', '=', row.id)
      .where('status', 'in', ['processing', 'unknown'])
      .executeTakeFirst()) !== undefined;
  const decision = refuseUnless(
    decideIssuerCancellation(row.status as InvestmentStatus, reason, {
      receivedByTransfer: row.origin === 'TRANSFER',
      unitsTransferred: row.remaining_amount < row.units && row.status === 'DELIVERED',
      creditInFlight: await inFlight('credits'),
      burnInFlight: await inFlight('burns'),
    }),
  );
  // Delivered units leave the ledger first; the status follows when the burn is booked.
  if (decision.burn)
    return new WithStatus(202, await investmentView(trx, await requestBurn(trx, row, cancellationDate), ctx));
  const changed = await changeStatus(trx, row, decision.to, cancellationDate, {
    cancellation_date: cancellationDate,
    cancellation_reason: decision.to,
  });
  return investmentView(trx, changed, ctx);
}

export async function addSignedDocument(trx: Trx, platformId: string, id: string, doc: SignedDocumentInput) {
  const row = await loadInvestment(trx, { kind: 'platform', platformId }, id, true);
  const attached = await attachDocument(trx, row.id, platformId, doc, 'document_id');
  return signedDocumentView(attached);
}

export function signedDocumentView(row: { id: string; category: string; document_id: string; created_at: string }) {
  return {
    id: row.id,
    category: row.category as SignedDocumentInput['category'],
    document_id: row.document_id,
    created_at: row.created_at,
  };
}

/** Checks the investment is visible to the viewer; returns its id (for the signed-documents list). */
export async function requireInvestment(db: Db, viewer: InvestmentViewer, id: string): Promise<string> {
  return (await loadInvestment(db, viewer, id, false)).id;
}

const LIVE = ['PENDING', 'KYC_PENDING', 'REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE', 'ACCEPTED', 'PAID', 'DELIVERED'];

/** The funding status of one of the platform's campaigns. */
export async function fundingInformation(db: Db, platformId: string, productId: string, campaignId: string) {
  const campaign = await db
    .selectFrom('campaigns')
    .selectAll()
    .where('id', '=', campaignId)
    .where('product_id', '=', productId)
    .where('distribution_platform_id', '=', platformId)
    .executeTakeFirst();
  if (!campaign) throw notFound('campaign');
  const rows = await db
    .selectFrom('investments')
    .select(['status', 'signed_at'])
    .select((eb) => [
      eb.fn.sum<string>('units').as('units'),
      eb.fn.sum<string>(eb('units', '*', eb.ref('price_per_token'))).as('amount'),
      eb.fn.countAll<string>().as('count'),
      eb.fn.max('updated_at').as('updated_at'),
    ])
    .where('campaign_id', '=', campaignId)
    .where('status', 'in', LIVE)
    // Holdings received by transfer carry their source's campaign but raised nothing in it.
    .where('origin', '=', 'SUBSCRIPTION')
    .groupBy(['status', 'signed_at'])
    .execute();
  const sum = (statuses: string[], signedOnly = false) =>
    rows
      .filter((r) => statuses.includes(r.status) && (!signedOnly || r.signed_at !== null))
      .reduce((a, r) => a + BigInt(r.units), 0n);
  const raised = rows
    .filter((r) => r.status === 'PAID' || r.status === 'DELIVERED')
    .reduce((a, r) => a + BigInt(r.amount), 0n);
  // Timestamps sort as text (UTC, six fractional digits).
  const updatedAt = [campaign.updated_at, ...rows.map((r) => String(r.updated_at))].sort().at(-1)!;
  return {
    allocation: Number(campaign.allocation),
    units_signed: Number(sum(LIVE, true)),
    units_accepted: Number(sum(['ACCEPTED', 'PAID', 'DELIVERED'])),
    units_paid: Number(sum(['PAID', 'DELIVERED'])),
    units_delivered: Number(sum(['DELIVERED'])),
    units_available: Number(campaign.allocation - campaign.units_reserved),
    investments_count: rows.reduce((a, r) => a + Number(r.count), 0),
    amount_raised: Money.of(raised, campaign.currency).toJSON(),
    updated_at: updatedAt,
  };
}

/** A web-based subscription's link works this long after the investment was created. */
export const SUBSCRIPTION_LINK_DAYS = 30;

/**
 * The investment behind a subscription link (`start_url`), locked when asked; 404 when there is
 * none, 410 when the link has expired.
 */
export async function investmentBySubscriptionToken(trx: Db | Trx, token: string, lock = false) {
  const row = await trx
    .selectFrom('investments')
    .selectAll()
    .where('subscription_token', '=', token)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
  if (!row) throw notFound('subscription');
  if (Date.parse(row.created_at) + SUBSCRIPTION_LINK_DAYS * 86_400_000 < Date.now()) {
    throw new ApiError(
      410,
      'subscription_expired',
      'this subscription link has expired; ask your platform for a new one',
    );
  }
  return row;
}

/**
 * The investor signs a web-based subscription: the generated subscription form (a PDF stating the
 * consents) is stored as a document of the platform and attached under both required categories,
 * `signed_at` is set, and the investment moves on (KYC, review, acceptance) — in one transaction.
 */
export async function signWebSubscription(
  trx: Trx,
  token: string,
  form: { filename: string; content: Buffer },
  signedAt: string,
): Promise<InvestmentRow> {
  const row = await investmentBySubscriptionToken(trx, token, true);
  if (row.status !== 'PENDING') throw conflict('already_signed', `the investment is ${row.status}, not PENDING`);
  const document = await createDocument(
    trx,
    { kind: 'distribution_platform', platformId: row.distribution_platform_id },
    {
      filename: form.filename,
      content_type: 'application/pdf',
      size: form.content.length,
      sha256: createHash('sha256').update(form.content).digest('hex'),
      content: form.content,
    },
  );
  for (const category of ['effecta_cryptoregistry_tos', 'effecta_document'] as const) {
    await attachDocument(trx, row.id, row.distribution_platform_id, { category, document_id: document.id }, 'form');
  }
  const readiness = await trx
    .selectFrom('investors')
    .innerJoin('products', (join) => join.on('products.id', '=', row.product_id))
    .select(['investors.kyc_status', 'products.requires_review'])
    .where('investors.id', '=', row.investor_id)
    .forShare('investors')
    .executeTakeFirstOrThrow();
  // Signed and moved on in one change: a PENDING investment is never signed.
  return changeStatus(
    trx,
    row,
    signedStatus({
      kycSucceeded: readiness.kyc_status === 'SUCCESS',
      requiresReview: readiness.requires_review,
      reviewCompleted: row.review_completed_at !== null,
    }),
    signedAt,
    { signed_at: signedAt },
  );
}
