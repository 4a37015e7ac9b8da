import { sql } from 'kysely';

/** An investor's display name in SQL (company, else forename and surname), as partyName does in code. */
export const investorName = sql<string>`coalesce(investors.legal_person->>'company_name', concat_ws(' ', investors.natural_person->>'forename', investors.natural_person->>'surname'))`;
