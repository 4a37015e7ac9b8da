-- Transfers (spec §10), burns of cancelled deliveries, the ledger indexer's cursors, and the
-- holdings that transfers create.

-- A holding received by a transfer is an investment of the receiver (origin TRANSFER): registry
-- statements, remaining_amount and events hang off investments, so the receiver's units are booked
-- the same way as a subscription's. It keeps the campaign and price of the investment its units
-- came from (source_investment_id) and was never signed, accepted or paid.
alter table investments
  add column origin text not null default 'SUBSCRIPTION' check (origin in ('SUBSCRIPTION', 'TRANSFER')),
  add column source_investment_id uuid references investments (id),
  -- Where on the ledger the units arrived (block, log index): the first-in first-out order of a
  -- wallet's holdings is ledger order, whatever order the bookings were written in.
  add column ledger_block bigint,
  add column ledger_log_index int;
-- The unnamed check of 003 that every status after PENDING is signed, found by its definition.
do $$
declare name text;
begin
  select conname into strict name from pg_constraint
   where conrelid = 'investments'::regclass and contype = 'c'
     and pg_get_constraintdef(oid) like '%signed_at IS NOT NULL%';
  execute format('alter table investments drop constraint %I', name);
end $$;
alter table investments add constraint investments_signed_unless_pending check (
  signed_at is not null or origin = 'TRANSFER' or status in ('PENDING', 'ABORTION', 'REJECTION', 'KYC_INSUFFICIENT'));
alter table investments add constraint investments_transfer_origin check (
  (origin = 'TRANSFER') = (source_investment_id is not null));
create index investments_holdings on investments (product_id, wallet_id) where remaining_amount > 0;

create table transfers (
  id uuid primary key,
  product_id uuid not null references products (id),
  -- Denormalised owners for visibility (invariant 7): the product's issuer and the platforms of
  -- both wallets' investors (null where Kontor knows no wallet with the address).
  issuer_id uuid not null references issuers (id),
  from_platform_id uuid references distribution_platforms (id),
  to_platform_id uuid references distribution_platforms (id),
  -- 'api': requested through POST /transfers/ and executed by the registrar (forcedTransfer);
  -- 'ledger': an ordinary ERC-20 transfer a holder made, found by the indexer.
  source text not null check (source in ('api', 'ledger')),
  from_address text not null,
  to_address text not null,
  -- The register's wallets with those addresses (always known: only registered wallets hold units).
  from_wallet_id uuid not null references wallets (id),
  to_wallet_id uuid not null references wallets (id),
  units bigint not null check (units > 0),
  status text not null check (status in ('processing', 'failed', 'succeeded', 'unknown')),
  -- bytes32 of the registrar's forcedTransfer; API transfers only.
  operation_id text unique,
  chain_transaction_id uuid references chain_transactions (id),
  -- Where the transfer was booked from: its Transfer log.
  transaction_hash text,
  block_number bigint,
  log_index int,
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((source = 'api') = (operation_id is not null)),
  -- The indexer books a log once, however often it reads it.
  unique (transaction_hash, log_index)
);
create index transfers_product on transfers (product_id, created_at, id);
create index transfers_issuer on transfers (issuer_id, created_at, id);
create index transfers_from_platform on transfers (from_platform_id, created_at, id);
create index transfers_to_platform on transfers (to_platform_id, created_at, id);
create index transfers_pending on transfers (created_at) where status = 'processing' and chain_transaction_id is null;

alter table investments add column transfer_id uuid references transfers (id);
alter table investments add constraint investments_transfer_of_origin check ((origin = 'TRANSFER') = (transfer_id is not null));

-- A burn of a delivered investment's units (the issuer's CANCELLATION); the investment becomes
-- CANCELLATION when the burn is booked from the ledger.
create table burns (
  id uuid primary key,
  investment_id uuid not null references investments (id),
  product_id uuid not null references products (id),
  operation_id text not null unique,
  status text not null check (status in ('processing', 'failed', 'succeeded', 'unknown')),
  wallet_address text not null,
  units bigint not null check (units > 0),
  cancellation_date timestamptz not null,
  chain_transaction_id uuid references chain_transactions (id),
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index burns_one_live on burns (investment_id) where status in ('processing', 'succeeded', 'unknown');
create index burns_pending on burns (created_at) where status = 'processing' and chain_transaction_id is null;

-- How far the indexer has booked each token contract: the last block fully booked and its hash
-- (a different hash there later means a reorganisation deeper than the confirmation depth).
create table ledger_cursors (
  product_id uuid primary key references products (id),
  chain_id bigint not null,
  contract_address text not null,
  block_number bigint not null,
  block_hash text not null,
  -- Set when the indexer stopped on something it must not book by itself (a reorganisation, a
  -- log the register cannot explain); cleared when it moves again.
  halted text,
  updated_at timestamptz not null default now()
);
