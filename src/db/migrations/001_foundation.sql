-- Foundation: principals, API clients, idempotency, products, campaigns, investors, wallets, documents.
-- Money columns are bigint minor units of the row's currency (invariant 8); units are bigint.

create table kontor_settings (
  key text primary key,
  value text not null
);

create table issuers (
  id uuid primary key,
  natural_person jsonb,
  legal_person jsonb,
  bank_account jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (natural_person is not null or legal_person is not null)
);

create table distribution_platforms (
  id uuid primary key,
  platform_company_name text not null,
  web_subscription_enabled boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table issuer_platform_allowances (
  issuer_id uuid not null references issuers (id),
  distribution_platform_id uuid not null references distribution_platforms (id),
  is_allowed boolean not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (issuer_id, distribution_platform_id)
);

create table api_clients (
  id uuid primary key,
  client_id text not null unique,
  secret_hash text not null,
  name text not null,
  scopes text[] not null,
  principal_type text not null check (principal_type in ('issuer', 'distribution_platform', 'registrar')),
  issuer_id uuid references issuers (id),
  distribution_platform_id uuid references distribution_platforms (id),
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  check ((principal_type = 'issuer') = (issuer_id is not null)),
  check ((principal_type = 'distribution_platform') = (distribution_platform_id is not null))
);

create table studio_users (
  id uuid primary key,
  issuer_id uuid references issuers (id),
  email text not null,
  password_hash text not null,
  created_at timestamptz not null default now()
);
create unique index studio_users_email on studio_users (lower(email));

-- Invariant 6: the stored response of an idempotent request, written in the transaction of its effect.
create table idempotency_keys (
  api_client_id uuid not null references api_clients (id),
  method text not null,
  path text not null,
  key text not null,
  request_hash text not null,
  response_status integer not null,
  response_body text not null,
  created_at timestamptz not null default now(),
  primary key (api_client_id, method, path, key)
);
create index idempotency_keys_created_at on idempotency_keys (created_at);

create table products (
  id uuid primary key,
  issuer_id uuid not null references issuers (id),
  name text not null,
  product_type text not null,
  ewpg boolean not null,
  isin text,
  asset_code text not null,
  currency text not null,
  nominal_value bigint,
  issuance_price bigint,
  max_issuable_amount bigint not null check (max_issuable_amount > 0),
  step_size bigint not null default 1 check (step_size > 0),
  payment_deadline integer,
  cancellation_deadline integer,
  interest_rate numeric,
  day_count_convention text,
  interest_start_date date,
  interest_frequency text,
  maturity_date date,
  requires_review boolean not null default false,
  status text not null,
  token_chain_id bigint,
  token_contract_address text,
  token_deployed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (nominal_value is not null or issuance_price is not null)
);
create unique index products_isin on products (isin) where isin is not null;
create index products_issuer on products (issuer_id, created_at, id);

create table listings (
  id uuid primary key,
  product_id uuid not null references products (id),
  distribution_platform_id uuid not null references distribution_platforms (id),
  created_at timestamptz not null default now(),
  unique (product_id, distribution_platform_id)
);

create table campaigns (
  id uuid primary key,
  product_id uuid not null references products (id),
  distribution_platform_id uuid not null references distribution_platforms (id),
  name text not null,
  allocation bigint not null check (allocation > 0),
  currency text not null,
  price_per_token bigint not null check (price_per_token >= 0),
  min_number_of_tokens bigint not null,
  max_number_of_tokens bigint not null,
  legal_persons_allowed boolean not null,
  natural_persons_allowed boolean not null,
  country text not null,
  rule_type text not null check (rule_type in ('public_offering', 'minimum_investment_amount')),
  minimum_investment_amount bigint,
  agio_percent numeric not null default 0,
  is_campaign_active boolean not null,
  -- Units held by live investments (invariant 1: never above the allocation).
  units_reserved bigint not null default 0 check (units_reserved >= 0 and units_reserved <= allocation),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (min_number_of_tokens >= 1 and min_number_of_tokens <= max_number_of_tokens)
);
create index campaigns_product on campaigns (product_id, created_at, id);

create table investors (
  id uuid primary key,
  distribution_platform_id uuid not null references distribution_platforms (id),
  natural_person jsonb,
  legal_person jsonb,
  communication jsonb,
  bank_account jsonb,
  tax_information jsonb,
  is_beneficiary boolean,
  kyc_status text not null default 'PENDING',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((natural_person is null) <> (legal_person is null))
);
create index investors_platform on investors (distribution_platform_id, created_at, id);

create table identifications (
  id uuid primary key,
  investor_id uuid not null references investors (id),
  document_type text not null,
  document_id text not null,
  document_issuer text,
  document_valid_from date,
  document_valid_to date not null,
  identity_provider text,
  legitimation_process_id text,
  legitimation_protocol_id text,
  verified_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index identifications_investor on identifications (investor_id, created_at, id);

create table benefiting_persons (
  id uuid primary key,
  investor_id uuid not null references investors (id),
  natural_person jsonb not null,
  created_at timestamptz not null default now()
);
create index benefiting_persons_investor on benefiting_persons (investor_id, created_at, id);

create table wallets (
  id uuid primary key,
  investor_id uuid not null references investors (id),
  type text not null check (type in ('eth-generic', 'eth-managed')),
  address text not null,
  receiving_enabled boolean not null,
  -- AES-256-GCM under WALLET_ENCRYPTION_KEY: iv.tag.ciphertext, base64url.
  encrypted_private_key text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((type = 'eth-managed') = (encrypted_private_key is not null))
);
-- One address belongs to one investor, whatever its letter case.
create unique index wallets_address on wallets (lower(address));
create index wallets_investor on wallets (investor_id, created_at, id);

create table documents (
  id uuid primary key,
  issuer_id uuid references issuers (id),
  distribution_platform_id uuid references distribution_platforms (id),
  filename text not null,
  content_type text not null,
  size bigint not null,
  sha256 text not null,
  content bytea not null,
  created_at timestamptz not null default now(),
  check ((issuer_id is null) <> (distribution_platform_id is null))
);
