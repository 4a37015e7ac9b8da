import { createHash, randomBytes } from 'node:crypto';
import { getAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../src/db/ids.ts';
import { decryptPrivateKey } from '../src/investors/wallet-crypto.ts';
import {
  type Api,
  createTenant,
  DISTRIBUTOR,
  getToken,
  type Response,
  startTestServer,
  type Tenant,
  type TestServer,
} from './helpers.ts';

let server: TestServer;
let alpha: Tenant;
let beta: Tenant;

beforeAll(async () => {
  server = await startTestServer();
  alpha = await createTenant(server, 'Alpha');
  beta = await createTenant(server, 'Beta');
});
afterAll(async () => server?.close());

const INVESTORS = `${DISTRIBUTOR}/investors/`;
const IBAN = 'DE89370400440532013000';

const naturalPerson = (over: Record<string, unknown> = {}) => ({
  salutation: 'MS',
  forename: 'Erika',
  surname: 'Mustermann',
  birth_date: '1964-08-12',
  birth_place: 'Berlin',
  citizenship: 'DEU',
  street: 'Heidestraße 17',
  city: 'Köln',
  zip: '51147',
  country: 'DEU',
  phone: '+49 221 1234567',
  is_pep: false,
  is_subject_to_us_tax: false,
  ...over,
});

const legalPerson = (over: Record<string, unknown> = {}) => ({
  company_name: 'Muster Holding AG',
  commercial_register: 'Amtsgericht Köln',
  commercial_register_number: 'HRB 12345',
  street: 'Domkloster 4',
  city: 'Köln',
  zip: '50667',
  country: 'DEU',
  phone: '+49 221 7654321',
  ...over,
});

const otherBlocks = () => ({
  communication: { email: 'erika@example.org', email_confirmed: true },
  bank_account: {
    account_holder: 'Erika Mustermann',
    iban: 'de89 3704 0044 0532 0130 00',
    bic: 'COBADEFFXXX',
    bank: 'Commerzbank',
    country: 'DEU',
    currency: 'EUR',
  },
  tax_information: {
    tax_identification_number: '12345678901',
    non_assessment_certificate: false,
    is_subject_to_german_tax: true,
  },
  is_beneficiary: true,
});

const daysFromToday = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

const identification = (over: Record<string, unknown> = {}) => ({
  document_type: 'IDCARD',
  document_id: 'L01X00T47',
  document_issuer: 'Stadt Köln',
  document_valid_from: daysFromToday(-365),
  document_valid_to: daysFromToday(365 * 5),
  identity_provider: 'IDnow',
  legitimation_process_id: 'proc-1',
  legitimation_protocol_id: 'prot-1',
  verified_at: new Date(Date.now() - 3_600_000).toISOString(),
  ...over,
});

const newAddress = () => privateKeyToAccount(generatePrivateKey()).address;

async function created(res: Promise<Response>): Promise<any> {
  const r = await res;
  if (r.status !== 201) throw new Error(`expected 201, got ${r.status}: ${r.text}`);
  return r.body;
}

const createNatural = (api: Api, over: Record<string, unknown> = {}) =>
  created(api.post(INVESTORS, { natural_person: naturalPerson(), ...over }));
const createLegal = (api: Api, over: Record<string, unknown> = {}) =>
  created(api.post(INVESTORS, { legal_person: legalPerson(), ...over }));

async function investorCount(): Promise<number> {
  const row = await server.db
    .selectFrom('investors')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Stores a document of a platform directly (the documents API is another issue). */
async function storeDocument(platformId: string): Promise<string> {
  const content = randomBytes(16);
  const id = uuidv7();
  await server.db
    .insertInto('documents')
    .values({
      id,
      issuer_id: null,
      distribution_platform_id: platformId,
      filename: 'proof.pdf',
      content_type: 'application/pdf',
      size: BigInt(content.length),
      sha256: createHash('sha256').update(content).digest('hex'),
      content,
    })
    .execute();
  return id;
}

function expectProblem(res: Response, status: number, field?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    code: expect.any(String),
  });
  if (field) {
    expect(Object.keys(res.body.errors ?? {}), res.text).toContain(field);
    expect(res.body.errors[field].length).toBeGreaterThan(0);
  }
}

describe('investors', () => {
  it('creates a natural person with every block and reads it back', async () => {
    const res = await alpha.distributor.post(INVESTORS, { natural_person: naturalPerson(), ...otherBlocks() });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('content-type')).toContain('application/json');
    const investor = res.body;
    expect(investor).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      natural_person: naturalPerson(),
      legal_person: null,
      ...otherBlocks(),
      bank_account: { ...otherBlocks().bank_account, iban: IBAN },
      kyc_status: 'PENDING',
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
    const read = await alpha.distributor.get(`${INVESTORS}${investor.id}/`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(investor);
    const noSlash = await alpha.distributor.get(`${INVESTORS}${investor.id}`);
    expect(noSlash.body).toEqual(investor);
    const list = await alpha.distributor.get(INVESTORS);
    expect(list.status).toBe(200);
    expect(list.body.results.map((i: { id: string }) => i.id)).toContain(investor.id);
  });

  it('creates a legal person with every block, proof documents included', async () => {
    const identityProof = await storeDocument(alpha.platformId);
    const structureProof = await storeDocument(alpha.platformId);
    const legal = legalPerson({ company_identity_proof_id: identityProof, company_structure_proof_id: structureProof });
    const res = await alpha.distributor.post(INVESTORS, {
      legal_person: legal,
      ...otherBlocks(),
      is_beneficiary: false,
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      natural_person: null,
      legal_person: legal,
      communication: otherBlocks().communication,
      bank_account: { iban: IBAN },
      tax_information: otherBlocks().tax_information,
      is_beneficiary: false,
      kyc_status: 'PENDING',
    });
  });

  it('refuses proof documents that are unknown or another platform’s', async () => {
    const foreign = await storeDocument(beta.platformId);
    const res = await alpha.distributor.post(INVESTORS, {
      legal_person: legalPerson({ company_identity_proof_id: foreign, company_structure_proof_id: uuidv7() }),
    });
    expectProblem(res, 400, 'legal_person.company_identity_proof_id');
    expect(res.body.errors).toHaveProperty(['legal_person.company_structure_proof_id']);
  });

  it('creates an investor with only the person block; optional blocks read as null', async () => {
    const investor = await createNatural(alpha.distributor, { natural_person: { forename: 'Max', surname: 'Muster' } });
    expect(investor).toMatchObject({
      natural_person: { forename: 'Max', surname: 'Muster' },
      communication: null,
      bank_account: null,
      tax_information: null,
      is_beneficiary: null,
    });
  });

  it('does not make the e-mail unique', async () => {
    const body = { natural_person: naturalPerson(), communication: { email: 'same@example.org' } };
    expect((await alpha.distributor.post(INVESTORS, body)).status).toBe(201);
    expect((await alpha.distributor.post(INVESTORS, body)).status).toBe(201);
  });

  it('updates the blocks given and keeps the others', async () => {
    const investor = await createNatural(alpha.distributor, otherBlocks());
    const res = await alpha.distributor.patch(`${INVESTORS}${investor.id}/`, {
      natural_person: naturalPerson({ surname: 'Musterfrau', city: 'Bonn' }),
      communication: { email: 'new@example.org' },
      tax_information: null,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.natural_person.surname).toBe('Musterfrau');
    expect(res.body.communication).toEqual({ email: 'new@example.org' });
    expect(res.body.tax_information).toBeNull();
    expect(res.body.bank_account.iban).toBe(IBAN);
    expect(res.body.is_beneficiary).toBe(true);
    expect(res.body.updated_at).not.toBe(investor.updated_at);
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(investor.updated_at));
    expect(res.body.created_at).toBe(investor.created_at);
    const read = await alpha.distributor.get(`${INVESTORS}${investor.id}/`);
    expect(read.body).toEqual(res.body);
  });

  it('keeps the kind of person on update', async () => {
    const natural = await createNatural(alpha.distributor);
    expectProblem(
      await alpha.distributor.patch(`${INVESTORS}${natural.id}/`, { legal_person: legalPerson() }),
      400,
      'legal_person',
    );
    expectProblem(
      await alpha.distributor.patch(`${INVESTORS}${natural.id}/`, { natural_person: null }),
      400,
      'natural_person',
    );
    const legal = await createLegal(alpha.distributor);
    expectProblem(
      await alpha.distributor.patch(`${INVESTORS}${legal.id}/`, { natural_person: naturalPerson() }),
      400,
      'natural_person',
    );
    expectProblem(
      await alpha.distributor.patch(`${INVESTORS}${natural.id}/`, {
        natural_person: naturalPerson({ is_subject_to_us_tax: true }),
      }),
      400,
      'natural_person.is_subject_to_us_tax',
    );
    const patchWallet = await alpha.distributor.patch(`${INVESTORS}${natural.id}/`, { wallet_address: newAddress() });
    expectProblem(patchWallet, 400, 'wallet_address');
    expect(patchWallet.body.errors.wallet_address).toEqual(['cannot be changed after creation']);
    expectProblem(
      await alpha.distributor.patch(`${INVESTORS}${natural.id}/`, { kyc_status: 'SUCCESS' }),
      400,
      'kyc_status',
    );
    const unchanged = await alpha.distributor.get(`${INVESTORS}${natural.id}/`);
    expect(unchanged.body).toEqual(natural);
  });

  it('paginates the list, oldest first, with absolute links', async () => {
    const t = await createTenant(server, 'Paging');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createNatural(t.distributor)).id);
    const first = await t.distributor.get(`${INVESTORS}?limit=2`);
    expect(first.body.count).toBe(3);
    expect(first.body.results.map((r: { id: string }) => r.id)).toEqual(ids.slice(0, 2));
    expect(first.body.previous).toBeNull();
    const second = await t.distributor.get(new URL(first.body.next).pathname + new URL(first.body.next).search);
    expect(second.body.results.map((r: { id: string }) => r.id)).toEqual(ids.slice(2));
    expect(second.body.next).toBeNull();
  });
});

describe('investor input validation', () => {
  const post = (body: unknown) => alpha.distributor.post(INVESTORS, body);

  it('refuses a bad country', async () => {
    expectProblem(
      await post({ natural_person: naturalPerson({ citizenship: 'DE' }) }),
      400,
      'natural_person.citizenship',
    );
  });

  it('refuses a bad IBAN', async () => {
    const bank = { ...otherBlocks().bank_account, iban: 'DE89370400440532013001' };
    expectProblem(await post({ natural_person: naturalPerson(), bank_account: bank }), 400, 'bank_account.iban');
  });

  it('refuses an impossible date', async () => {
    expectProblem(
      await post({ natural_person: naturalPerson({ birth_date: '1990-02-30' }) }),
      400,
      'natural_person.birth_date',
    );
  });

  it('refuses unknown keys, at the top and inside a block', async () => {
    expectProblem(await post({ natural_person: naturalPerson(), nickname: 'E' }), 400, 'nickname');
    expectProblem(await post({ natural_person: naturalPerson({ nickname: 'E' }) }), 400, 'natural_person.nickname');
    expectProblem(await post({ natural_person: naturalPerson(), kyc_status: 'SUCCESS' }), 400, 'kyc_status');
  });

  it('requires the surname', async () => {
    const { surname: _, ...person } = naturalPerson();
    const res = await post({ natural_person: person });
    expectProblem(res, 400, 'natural_person.surname');
    expect(res.body.errors['natural_person.surname']).toEqual(['is required']);
  });

  it('refuses persons subject to US tax', async () => {
    expectProblem(
      await post({ natural_person: naturalPerson({ is_subject_to_us_tax: true }) }),
      400,
      'natural_person.is_subject_to_us_tax',
    );
  });

  it('refuses wrong types', async () => {
    expectProblem(await post({ natural_person: naturalPerson(), is_beneficiary: 'yes' }), 400, 'is_beneficiary');
    expectProblem(await post({ natural_person: naturalPerson({ is_pep: 1 }) }), 400, 'natural_person.is_pep');
    expectProblem(await post({ natural_person: 'Erika' }), 400, 'natural_person');
    expectProblem(
      await post({ natural_person: naturalPerson(), communication: { email: 42 } }),
      400,
      'communication.email',
    );
    expectProblem(await post([]), 400);
  });

  it('wants exactly one of natural_person and legal_person', async () => {
    expectProblem(await post({}), 400, 'natural_person');
    expectProblem(await post({ natural_person: null, legal_person: null }), 400, 'natural_person');
    expectProblem(await post({ natural_person: naturalPerson(), legal_person: legalPerson() }), 400, 'legal_person');
  });

  it('names every bad field at once and stores nothing', async () => {
    const before = await investorCount();
    const res = await post({
      natural_person: naturalPerson({ citizenship: 'XX', birth_date: '2001-13-01' }),
      bank_account: { account_holder: 'E', iban: 'nope' },
    });
    expectProblem(res, 400);
    // (The schema's nullable unions currently add "must be null" noise on the parent keys: see report.)
    expect(Object.keys(res.body.errors)).toEqual(
      expect.arrayContaining(['bank_account.iban', 'natural_person.birth_date', 'natural_person.citizenship']),
    );
    expect(await investorCount()).toBe(before);
  });

  it('refuses a non-JSON body', async () => {
    const res = await alpha.distributor.request('POST', INVESTORS, {
      raw: '{"natural_person":',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 400);
  });
});

describe('idempotency', () => {
  it('replays an investor create byte for byte and creates one investor', async () => {
    const headers = { 'x-idempotency-key': `inv-${randomBytes(8).toString('hex')}` };
    const body = { natural_person: naturalPerson(), ...otherBlocks(), wallet_address: newAddress() };
    const before = await investorCount();
    const first = await alpha.distributor.post(INVESTORS, body, { headers });
    expect(first.status, first.text).toBe(201);
    const again = await alpha.distributor.post(INVESTORS, body, { headers });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await investorCount()).toBe(before + 1);
    const other = await alpha.distributor.post(INVESTORS, { ...body, is_beneficiary: false }, { headers });
    expectProblem(other, 422);
    expect(other.body.code).toBe('idempotency_key_reused');
  });

  it('does not store a refused request: the key may be retried with a fixed body', async () => {
    const headers = { 'idempotency-key': `inv-${randomBytes(8).toString('hex')}` };
    const bad = await alpha.distributor.post(
      INVESTORS,
      { natural_person: naturalPerson({ is_subject_to_us_tax: true }) },
      { headers },
    );
    expectProblem(bad, 400, 'natural_person.is_subject_to_us_tax');
    const good = await alpha.distributor.post(INVESTORS, { natural_person: naturalPerson() }, { headers });
    expect(good.status, good.text).toBe(201);
  });
});

describe('KYC', () => {
  const kycOf = async (id: string) => (await alpha.distributor.get(`${INVESTORS}${id}/`)).body.kyc_status;

  it('a natural person: PENDING until a valid identification, an expired one does not count', async () => {
    const investor = await createNatural(alpha.distributor);
    expect(investor.kyc_status).toBe('PENDING');
    const expired = await alpha.distributor.post(
      `${INVESTORS}${investor.id}/identifications/`,
      identification({ document_valid_from: '2010-01-01', document_valid_to: daysFromToday(-1) }),
    );
    expect(expired.status, expired.text).toBe(201);
    expect(await kycOf(investor.id)).toBe('PENDING');
    const notYet = await alpha.distributor.post(
      `${INVESTORS}${investor.id}/identifications/`,
      identification({ document_valid_from: daysFromToday(2) }),
    );
    expect(notYet.status).toBe(201);
    expect(await kycOf(investor.id)).toBe('PENDING');

    const valid = await alpha.distributor.post(`${INVESTORS}${investor.id}/identifications/`, identification());
    expect(valid.status, valid.text).toBe(201);
    expect(valid.body).toEqual({
      id: expect.any(String),
      investor_id: investor.id,
      ...identification(),
      verified_at: expect.stringMatching(/Z$/),
      created_at: expect.stringMatching(/Z$/),
    });
    const after = (await alpha.distributor.get(`${INVESTORS}${investor.id}/`)).body;
    expect(after.kyc_status).toBe('SUCCESS');
    expect(after.updated_at).not.toBe(investor.updated_at);
    expect(Date.parse(after.updated_at)).toBeGreaterThanOrEqual(Date.parse(investor.updated_at));

    const list = await alpha.distributor.get(`${INVESTORS}${investor.id}/identifications/`);
    expect(list.body.count).toBe(3);
    expect(list.body.results[2]).toEqual(valid.body);
  });

  it('a document valid through today counts; verified_at with an offset is stored in UTC', async () => {
    const investor = await createNatural(alpha.distributor);
    const res = await alpha.distributor.post(
      `${INVESTORS}${investor.id}/identifications/`,
      identification({
        document_valid_from: null,
        document_valid_to: daysFromToday(0),
        verified_at: '2024-03-01T10:00:00+02:00',
      }),
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body.verified_at).toBe('2024-03-01T08:00:00.000000Z');
    expect(res.body.document_valid_from).toBeNull();
    expect(await kycOf(investor.id)).toBe('SUCCESS');
  });

  it('a legal person: only with a benefiting person AND a valid identification', async () => {
    const a = await createLegal(alpha.distributor);
    await created(alpha.distributor.post(`${INVESTORS}${a.id}/identifications/`, identification()));
    expect(await kycOf(a.id)).toBe('PENDING');
    const person = naturalPerson({ forename: 'Otto', surname: 'Eigner' });
    const bp = await alpha.distributor.post(`${INVESTORS}${a.id}/benefiting-persons/`, person);
    expect(bp.status, bp.text).toBe(201);
    expect(bp.body).toEqual({ id: expect.any(String), investor_id: a.id, ...person, created_at: expect.any(String) });
    expect(await kycOf(a.id)).toBe('SUCCESS');

    // The other order.
    const b = await createLegal(alpha.distributor);
    await created(alpha.distributor.post(`${INVESTORS}${b.id}/benefiting-persons/`, person));
    expect(await kycOf(b.id)).toBe('PENDING');
    await created(
      alpha.distributor.post(
        `${INVESTORS}${b.id}/identifications/`,
        identification({ document_valid_to: daysFromToday(-10) }),
      ),
    );
    expect(await kycOf(b.id)).toBe('PENDING');
    await created(alpha.distributor.post(`${INVESTORS}${b.id}/identifications/`, identification()));
    expect(await kycOf(b.id)).toBe('SUCCESS');

    const list = await alpha.distributor.get(`${INVESTORS}${b.id}/benefiting-persons/`);
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(1);
    expect(list.body.results[0]).toMatchObject(person);
  });

  it('concurrent identification and benefiting-person creates are not lost', async () => {
    for (let round = 0; round < 3; round++) {
      const investor = await createLegal(alpha.distributor);
      await Promise.all([
        created(alpha.distributor.post(`${INVESTORS}${investor.id}/identifications/`, identification())),
        created(alpha.distributor.post(`${INVESTORS}${investor.id}/benefiting-persons/`, naturalPerson())),
      ]);
      expect(await kycOf(investor.id)).toBe('SUCCESS');
    }
  });

  it('validates identifications', async () => {
    const investor = await createNatural(alpha.distributor);
    const path = `${INVESTORS}${investor.id}/identifications/`;
    expectProblem(
      await alpha.distributor.post(
        path,
        identification({ document_valid_from: '2030-01-02', document_valid_to: '2030-01-01' }),
      ),
      400,
      'document_valid_to',
    );
    expectProblem(
      await alpha.distributor.post(
        path,
        identification({ verified_at: new Date(Date.now() + 86_400_000).toISOString() }),
      ),
      400,
      'verified_at',
    );
    const { document_valid_to: _to, verified_at: _at, ...missing } = identification();
    const res = await alpha.distributor.post(path, missing);
    expectProblem(res, 400, 'document_valid_to');
    expect(res.body.errors).toHaveProperty('verified_at');
    expectProblem(
      await alpha.distributor.post(path, identification({ document_type: 'DRIVING_LICENCE' })),
      400,
      'document_type',
    );
    expectProblem(
      await alpha.distributor.post(path, identification({ verified_at: '2024-03-01 10:00' })),
      400,
      'verified_at',
    );
    expectProblem(
      await alpha.distributor.post(path, identification({ document_valid_to: '2030-02-30' })),
      400,
      'document_valid_to',
    );
    expectProblem(await alpha.distributor.post(path, identification({ extra: 1 })), 400, 'extra');
    expect((await alpha.distributor.get(path)).body.count).toBe(0);
    expect(await kycOf(investor.id)).toBe('PENDING');
  });

  it('validates benefiting persons', async () => {
    const investor = await createLegal(alpha.distributor);
    const path = `${INVESTORS}${investor.id}/benefiting-persons/`;
    expectProblem(
      await alpha.distributor.post(path, naturalPerson({ is_subject_to_us_tax: true })),
      400,
      'is_subject_to_us_tax',
    );
    expectProblem(await alpha.distributor.post(path, { forename: 'Otto' }), 400, 'surname');
    expectProblem(await alpha.distributor.post(path, { natural_person: naturalPerson() }), 400, 'natural_person');
    expect((await alpha.distributor.get(path)).body.count).toBe(0);
  });
});

describe('wallets', () => {
  it('registers wallet_address on create as a receiving eth-generic wallet', async () => {
    const address = newAddress();
    const investor = await createNatural(alpha.distributor, { wallet_address: address });
    expect(investor).not.toHaveProperty('wallet_address');
    const wallets = await alpha.distributor.get(`${INVESTORS}${investor.id}/wallets/`);
    expect(wallets.status).toBe(200);
    expect(wallets.body.count).toBe(1);
    expect(wallets.body.results[0]).toEqual({
      id: expect.any(String),
      type: 'eth-generic',
      address,
      receiving_enabled: true,
      created_at: expect.any(String),
    });
  });

  it('refuses a taken wallet_address on create and stores nothing', async () => {
    const address = newAddress();
    await createNatural(alpha.distributor, { wallet_address: address });
    const before = await investorCount();
    const res = await beta.distributor.post(INVESTORS, { natural_person: naturalPerson(), wallet_address: address });
    expectProblem(res, 409);
    expect(res.body.code).toBe('wallet_address_taken');
    expect(await investorCount()).toBe(before);
  });

  it('refuses a wallet_address without its checksum on create', async () => {
    const address = newAddress();
    expectProblem(
      await alpha.distributor.post(INVESTORS, {
        natural_person: naturalPerson(),
        wallet_address: address.toLowerCase(),
      }),
      400,
      'wallet_address',
    );
  });

  it('registers a generic wallet; one address, one wallet', async () => {
    const a = await createNatural(alpha.distributor);
    const b = await createNatural(alpha.distributor);
    const address = newAddress();
    const res = await alpha.distributor.post(`${INVESTORS}${a.id}/wallets/eth-generic/`, {
      address,
      receiving_enabled: false,
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      type: 'eth-generic',
      address,
      receiving_enabled: false,
      created_at: expect.any(String),
    });
    const again = await alpha.distributor.post(`${INVESTORS}${b.id}/wallets/eth-generic/`, {
      address,
      receiving_enabled: true,
    });
    expectProblem(again, 409);
    expect(again.body.code).toBe('wallet_address_taken');
    const same = await alpha.distributor.post(`${INVESTORS}${a.id}/wallets/eth-generic/`, {
      address,
      receiving_enabled: true,
    });
    expect(same.status).toBe(409);
    const otherTenant = await createNatural(beta.distributor);
    const foreign = await beta.distributor.post(`${INVESTORS}${otherTenant.id}/wallets/eth-generic/`, {
      address,
      receiving_enabled: true,
    });
    expect(foreign.status).toBe(409);
    expect((await alpha.distributor.get(`${INVESTORS}${b.id}/wallets/`)).body.count).toBe(0);
  });

  it('gives a raced address to exactly one wallet, never a 500', async () => {
    const investors = await Promise.all([1, 2, 3, 4, 5, 6].map(() => createNatural(alpha.distributor)));
    const address = newAddress();
    const results = await Promise.all(
      investors.map((inv, i) =>
        i % 2 === 0
          ? alpha.distributor.post(`${INVESTORS}${inv.id}/wallets/eth-generic/`, { address, receiving_enabled: true })
          : alpha.distributor.post(INVESTORS, { natural_person: naturalPerson(), wallet_address: address }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const rows = await server.db.selectFrom('wallets').select('id').where('address', '=', address).execute();
    expect(rows).toHaveLength(1);
  });

  it('treats an address in another letter case as the same address', async () => {
    const a = await createNatural(alpha.distributor);
    const address = newAddress();
    // A row stored in lower case (e.g. imported): the checksummed form is still taken.
    await server.db
      .insertInto('wallets')
      .values({
        id: uuidv7(),
        investor_id: a.id,
        type: 'eth-generic',
        address: address.toLowerCase(),
        receiving_enabled: true,
        encrypted_private_key: null,
      })
      .execute();
    const b = await createNatural(alpha.distributor);
    const res = await alpha.distributor.post(`${INVESTORS}${b.id}/wallets/eth-generic/`, {
      address,
      receiving_enabled: true,
    });
    expectProblem(res, 409);
    expect(res.body.code).toBe('wallet_address_taken');
  });

  it('refuses an address with a bad checksum, or malformed', async () => {
    const investor = await createNatural(alpha.distributor);
    const path = `${INVESTORS}${investor.id}/wallets/eth-generic/`;
    const address = newAddress();
    // Flip the case of the first letter among the hex digits: the EIP-55 checksum no longer matches.
    const i = address.slice(2).search(/[a-fA-F]/) + 2;
    const ch = address[i]!;
    const flipped =
      address.slice(0, i) + (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()) + address.slice(i + 1);
    const res = await alpha.distributor.post(path, { address: flipped, receiving_enabled: true });
    expectProblem(res, 400, 'address');
    expectProblem(await alpha.distributor.post(path, { address: '0x1234', receiving_enabled: true }), 400, 'address');
    expectProblem(await alpha.distributor.post(path, { address }), 400, 'receiving_enabled');
    expectProblem(await alpha.distributor.post(path, { address, receiving_enabled: true, type: 'x' }), 400, 'type');
  });

  it('creates a managed wallet: checksummed address, key kept encrypted and never returned', async () => {
    const investor = await createNatural(alpha.distributor);
    const res = await alpha.distributor.post(`${INVESTORS}${investor.id}/wallets/eth-managed/`, {});
    expect(res.status, res.text).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['address', 'created_at', 'id', 'receiving_enabled', 'type']);
    expect(res.body.type).toBe('eth-managed');
    expect(res.body.receiving_enabled).toBe(true);
    expect(res.body.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(getAddress(res.body.address)).toBe(res.body.address);
    const row = await server.db
      .selectFrom('wallets')
      .selectAll()
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(row.encrypted_private_key).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const privateKey = decryptPrivateKey(row.encrypted_private_key!, server.config.walletEncryptionKey);
    expect(privateKeyToAccount(privateKey).address).toBe(res.body.address);
    expect(res.text).not.toContain(privateKey.slice(2));
    const read = await alpha.distributor.get(`${INVESTORS}${investor.id}/wallets/${res.body.id}/`);
    expect(read.body).toEqual(res.body);
    const list = await alpha.distributor.get(`${INVESTORS}${investor.id}/wallets/`);
    expect(list.text).not.toContain('private');

    const off = await alpha.distributor.post(`${INVESTORS}${investor.id}/wallets/eth-managed/`, {
      receiving_enabled: false,
    });
    expect(off.status).toBe(201);
    expect(off.body.receiving_enabled).toBe(false);
    expect(off.body.address).not.toBe(res.body.address);
    expectProblem(
      await alpha.distributor.post(`${INVESTORS}${investor.id}/wallets/eth-managed/`, { address: newAddress() }),
      400,
      'address',
    );
  });

  it('reads and switches a wallet; nothing else can change', async () => {
    const investor = await createNatural(alpha.distributor);
    const wallet = await created(
      alpha.distributor.post(`${INVESTORS}${investor.id}/wallets/eth-generic/`, {
        address: newAddress(),
        receiving_enabled: true,
      }),
    );
    const path = `${INVESTORS}${investor.id}/wallets/${wallet.id}/`;
    expect((await alpha.distributor.get(path)).body).toEqual(wallet);
    const off = await alpha.distributor.patch(path, { receiving_enabled: false });
    expect(off.status, off.text).toBe(200);
    expect(off.body).toEqual({ ...wallet, receiving_enabled: false });
    expect((await alpha.distributor.get(path)).body.receiving_enabled).toBe(false);

    const address = await alpha.distributor.patch(path, { address: newAddress(), receiving_enabled: true });
    expectProblem(address, 400, 'address');
    expect(address.body.errors.address).toEqual(['cannot be changed after creation']);
    expectProblem(await alpha.distributor.patch(path, { type: 'eth-managed' }), 400, 'type');
    expectProblem(await alpha.distributor.patch(path, { colour: 'red' }), 400, 'colour');
    expectProblem(await alpha.distributor.patch(path, { receiving_enabled: 'no' }), 400, 'receiving_enabled');
    expect((await alpha.distributor.get(path)).body.receiving_enabled).toBe(false);

    // A wallet is only found under its own investor.
    const other = await createNatural(alpha.distributor);
    expect((await alpha.distributor.get(`${INVESTORS}${other.id}/wallets/${wallet.id}/`)).status).toBe(404);
    expect(
      (await alpha.distributor.patch(`${INVESTORS}${other.id}/wallets/${wallet.id}/`, { receiving_enabled: true }))
        .status,
    ).toBe(404);
    expect((await alpha.distributor.get(`${INVESTORS}${investor.id}/wallets/not-a-uuid/`)).status).toBe(404);
  });
});

describe('OpenAPI', () => {
  it('documents every investor route with its tags and responses', async () => {
    const res = await server.api.get('/api/external/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const paths = res.body.paths as Record<string, Record<string, { tags?: string[]; responses?: object }>>;
    const expected: Array<[string, string, string]> = [
      ['/investors/', 'post', '201'],
      ['/investors/', 'get', '200'],
      ['/investors/{id}/', 'get', '200'],
      ['/investors/{id}/', 'patch', '200'],
      ['/investors/{id}/identifications/', 'post', '201'],
      ['/investors/{id}/identifications/', 'get', '200'],
      ['/investors/{id}/benefiting-persons/', 'post', '201'],
      ['/investors/{id}/benefiting-persons/', 'get', '200'],
      ['/investors/{id}/wallets/eth-generic/', 'post', '201'],
      ['/investors/{id}/wallets/eth-managed/', 'post', '201'],
      ['/investors/{id}/wallets/', 'get', '200'],
      ['/investors/{id}/wallets/{wallet_id}/', 'get', '200'],
      ['/investors/{id}/wallets/{wallet_id}/', 'patch', '200'],
    ];
    for (const [path, method, status] of expected) {
      const operation = paths[`${DISTRIBUTOR}${path}`]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation!.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
      expect(operation!.responses, `${method} ${path}`).toHaveProperty(status);
    }
  });
});

describe('access', () => {
  it('isolates tenants: another platform’s investor is not found', async () => {
    const investor = await createNatural(alpha.distributor);
    const wallet = await created(
      alpha.distributor.post(`${INVESTORS}${investor.id}/wallets/eth-generic/`, {
        address: newAddress(),
        receiving_enabled: true,
      }),
    );
    const base = `${INVESTORS}${investor.id}/`;
    const b = beta.distributor;
    const checks: Array<[string, Promise<Response>]> = [
      ['GET investor', b.get(base)],
      ['PATCH investor', b.patch(base, { is_beneficiary: false })],
      ['GET identifications', b.get(`${base}identifications/`)],
      ['POST identification', b.post(`${base}identifications/`, identification())],
      ['GET benefiting persons', b.get(`${base}benefiting-persons/`)],
      ['POST benefiting person', b.post(`${base}benefiting-persons/`, naturalPerson())],
      ['GET wallets', b.get(`${base}wallets/`)],
      ['GET wallet', b.get(`${base}wallets/${wallet.id}/`)],
      ['PATCH wallet', b.patch(`${base}wallets/${wallet.id}/`, { receiving_enabled: false })],
      [
        'POST generic wallet',
        b.post(`${base}wallets/eth-generic/`, { address: newAddress(), receiving_enabled: true }),
      ],
      ['POST managed wallet', b.post(`${base}wallets/eth-managed/`, {})],
    ];
    for (const [name, pending] of checks) {
      const res = await pending;
      expect(res.status, `${name}: ${res.text}`).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const list = await b.get(`${INVESTORS}?limit=500`);
    expect(list.body.results.map((i: { id: string }) => i.id)).not.toContain(investor.id);
    const still = await alpha.distributor.get(base);
    expect(still.body).toEqual(investor);
    expect((await alpha.distributor.get(`${base}wallets/${wallet.id}/`)).body.receiving_enabled).toBe(true);
  });

  it('refuses an issuer token on the distributor surface', async () => {
    const res = await alpha.issuer.get(INVESTORS);
    expectProblem(res, 403);
    expect(res.body.code).toBe('wrong_surface');
    expectProblem(await alpha.issuer.post(INVESTORS, { natural_person: naturalPerson() }), 403);
  });

  it('needs investors:write to change and investors:read to read', async () => {
    const readOnly = server.api.withToken(
      await getToken(
        server.api,
        alpha.distributorClient.client_id,
        alpha.distributorClient.client_secret,
        'investors:read',
      ),
    );
    const investor = await createNatural(alpha.distributor);
    expect((await readOnly.get(`${INVESTORS}${investor.id}/`)).status).toBe(200);
    const write = await readOnly.post(INVESTORS, { natural_person: naturalPerson() });
    expectProblem(write, 403);
    expect(write.body.code).toBe('insufficient_scope');
    expect((await readOnly.post(`${INVESTORS}${investor.id}/wallets/eth-managed/`, {})).status).toBe(403);
    const productsOnly = server.api.withToken(
      await getToken(
        server.api,
        alpha.distributorClient.client_id,
        alpha.distributorClient.client_secret,
        'products:read',
      ),
    );
    expect((await productsOnly.get(INVESTORS)).status).toBe(403);
    expect((await server.api.get(INVESTORS, { token: null })).status).toBe(401);
  });
});
