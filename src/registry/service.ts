/**
 * Registry statements (spec §9): issued in the transaction of the register entry they document
 * (delivery: ISSUANCE), with their PDF, its SHA-256 and the `registry_statement.created` event;
 * once a year for every investment still holding units (ANNUAL, at most one per year).
 */
import { createHash } from 'node:crypto';
import { type Insertable, type SelectQueryBuilder, sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import type { Database, RegistryStatementsTable } from '../db/schema.ts';
import { recordEvents } from '../events/outbox.ts';
import { invalidField, notFound } from '../http/errors.ts';
import { type InvestmentViewer, requireInvestment } from '../investments/service.ts';
import {
  annualYearProblem,
  endOfYear,
  partyAddress,
  partyName,
  type RegisterKeeper,
  reasonLabel,
  type StatementFacts,
  type StatementReason,
  statementText,
} from './domain.ts';
import { renderStatementPdf } from './pdf.ts';

/** Every column but `content`: metadata reads never load a statement's PDF. */
const META_COLUMNS = [
  'registry_statements.id',
  'registry_statements.investment_id',
  'registry_statements.reason',
  'registry_statements.units',
  'registry_statements.remaining_amount',
  'registry_statements.sha256',
  'registry_statements.created_at',
] as const;

export interface StatementMeta {
  id: string;
  investment_id: string;
  reason: StatementReason;
  units: bigint;
  remaining_amount: bigint;
  sha256: string;
  created_at: string;
}

/** The JSON record of spec §9. */
export function statementView(row: StatementMeta) {
  return {
    id: row.id,
    investment_id: row.investment_id,
    reason: row.reason,
    units: Number(row.units),
    remaining_amount: Number(row.remaining_amount),
    created_at: row.created_at,
    sha256: row.sha256,
  };
}
export type StatementView = ReturnType<typeof statementView>;

export interface IssueOptions {
  keeper: RegisterKeeper;
  /** The ledger transaction of the entry (the mint for ISSUANCE). */
  transactionHash?: string | null;
  /** The units the entry concerns; by default the investment's units for ISSUANCE, else the units held. */
  units?: bigint;
  /** The units held that the statement states; by default those held now (ANNUAL: at the year's end). */
  remainingAmount?: bigint;
  /** The year of an ANNUAL statement (required for it, refused for any other reason). */
  year?: number;
  now?: Date;
}

/** The columns a statement states, joined from the investment, product, issuer, holder and wallet. */
function factsQuery(trx: Trx) {
  return trx
    .selectFrom('investments as i')
    .innerJoin('products as p', 'p.id', 'i.product_id')
    .innerJoin('issuers as s', 's.id', 'i.issuer_id')
    .innerJoin('investors as v', 'v.id', 'i.investor_id')
    .leftJoin('wallets as w', 'w.id', 'i.wallet_id')
    .select([
      'i.id',
      'i.units',
      'i.remaining_amount',
      'i.issuer_id',
      'i.distribution_platform_id',
      'i.investor_id',
      'p.name',
      'p.product_type',
      'p.isin',
      'p.asset_code',
      'p.currency',
      'p.nominal_value',
      'p.issuance_price',
      'p.max_issuable_amount',
      'p.token_chain_id',
      'p.token_contract_address',
      's.natural_person as issuer_natural_person',
      's.legal_person as issuer_legal_person',
      'v.natural_person as investor_natural_person',
      'v.legal_person as investor_legal_person',
      'w.address as wallet_address',
    ]);
}
type FactsRow = Awaited<ReturnType<ReturnType<typeof factsQuery>['execute']>>[number];

/** What the statements of these investments state, read in the caller's transaction (after its change). */
async function factsOfMany(trx: Trx, investmentIds: string[]) {
  const rows = await factsQuery(trx).where('i.id', 'in', investmentIds).execute();
  return new Map(rows.map((row) => [row.id, { row, facts: factsOfRow(row) }]));
}

function factsOfRow(row: FactsRow) {
  const facts: Pick<StatementFacts, 'investmentId' | 'remainingAmount' | 'security' | 'holder' | 'ledger'> = {
    investmentId: row.id,
    remainingAmount: row.remaining_amount,
    security: {
      name: row.name,
      productType: row.product_type,
      isin: row.isin,
      assetCode: row.asset_code,
      issuer: partyName(row.issuer_natural_person, row.issuer_legal_person),
      currency: row.currency,
      nominalValue: row.nominal_value,
      issuancePrice: row.issuance_price,
      maxIssuableAmount: row.max_issuable_amount,
    },
    holder: {
      name: partyName(row.investor_natural_person, row.investor_legal_person),
      address: partyAddress(row.investor_natural_person, row.investor_legal_person),
      investorId: row.investor_id,
      walletAddress: row.wallet_address,
    },
    ledger: { chainId: row.token_chain_id, contractAddress: row.token_contract_address, transactionHash: null },
  };
  return facts;
}

/**
 * Issues a statement of an investment in the caller's transaction: renders the PDF, stores it with
 * its SHA-256 and records `registry_statement.created`. Returns null (and changes nothing) when an
 * ANNUAL statement of that year exists already.
 */
export async function issueStatement(
  trx: Trx,
  investmentId: string,
  reason: StatementReason,
  options: IssueOptions,
): Promise<StatementView | null> {
  return (await issueStatements(trx, [{ investmentId, reason, options }]))[0]!;
}

export interface StatementRequest {
  investmentId: string;
  reason: StatementReason;
  options: IssueOptions;
}

/**
 * Inserts registry statements; an ANNUAL one already issued for its investment and year is
 * skipped (its partial unique index). The index's predicate is a literal, not a parameter: a
 * prepared statement's generic plan could not match a parameter to it (SQLSTATE 42P10).
 */
export function insertStatements(trx: Trx, values: Insertable<RegistryStatementsTable>[]) {
  return trx
    .insertInto('registry_statements')
    .values(values)
    .onConflict((oc) => oc.columns(['investment_id', 'year']).where('reason', '=', sql.lit('ANNUAL')).doNothing())
    .returning(META_COLUMNS)
    .execute();
}

/** Several statements in a few statements of SQL (a batch of credits issues up to 250 at once); in the order given. */
export async function issueStatements(trx: Trx, requests: StatementRequest[]): Promise<(StatementView | null)[]> {
  if (requests.length === 0) return [];
  const factsById = await factsOfMany(trx, [...new Set(requests.map((r) => r.investmentId))]);
  const values = requests.map(({ investmentId, reason, options }) => {
    const year = options.year ?? null;
    if ((reason === 'ANNUAL') !== (year !== null)) {
      throw new Error(`a year is given for ANNUAL statements and only for them (${reason}, ${year})`);
    }
    const found = factsById.get(investmentId);
    if (!found) throw notFound('investment');
    const { row, facts: current } = found;
    const remainingAmount = options.remainingAmount ?? row.remaining_amount;
    const facts = { ...current, remainingAmount };
    const units = options.units ?? (reason === 'ISSUANCE' ? row.units : remainingAmount);
    const id = uuidv7();
    const createdAt = (options.now ?? new Date()).toISOString();
    const transactionHash = options.transactionHash ?? null;
    const text = statementText({
      ...facts,
      statementId: id,
      reason,
      year,
      createdAt,
      units,
      keeper: options.keeper,
      ledger: { ...facts.ledger, transactionHash },
    });
    const content = renderStatementPdf(text, { createdAt, subject: reasonLabel(reason, year) });
    return {
      id,
      investment_id: row.id,
      reason,
      units,
      remaining_amount: remainingAmount,
      chain_transaction_hash: transactionHash,
      year,
      content,
      sha256: createHash('sha256').update(content).digest('hex'),
      created_at: createdAt,
    };
  });
  const inserted = await insertStatements(trx, values);
  const byId = new Map(inserted.map((r) => [r.id, r]));
  const issued = values.filter((v) => byId.has(v.id));
  await recordEvents(
    trx,
    issued.map((v) => {
      const { row } = factsById.get(v.investment_id)!;
      return {
        type: 'registry_statement.created',
        issuerId: row.issuer_id,
        platformId: row.distribution_platform_id,
        investmentId: row.id,
        data: { investment_id: row.id, registry_statement_id: v.id, reason: v.reason },
      };
    }),
  );
  return values.map((v) => {
    const row = byId.get(v.id);
    return row ? statementView(row) : null;
  });
}

/**
 * The base query of an investment's statements for `paginate` (which selects every column of the
 * table it is given): a derived table named `registry_statements` without `content`.
 */
export function statementsListBase(db: Db, investmentId: string) {
  const meta = db
    .selectFrom('registry_statements')
    .select(META_COLUMNS)
    .where('registry_statements.investment_id', '=', investmentId)
    .as('registry_statements');
  return db.selectFrom(meta) as unknown as SelectQueryBuilder<Database, 'registry_statements', object>;
}

export async function getStatement(db: Db, viewer: InvestmentViewer, investmentId: string, statementId: string) {
  const id = await requireInvestment(db, viewer, investmentId);
  const row = await db
    .selectFrom('registry_statements')
    .select(META_COLUMNS)
    .where('registry_statements.investment_id', '=', id)
    .where('registry_statements.id', '=', statementId)
    .executeTakeFirst();
  if (!row) throw notFound('registry statement');
  return statementView(row);
}

export async function getStatementContent(
  db: Db,
  viewer: InvestmentViewer,
  investmentId: string,
  statementId: string,
): Promise<{ statement: StatementView; content: Buffer }> {
  const id = await requireInvestment(db, viewer, investmentId);
  const row = await db
    .selectFrom('registry_statements')
    .select([...META_COLUMNS, 'registry_statements.content'])
    .where('registry_statements.investment_id', '=', id)
    .where('registry_statements.id', '=', statementId)
    .executeTakeFirst();
  if (!row) throw notFound('registry statement');
  return { statement: statementView(row), content: row.content };
}

const ANNUAL_BATCH = 100;

/**
 * The units an investment held at a moment, from its statements: every change of
 * `remaining_amount` issues one in the transaction that makes it, so the last one before the
 * moment states what was held then (none: nothing was held yet).
 */
function heldAt(end: string) {
  return sql<string | null>`(
    select s.remaining_amount from registry_statements s
     where s.investment_id = investments.id and s.reason <> 'ANNUAL' and s.created_at < ${end}::timestamptz
     order by s.created_at desc, s.id desc limit 1)`;
}

/**
 * The yearly run: one ANNUAL statement of `year` for every investment that held units when the
 * year ended, stating those units (a transfer or cancellation after 31 December does not change
 * the statement of that year), each in its own transaction. Idempotent: an investment that has its
 * statement of that year is skipped (and the unique index settles a concurrent run).
 */
export async function issueAnnualStatements(
  db: Db,
  keeper: RegisterKeeper,
  year: number,
  now?: Date,
): Promise<{ year: number; issued: number }> {
  const problem = annualYearProblem(year, now ?? new Date());
  if (problem) throw invalidField('year', problem);
  const end = endOfYear(year);
  let issued = 0;
  let after: string | null = null;
  for (;;) {
    const batch: { id: string; held: string | null }[] = await db
      .selectFrom('investments')
      .select(['investments.id', heldAt(end).as('held')])
      .where('investments.delivered_at', '<', end)
      .where(heldAt(end), '>', sql<string>`0`)
      .$if(after !== null, (q) => q.where('investments.id', '>', after!))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('registry_statements')
              .select('registry_statements.id')
              .whereRef('registry_statements.investment_id', '=', 'investments.id')
              .where('registry_statements.reason', '=', 'ANNUAL')
              .where('registry_statements.year', '=', year),
          ),
        ),
      )
      .orderBy('investments.id')
      .limit(ANNUAL_BATCH)
      .execute();
    for (const { id, held } of batch) {
      // The year is over: what was held at its end cannot change any more.
      const units = BigInt(held!);
      const statement = await db
        .transaction()
        .execute(async (trx) =>
          issueStatement(trx, id, 'ANNUAL', { keeper, year, now, units, remainingAmount: units }),
        );
      if (statement) issued += 1;
    }
    if (batch.length < ANNUAL_BATCH) return { year, issued };
    after = batch.at(-1)!.id;
  }
}
