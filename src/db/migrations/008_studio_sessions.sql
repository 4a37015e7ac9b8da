-- Studio sessions: a random token in an HttpOnly cookie; only its SHA-256 is stored, so a copy of
-- the database opens no session. Sessions end at logout or after their lifetime.
create table studio_sessions (
  token_hash text primary key,
  studio_user_id uuid not null references studio_users (id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index studio_sessions_user on studio_sessions (studio_user_id);
create index studio_sessions_expiry on studio_sessions (expires_at);
