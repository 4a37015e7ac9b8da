import type { Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import { enqueueJob } from '../jobs/queue.ts';

export interface NewEmail {
  issuerId: string;
  kind: 'investment_waiting_for_acceptance';
  subject: string;
  body: string;
  investmentId: string | null;
}

/**
 * Queues an e-mail to an issuer's Studio users in the transaction of its cause. Sending is a job
 * (SMTP when configured), so a dead mail server delays mail but never an API request.
 */
export async function enqueueEmail(trx: Trx, email: NewEmail): Promise<void> {
  const id = uuidv7();
  await trx
    .insertInto('emails')
    .values({
      id,
      issuer_id: email.issuerId,
      kind: email.kind,
      subject: email.subject,
      body: email.body,
      investment_id: email.investmentId,
    })
    .execute();
  await enqueueJob(trx, 'send_email', { email_id: id });
}
