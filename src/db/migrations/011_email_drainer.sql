-- E-mails are sent by a drainer per issuer (the job `send_emails`, src/notifications/sender.ts)
-- instead of a job per e-mail: queuing a job (graphile_worker.add_job) was the most expensive
-- statement of creating an investment, and every e-mail then cost the workers a job of its own.
--
-- An e-mail wakes its issuer's drainer when its transaction commits (a deferred constraint trigger,
-- as for webhooks in migration 010), and only where no drainer of that issuer is queued, due and
-- not yet started: such a drainer will read the e-mail. The queued drainer's row is locked FOR
-- SHARE until the commit, so that it cannot start (and miss the e-mail, not yet committed) in
-- between; graphile-worker skips locked jobs and takes it up after the commit. A drainer that has
-- started is not relied on: a new one is queued. The drainers' sweep (every minute, all issuers)
-- is the safety net.

-- The e-mails a drainer reads: never tried, or tried and failed (attempts > 0, not sent).
create index emails_due on emails (issuer_id, created_at, id)
  where sent_at is null and (recipients is null or attempts > 0);

create function kontor_wake_email_drainer() returns trigger language plpgsql as $$
declare
  drainer text := 'send_emails:' || coalesce(new.issuer_id::text, 'none');
  woken text := coalesce(current_setting('kontor.woken_email_drainers', true), '');
begin
  if position(drainer in woken) > 0 then
    return null;
  end if;
  perform set_config('kontor.woken_email_drainers', woken || drainer || ' ', true);
  perform 1 from graphile_worker._private_jobs as jobs
    where jobs.key = drainer and jobs.is_available and jobs.run_at <= now()
    for share;
  if found then
    return null;
  end if;
  perform graphile_worker.add_job(
    'send_emails',
    json_build_object('issuer_id', new.issuer_id),
    job_key => drainer
  );
  return null;
end
$$;

create constraint trigger emails_wake_drainer
  after insert on emails
  deferrable initially deferred
  for each row
  execute function kontor_wake_email_drainer();
