-- Investments (spec §7), their signed documents and status history; the event outbox that
-- webhooks and GET /events/ read; e-mails waiting to be sent.

create table investments (
  id uuid primary key,
  investor_id uuid not null references investors (id),
  campaign_id uuid not null references campaigns (id),
  product_id uuid not null references products (id),
  -- Denormalised owners: every read filters by one of them (invariant 7).
  issuer_id uuid not null references issuers (id),
  distribution_platform_id uuid not null references distribution_platforms (id),
  status text not null check (status in ('PENDING', 'KYC_PENDING', 'REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE',
    'ACCEPTED', 'PAID', 'DELIVERED', 'KYC_INSUFFICIENT', 'ABORTION', 'REJECTION', 'CANCELLATION', 'PAYMENT_MISSING')),
  units bigint not null check (units > 0),
  -- The campaign's terms when the investment was made (a campaign's terms never change, but the
  -- investment keeps its own copy so that its amounts never depend on another row).
  currency text not null,
  price_per_token bigint not null check (price_per_token >= 0),
  agio_percent numeric not null,
  disagio bigint not null default 0 check (disagio >= 0),
  -- Accrued interest frozen at acceptance (value date = the date of accepted_at).
  accrued_interest_at_acceptance bigint,
  remaining_amount bigint not null default 0 check (remaining_amount >= 0 and remaining_amount <= units),
  wallet_id uuid references wallets (id),
  signed_at timestamptz,
  accepted_at timestamptz,
  paid_at timestamptz,
  delivered_at timestamptz,
  review_completed_at timestamptz,
  cancellation_date timestamptz,
  cancellation_reason text,
  credit_requested_at timestamptz,
  -- Web-based subscription: the secret part of start_url.
  subscription_token text unique,
  payment_reference text not null unique,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- PENDING: not signed yet; every status after signing has signed_at. A web subscription may
  -- end (ABORTION, REJECTION, KYC_INSUFFICIENT) without ever being signed.
  check (status <> 'PENDING' or signed_at is null),
  check (signed_at is not null or status in ('PENDING', 'ABORTION', 'REJECTION', 'KYC_INSUFFICIENT'))
);
create index investments_platform on investments (distribution_platform_id, created_at, id);
create index investments_issuer on investments (issuer_id, created_at, id);
create index investments_investor on investments (investor_id, status);
create index investments_campaign on investments (campaign_id, status);

create table investment_documents (
  id uuid primary key,
  investment_id uuid not null references investments (id),
  category text not null check (category in ('effecta_cryptoregistry_tos', 'effecta_document')),
  document_id uuid not null references documents (id),
  created_at timestamptz not null default now(),
  unique (investment_id, category, document_id)
);
create index investment_documents_investment on investment_documents (investment_id, created_at, id);

create table investment_status_changes (
  id uuid primary key,
  investment_id uuid not null references investments (id),
  previous_status text,
  status text not null,
  changed_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index investment_status_changes_investment on investment_status_changes (investment_id, created_at, id);

-- Invariant 5: an event is written in the transaction of the change that causes it.
create table events (
  id uuid primary key,
  seq bigserial not null unique,
  type text not null,
  -- Who may see it: the issuer of the product and the platform of the investment.
  issuer_id uuid references issuers (id),
  distribution_platform_id uuid references distribution_platforms (id),
  investment_id uuid references investments (id),
  data jsonb not null,
  created_at timestamptz not null default now()
);
create index events_issuer on events (issuer_id, seq);
create index events_platform on events (distribution_platform_id, seq);

create table emails (
  id uuid primary key,
  issuer_id uuid references issuers (id),
  kind text not null,
  subject text not null,
  body text not null,
  investment_id uuid references investments (id),
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index emails_unsent on emails (created_at) where sent_at is null;
