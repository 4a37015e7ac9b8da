-- Registry statements (spec §9): the register extract of one investment, as issued. The PDF is
-- kept as it was handed out (its SHA-256 is the download's ETag); a statement is never changed.

create table registry_statements (
  id uuid primary key,
  investment_id uuid not null references investments (id),
  reason text not null check (reason in ('ISSUANCE', 'TRANSFER_OUT', 'TRANSFER_IN', 'REDEMPTION', 'CANCELLATION', 'ANNUAL')),
  -- The units the entry concerns (credited, transferred, redeemed, cancelled; for ANNUAL the units
  -- held) and the units still held from the investment after it.
  units bigint not null check (units >= 0),
  remaining_amount bigint not null check (remaining_amount >= 0),
  -- The ledger transaction of the entry (the mint for ISSUANCE); none for ANNUAL.
  chain_transaction_hash text,
  -- The year an ANNUAL statement is for; only ANNUAL statements have one.
  year int check ((reason = 'ANNUAL') = (year is not null)),
  content bytea not null,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now()
);
create index registry_statements_investment on registry_statements (investment_id, created_at, id);
-- One annual statement per investment and year: the yearly run can be repeated safely.
create unique index registry_statements_annual on registry_statements (investment_id, year) where reason = 'ANNUAL';
-- The yearly run reads the investments that still hold units.
create index investments_holding on investments (id) where remaining_amount > 0;
