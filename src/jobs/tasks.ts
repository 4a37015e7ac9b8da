import type { TaskList } from 'graphile-worker';
import type { Db } from '../db/database.ts';
import { purgeIdempotencyKeys } from '../http/idempotency.ts';

/**
 * The one job mechanism (graphile-worker in the same database). Later issues add crediting,
 * webhook delivery, e-mail and registry statements here; jobs are enqueued inside the business
 * transaction with `graphile_worker.add_job`.
 */
export function taskList(db: Db): TaskList {
  return {
    purge_idempotency_keys: async () => {
      await purgeIdempotencyKeys(db);
    },
  };
}

/** Recurring jobs: keys are kept 48 h, so that every key lives at least the promised 24 h. */
export const CRONTAB = '17 * * * * purge_idempotency_keys';
