import type { TaskList } from 'graphile-worker';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { purgeIdempotencyKeys } from '../http/idempotency.ts';
import { connectLedger, type Ledger } from '../ledger/chain.ts';
import { indexLedger } from '../ledger/indexer.ts';
import { processLedgerOperations } from '../ledger/operations.ts';
import { sendDueEmails, sendEmail } from '../notifications/sender.ts';
import { annualRunYear, registerKeeperOf } from '../registry/domain.ts';
import { issueAnnualStatements } from '../registry/service.ts';
import { deliverWebhooks, fanOutEvent, recoverWebhookDeliveries } from '../webhooks/delivery.ts';

/**
 * The one job mechanism (graphile-worker in the same database). Jobs are enqueued inside the
 * business transaction (`enqueueJob`), run here, and record their outcome in their own transaction.
 */
export function taskList(db: Db, config: Config, rpcUrl: string): TaskList {
  let ledger: Promise<Ledger> | null = null;
  const ledgerOnce = () => {
    ledger ??= connectLedger(config, rpcUrl).catch((error) => {
      ledger = null;
      throw error;
    });
    return ledger;
  };
  return {
    ledger_operations: async (_payload, helpers) => {
      // Another worker holds the registrar key: come back in a second.
      // A graceful shutdown aborts the job's waits for receipts (after graphile's 5 s).
      const jobLedger = { ...(await ledgerOnce()), abortSignal: helpers.abortSignal };
      const outcome = await processLedgerOperations(db, jobLedger, { creditBatchMax: config.creditBatchMax });
      if (outcome === 'busy') {
        await helpers.addJob('ledger_operations', {}, { runAt: new Date(Date.now() + 1000) });
        return;
      }
      // What was just mined is booked without waiting for the next poll.
      await helpers.addJob('index_ledger', {}, { jobKey: 'index_ledger_now' });
    },
    index_ledger: async (_payload, helpers) => {
      try {
        const report = await indexLedger(db, await ledgerOnce(), {
          confirmations: config.chainConfirmations,
          keeper: registerKeeperOf(config),
        });
        for (const h of report?.halted ?? [])
          helpers.logger.error(`ledger indexing halted for product ${h.product_id}: ${h.reason}`);
      } finally {
        // The indexer polls: one next look is always queued (its key keeps it to one).
        await helpers.addJob(
          'index_ledger',
          {},
          {
            jobKey: 'index_ledger_poll',
            runAt: new Date(Date.now() + config.ledgerPollMs),
          },
        );
      }
    },
    purge_idempotency_keys: async () => {
      await purgeIdempotencyKeys(db);
    },
    send_emails: async (payload, helpers) => {
      // Woken for one issuer; the crontab's sweep (no issuer_id) drains every issuer.
      const { tried, failed } = await sendDueEmails(db, config, (payload as { issuer_id?: string }).issuer_id);
      if (failed > 0) helpers.logger.warn(`e-mail: ${failed} of ${tried} not sent; retried later (emails.last_error)`);
    },
    send_email: async (payload) => {
      await sendEmail(db, config, (payload as { email_id: string }).email_id);
    },
    fan_out_event: async (payload) => {
      await fanOutEvent(db, (payload as { event_id: string }).event_id);
    },
    deliver_webhooks: async (payload) => {
      await deliverWebhooks(db, config, (payload as { webhook_id: string }).webhook_id);
    },
    recover_webhook_deliveries: async (payload) => {
      await recoverWebhookDeliveries(db, (payload as { window_hours?: number }).window_hours ?? 2);
    },
    annual_statements: async (payload, helpers) => {
      const result = await issueAnnualStatements(db, registerKeeperOf(config), annualRunYear(payload, new Date()));
      helpers.logger.info(`annual registry statements for ${result.year}: ${result.issued} issued`);
    },
  };
}

/**
 * Recurring jobs: idempotency keys are kept 48 h (every key lives at least the promised 24 h);
 * webhook deliveries are recovered every quarter hour (after a worker died mid-job); due e-mails
 * of every issuer are swept up every minute (what a wake-up missed, migration 011); the annual
 * registry statements of the year before are issued on 2 January at 00:30 UTC (the job takes the
 * year from its tick), and again every day of January after it: those runs are idempotent and
 * issue only what a missed or interrupted run left (usually nothing). No graphile backfill
 * (`?fill=`): it walks every minute of its window when the workers start.
 */
export const CRONTAB = [
  '17 * * * * purge_idempotency_keys',
  '*/15 * * * * recover_webhook_deliveries',
  '* * * * * send_emails',
  '30 0 2-31 1 * annual_statements',
].join('\n');
