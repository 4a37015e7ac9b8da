-- The ledger side: every transaction Kontor signs (its nonce ledger) and the crediting tasks.

-- Invariant 3: a transaction is signed and stored (raw bytes, hash, nonce) before it is broadcast,
-- so that after any crash or time-out it can be found, re-sent as it was, or reconciled.
create table chain_transactions (
  id uuid primary key,
  chain_id bigint not null,
  signer text not null,
  nonce bigint not null,
  kind text not null,
  raw_transaction text not null,
  hash text not null unique,
  status text not null check (status in ('signed', 'mined', 'reverted', 'dropped')),
  block_number bigint,
  gas_used bigint,
  contract_address text,
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (chain_id, signer, nonce)
);

create table credits (
  id uuid primary key,
  investment_id uuid not null references investments (id),
  product_id uuid not null references products (id),
  -- bytes32 carried by the mint; the contract refuses it a second time.
  operation_id text not null unique,
  status text not null check (status in ('processing', 'failed', 'succeeded', 'unknown')),
  wallet_address text not null,
  units bigint not null check (units > 0),
  chain_transaction_id uuid references chain_transactions (id),
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- At most one live credit per investment: a second POST returns it (a failed one may be retried).
create unique index credits_one_live on credits (investment_id) where status in ('processing', 'succeeded', 'unknown');
create index credits_pending on credits (created_at) where status = 'processing' and chain_transaction_id is null;
create index credits_investment on credits (investment_id, created_at, id);

-- Wallets registered on a product's token contract.
create table token_wallet_registrations (
  product_id uuid not null references products (id),
  address text not null,
  chain_transaction_id uuid references chain_transactions (id),
  created_at timestamptz not null default now(),
  primary key (product_id, address)
);
