-- Webhook subscriptions, their deliveries (one per subscription and event) and every attempt;
-- e-mail recipients and delivery state.

create table webhooks (
  id uuid primary key,
  issuer_id uuid references issuers (id),
  distribution_platform_id uuid references distribution_platforms (id),
  url text not null,
  -- null: every event type.
  events text[],
  description text,
  -- whsec_… encrypted at rest (AES-256-GCM under WALLET_ENCRYPTION_KEY).
  encrypted_secret text not null,
  is_active boolean not null default true,
  disabled_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  check ((issuer_id is null) <> (distribution_platform_id is null))
);
create index webhooks_issuer on webhooks (issuer_id, created_at, id) where deleted_at is null;
create index webhooks_platform on webhooks (distribution_platform_id, created_at, id) where deleted_at is null;

create table webhook_deliveries (
  id uuid primary key,
  webhook_id uuid not null references webhooks (id),
  event_id uuid not null references events (id),
  event_seq bigint not null,
  -- Deliveries of one subscription keep the order of their investment's events.
  ordering_key text not null,
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  attempts integer not null default 0,
  -- Attempts since the last (re)delivery request: the position in the retry schedule.
  schedule_attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_status_code integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (webhook_id, event_id)
);
create index webhook_deliveries_pending on webhook_deliveries (webhook_id, ordering_key, event_seq) where status = 'pending';
create index webhook_deliveries_webhook on webhook_deliveries (webhook_id, created_at, id);

create table webhook_attempts (
  id uuid primary key,
  delivery_id uuid not null references webhook_deliveries (id),
  attempted_at timestamptz not null,
  status_code integer,
  latency_ms integer not null,
  response_excerpt text,
  error text,
  created_at timestamptz not null default now()
);
create index webhook_attempts_delivery on webhook_attempts (delivery_id, attempted_at);

alter table emails add column recipients text[];
alter table emails add column attempts integer not null default 0;
alter table emails add column last_error text;

-- UUIDv7 for rows made by set-based SQL (the application makes its own): the millisecond time
-- over the first 48 bits of a random v4 UUID, whose version bits 0100 are turned into 0111.
create or replace function kontor_uuidv7() returns uuid as $$
  select encode(
    set_bit(
      set_bit(
        overlay(uuid_send(gen_random_uuid())
          placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
          from 1 for 6),
        52, 1),
      53, 1),
    'hex')::uuid
$$ language sql volatile;
