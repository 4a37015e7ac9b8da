-- Events fan out to their webhook subscriptions in the transaction that records them (one
-- statement, src/events/outbox.ts) instead of in a job per event; a subscription's drainer is
-- woken when such a transaction commits.
--
-- The drainer's job has a key per subscription, so waking it locks that job's row. Done by a
-- statement, the lock would be held until the client's next round trip and concurrent changes for
-- one subscription would queue behind each other; as a deferred constraint trigger it runs inside
-- COMMIT. A transaction wakes each subscription once (the woken ones are remembered in a
-- transaction-local setting), however many deliveries it creates.
create function kontor_wake_webhook_drainer() returns trigger language plpgsql as $$
declare
  woken text := coalesce(current_setting('kontor.woken_webhooks', true), '');
begin
  if position(new.webhook_id::text in woken) > 0 then
    return null;
  end if;
  perform set_config('kontor.woken_webhooks', woken || new.webhook_id::text || ' ', true);
  perform graphile_worker.add_job(
    'deliver_webhooks',
    json_build_object('webhook_id', new.webhook_id),
    job_key => 'deliver_webhooks:' || new.webhook_id::text
  );
  return null;
end
$$;

create constraint trigger webhook_deliveries_wake_drainer
  after insert on webhook_deliveries
  deferrable initially deferred
  for each row
  execute function kontor_wake_webhook_drainer();
