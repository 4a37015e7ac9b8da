-- E-mails are sent by a drainer per issuer (the job `send_emails`, src/notifications/sender.ts)
-- instead of a job per e-mail: queuing a job (graphile_worker.add_job) was the most expensive
-- statement of creating an investment, and every e-mail then cost the workers a job of its own.
--
-- Waking a drainer (e-mails here, webhook deliveries since migration 010) queues its job only
-- where no drainer with that key is queued, due and not yet started: such a drainer will read what
-- the transaction wrote. Its row is locked FOR SHARE until the commit, so that it cannot start
-- (and miss rows not yet committed) in between; graphile-worker skips locked jobs and takes it up
-- after the commit. A drainer that has started or is queued for later is not relied on: the job is
-- queued again (add_job with its key: a new job beside a started one, a later one due now). A
-- transaction wakes each drainer once (remembered in a transaction-local setting). The e-mail
-- drainers' sweep (every minute, all issuers) is the safety net.

create function kontor_wake_drainer(task text, drainer text, payload json) returns void
language plpgsql as $$
declare
  woken text := coalesce(current_setting('kontor.woken_drainers', true), '');
begin
  if position(drainer || ' ' in woken) > 0 then
    return;
  end if;
  perform set_config('kontor.woken_drainers', woken || drainer || ' ', true);
  perform 1 from graphile_worker._private_jobs as jobs
    where jobs.key = drainer and jobs.is_available and jobs.run_at <= now()
    for share;
  if found then
    return;
  end if;
  perform graphile_worker.add_job(task, payload, job_key => drainer);
end
$$;

create or replace function kontor_wake_webhook_drainer() returns trigger language plpgsql as $$
begin
  perform kontor_wake_drainer(
    'deliver_webhooks',
    'deliver_webhooks:' || new.webhook_id::text,
    json_build_object('webhook_id', new.webhook_id)
  );
  return null;
end
$$;

-- A failed e-mail waits before its next attempt (e^attempts seconds, at most about 6 h: the
-- backoff graphile-worker gave the job per e-mail), however often its issuer's drainer runs.
alter table emails add column retry_at timestamptz;

-- The e-mails a drainer reads: never tried, or tried and failed (attempts > 0, not sent).
create index emails_due on emails (issuer_id, created_at, id)
  where sent_at is null and (recipients is null or attempts > 0);

create function kontor_wake_email_drainer() returns trigger language plpgsql as $$
begin
  perform kontor_wake_drainer(
    'send_emails',
    'send_emails:' || coalesce(new.issuer_id::text, 'none'),
    json_build_object('issuer_id', new.issuer_id)
  );
  return null;
end
$$;

create constraint trigger emails_wake_drainer
  after insert on emails
  deferrable initially deferred
  for each row
  execute function kontor_wake_email_drainer();
