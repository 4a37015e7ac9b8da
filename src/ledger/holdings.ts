/**
 * A wallet's holdings of a product in the register: its DELIVERED investments with units left.
 * Units leave a wallet first-in first-out in ledger order (where the units arrived on the ledger),
 * except that an investment whose units are being burned is taken last: its burn needs them.
 */
import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import type { InvestmentRow } from '../investments/lifecycle.ts';

/** The pure rule: which holdings give how many units, oldest first. Throws when they hold too few. */
export function takeFirstInFirstOut<T extends { remaining_amount: bigint }>(
  holdings: readonly T[],
  units: bigint,
): { holding: T; units: bigint }[] {
  if (units <= 0n) throw new RangeError(`units to take must be positive, got ${units}`);
  const slices: { holding: T; units: bigint }[] = [];
  let left = units;
  for (const holding of holdings) {
    if (left === 0n) break;
    // biome-ignore lint/complexity/useMathMinMax: bigints; Math.min takes numbers only.
    const take = holding.remaining_amount < left ? holding.remaining_amount : left;
    if (take > 0n) {
      slices.push({ holding, units: take });
      left -= take;
    }
  }
  if (left > 0n) throw new InsufficientHoldings(units, units - left);
  return slices;
}

/** A ledger log the register cannot book as it stands; the indexer stops there and says why. */
export class UnbookableLog extends Error {}

export class InsufficientHoldings extends Error {
  constructor(
    readonly wanted: bigint,
    readonly held: bigint,
  ) {
    super(`the register holds ${held} units there, ${wanted} were to leave`);
  }
}

/** The wallet's holdings in first-in first-out order, locked for the caller's change. */
export async function holdingsOf(trx: Trx, productId: string, walletId: string): Promise<InvestmentRow[]> {
  return trx
    .selectFrom('investments')
    .selectAll('investments')
    .where('product_id', '=', productId)
    .where('wallet_id', '=', walletId)
    .where('status', '=', 'DELIVERED')
    .where('remaining_amount', '>', 0n)
    .orderBy(
      (eb) =>
        eb.exists(
          eb
            .selectFrom('burns')
            .select('burns.id')
            .whereRef('burns.investment_id', '=', 'investments.id')
            .where('burns.status', 'in', ['processing', 'unknown']),
        ),
      'asc',
    )
    .orderBy(sql`ledger_block asc nulls last`)
    .orderBy(sql`ledger_log_index asc nulls last`)
    .orderBy('delivered_at')
    .orderBy('id')
    .forUpdate()
    .execute();
}

/**
 * Units the wallet holds in the register, and those a new transfer may move: what it holds less
 * what transfers and burns on their way to the ledger will take.
 */
export async function unitsFree(
  trx: Trx,
  productId: string,
  walletId: string,
  address: string,
): Promise<{ held: bigint; free: bigint }> {
  const held = await trx
    .selectFrom('investments')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('remaining_amount'), sql<string>`0`).as('units'))
    .where('product_id', '=', productId)
    .where('wallet_id', '=', walletId)
    .where('status', '=', 'DELIVERED')
    .executeTakeFirstOrThrow();
  const leaving = await trx
    .selectFrom('transfers')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('units'), sql<string>`0`).as('units'))
    .where('product_id', '=', productId)
    .where(sql`lower(from_address)`, '=', address.toLowerCase())
    .where('status', 'in', ['processing', 'unknown'])
    .executeTakeFirstOrThrow();
  const burning = await trx
    .selectFrom('burns')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('units'), sql<string>`0`).as('units'))
    .where('product_id', '=', productId)
    .where(sql`lower(wallet_address)`, '=', address.toLowerCase())
    .where('status', 'in', ['processing', 'unknown'])
    .executeTakeFirstOrThrow();
  return { held: BigInt(held.units), free: BigInt(held.units) - BigInt(leaving.units) - BigInt(burning.units) };
}
