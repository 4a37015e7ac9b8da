import type { Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';

export interface NewEmail {
  issuerId: string;
  kind: 'investment_waiting_for_acceptance';
  subject: string;
  body: string;
  investmentId: string | null;
}

/**
 * Queues an e-mail to an issuer's Studio users in the transaction of its cause. Its issuer's
 * drainer sends it (SMTP when configured) after the commit (migration 011), so a dead mail server
 * delays mail but never an API request.
 */
export async function enqueueEmail(trx: Trx, email: NewEmail): Promise<void> {
  await emailInsert(trx, email).execute();
}

/** The insert of an e-mail, for a statement that queues one as one of its parts. */
export function emailInsert(trx: Trx, email: NewEmail) {
  return trx.insertInto('emails').values({
    id: uuidv7(),
    issuer_id: email.issuerId,
    kind: email.kind,
    subject: email.subject,
    body: email.body,
    investment_id: email.investmentId,
  });
}
