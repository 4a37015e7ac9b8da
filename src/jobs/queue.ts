import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';

export interface JobOptions {
  /** Not before this time (RFC 3339). */
  runAt?: string;
  /** At most one waiting job per key: a later add replaces it (graphile-worker `job_key`). */
  jobKey?: string;
  maxAttempts?: number;
}

/**
 * Enqueues a job in the caller's transaction (graphile-worker's `add_job`): it exists exactly when
 * the change that asked for it commits.
 */
export async function enqueueJob(trx: Trx, task: string, payload: Record<string, unknown>, options: JobOptions = {}) {
  await sql`select graphile_worker.add_job(
    ${task},
    ${JSON.stringify(payload)}::json,
    run_at => ${options.runAt ?? null}::timestamptz,
    job_key => ${options.jobKey ?? null},
    max_attempts => ${options.maxAttempts ?? 25}
  )`.execute(trx);
}
