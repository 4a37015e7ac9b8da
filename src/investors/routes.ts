import Type from 'typebox';
import type { App, AppContext } from '../http/app.ts';
import { principalOf } from '../http/auth.ts';
import { mutate } from '../http/idempotency.ts';
import { PageOf, PageQuery, paginate } from '../http/pagination.ts';
import {
  Address,
  BankAccount,
  Closed,
  Communication,
  DateOnly,
  DateTime,
  IdParams,
  LegalPerson,
  NaturalPerson,
  nullable,
  opt,
  refuseImmutable,
  TaxInformation,
  Text,
  Uuid,
} from '../http/schemas.ts';
import { platformScope } from '../http/visibility.ts';
import {
  type BenefitingPersonRow,
  benefitingPersonView,
  DOCUMENT_TYPES,
  type IdentificationRow,
  type InvestorRow,
  identificationView,
  investorView,
  KYC_STATUSES,
  WALLET_TYPES,
  type WalletRow,
  walletView,
} from './domain.ts';
import {
  createBenefitingPerson,
  createGenericWallet,
  createIdentification,
  createInvestor,
  createManagedWallet,
  getInvestor,
  getInvestorWallet,
  updateInvestor,
  updateWallet,
} from './service.ts';

const InvestorBlocks = {
  natural_person: opt(nullable(NaturalPerson)),
  legal_person: opt(nullable(LegalPerson)),
  communication: opt(nullable(Communication)),
  bank_account: opt(nullable(BankAccount)),
  tax_information: opt(nullable(TaxInformation)),
  is_beneficiary: opt(nullable(Type.Boolean())),
};

const InvestorCreate = Closed(
  {
    ...InvestorBlocks,
    wallet_address: opt(Address),
  },
  { description: 'Exactly one of natural_person and legal_person.' },
);
export const InvestorPatch = Closed(InvestorBlocks, {
  description: 'The blocks given replace the current ones (null clears an optional block).',
});
const INVESTOR_FIXED = ['wallet_address'];

const Investor = Type.Object({
  id: Uuid,
  natural_person: nullable(NaturalPerson),
  legal_person: nullable(LegalPerson),
  communication: nullable(Communication),
  bank_account: nullable(BankAccount),
  tax_information: nullable(TaxInformation),
  is_beneficiary: nullable(Type.Boolean()),
  kyc_status: Type.Enum([...KYC_STATUSES], { description: 'read-only' }),
  created_at: DateTime,
  updated_at: DateTime,
});

const IdentificationCreate = Closed({
  document_type: Type.Enum([...DOCUMENT_TYPES]),
  document_id: Text(),
  document_issuer: opt(nullable(Text())),
  document_valid_from: opt(nullable(DateOnly)),
  document_valid_to: DateOnly,
  identity_provider: opt(nullable(Text())),
  legitimation_process_id: opt(nullable(Text())),
  legitimation_protocol_id: opt(nullable(Text())),
  verified_at: DateTime,
});
const Identification = Type.Object({
  id: Uuid,
  investor_id: Uuid,
  document_type: Type.Enum([...DOCUMENT_TYPES]),
  document_id: Type.String(),
  document_issuer: nullable(Type.String()),
  document_valid_from: nullable(DateOnly),
  document_valid_to: DateOnly,
  identity_provider: nullable(Type.String()),
  legitimation_process_id: nullable(Type.String()),
  legitimation_protocol_id: nullable(Type.String()),
  verified_at: DateTime,
  created_at: DateTime,
});

/** The person's fields flat, beside `id`, `investor_id` and `created_at` (see `benefitingPersonView`). */
const BenefitingPerson = Type.Object({
  id: Uuid,
  investor_id: Uuid,
  ...NaturalPerson.properties,
  created_at: DateTime,
});

const GenericWalletCreate = Closed({ address: Address, receiving_enabled: Type.Boolean() });
const ManagedWalletCreate = Closed({ receiving_enabled: opt(Type.Boolean({ description: 'default true' })) });
const WalletPatch = Closed({ receiving_enabled: Type.Boolean() });
const WALLET_FIXED = ['id', 'type', 'address', 'created_at'];
const Wallet = Type.Object({
  id: Uuid,
  type: Type.Enum([...WALLET_TYPES]),
  address: Type.String({ description: 'EIP-55 checksummed' }),
  receiving_enabled: Type.Boolean(),
  created_at: DateTime,
});

const InvestorParams = Closed({ id: Uuid });
const WalletParams = Closed({ id: Uuid, wallet_id: Uuid });
const Page = Closed(PageQuery);

export async function registerInvestorRoutes(app: App, ctx: AppContext): Promise<void> {
  const { db, config } = ctx;
  const platformOf = (request: Parameters<typeof principalOf>[0]) => platformScope(principalOf(request));

  const tags = ['Investors'];
  app.post(
    '/investors/',
    {
      config: { scope: 'investors:write' },
      schema: {
        tags,
        summary: 'Create an investor',
        description:
          'Exactly one of `natural_person` or `legal_person`. `wallet_address` (optional) registers that self-custody address as the investor’s `eth-generic` wallet with `receiving_enabled`, in the same transaction (409 `wallet_address_taken` when any wallet holds it). `kyc_status` is read-only.',
        body: InvestorCreate,
        response: { 201: Investor },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 201 }, (trx) => createInvestor(trx, platformOf(request), request.body)),
  );
  app.get(
    '/investors/',
    {
      config: { scope: 'investors:read' },
      schema: { tags, summary: 'List your investors', querystring: Page, response: { 200: PageOf(Investor) } },
    },
    async (request) => {
      const base = db.selectFrom('investors').where('investors.distribution_platform_id', '=', platformOf(request));
      return paginate<InvestorRow, ReturnType<typeof investorView>>(
        request,
        config.publicUrl,
        base,
        'investors',
        investorView,
      );
    },
  );
  app.get(
    '/investors/:id/',
    {
      config: { scope: 'investors:read' },
      schema: { tags, summary: 'Read an investor', params: IdParams, response: { 200: Investor } },
    },
    async (request) => investorView(await getInvestor(db, platformOf(request), request.params.id)),
  );
  app.patch(
    '/investors/:id/',
    {
      config: { scope: 'investors:write' },
      preValidation: refuseImmutable(INVESTOR_FIXED),
      schema: {
        tags,
        summary: 'Update an investor',
        description:
          'The blocks given replace the current ones; `null` clears an optional block. A natural person cannot become a legal person (nor the other way round). Wallets are managed under `/investors/{id}/wallets/`.',
        params: IdParams,
        body: InvestorPatch,
        response: { 200: Investor },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 200 }, (trx) =>
        updateInvestor(trx, platformOf(request), request.params.id, request.body),
      ),
  );

  app.post(
    '/investors/:id/identifications/',
    {
      config: { scope: 'investors:write' },
      schema: {
        tags: ['Identifications'],
        summary: 'Record an identification',
        description:
          'A verified identification with a document valid today makes a natural person’s `kyc_status` `SUCCESS` (a legal person also needs a benefiting person). `document_valid_from` must not be after `document_valid_to`; `verified_at` must not be in the future.',
        params: InvestorParams,
        body: IdentificationCreate,
        response: { 201: Identification },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 201 }, (trx) =>
        createIdentification(trx, platformOf(request), request.params.id, request.body),
      ),
  );
  app.get(
    '/investors/:id/identifications/',
    {
      config: { scope: 'investors:read' },
      schema: {
        tags: ['Identifications'],
        summary: 'List an investor’s identifications',
        params: InvestorParams,
        querystring: Page,
        response: { 200: PageOf(Identification) },
      },
    },
    async (request) => {
      const investor = await getInvestor(db, platformOf(request), request.params.id);
      const base = db.selectFrom('identifications').where('identifications.investor_id', '=', investor.id);
      return paginate<IdentificationRow, ReturnType<typeof identificationView>>(
        request,
        config.publicUrl,
        base,
        'identifications',
        identificationView,
      );
    },
  );

  app.post(
    '/investors/:id/benefiting-persons/',
    {
      config: { scope: 'investors:write' },
      schema: {
        tags: ['Benefiting persons'],
        summary: 'Add a benefiting person',
        description:
          'The body is a natural-person block; it is read back flat with `id`, `investor_id` and `created_at`. A legal person needs at least one before its KYC can succeed.',
        params: InvestorParams,
        body: NaturalPerson,
        response: { 201: BenefitingPerson },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 201 }, (trx) =>
        createBenefitingPerson(trx, platformOf(request), request.params.id, request.body),
      ),
  );
  app.get(
    '/investors/:id/benefiting-persons/',
    {
      config: { scope: 'investors:read' },
      schema: {
        tags: ['Benefiting persons'],
        summary: 'List an investor’s benefiting persons',
        params: InvestorParams,
        querystring: Page,
        response: { 200: PageOf(BenefitingPerson) },
      },
    },
    async (request) => {
      const investor = await getInvestor(db, platformOf(request), request.params.id);
      const base = db.selectFrom('benefiting_persons').where('benefiting_persons.investor_id', '=', investor.id);
      return paginate<BenefitingPersonRow, ReturnType<typeof benefitingPersonView>>(
        request,
        config.publicUrl,
        base,
        'benefiting_persons',
        benefitingPersonView,
      );
    },
  );

  const wtags = ['Wallets'];
  app.post(
    '/investors/:id/wallets/eth-generic/',
    {
      config: { scope: 'investors:write' },
      schema: {
        tags: wtags,
        summary: 'Register a self-custody wallet',
        description:
          'The address must carry its EIP-55 checksum. One address belongs to one wallet (of one investor), whatever its letter case: 409 `wallet_address_taken` otherwise.',
        params: InvestorParams,
        body: GenericWalletCreate,
        response: { 201: Wallet },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 201 }, (trx) =>
        createGenericWallet(trx, platformOf(request), request.params.id, request.body),
      ),
  );
  app.post(
    '/investors/:id/wallets/eth-managed/',
    {
      config: { scope: 'investors:write' },
      schema: {
        tags: wtags,
        summary: 'Create a managed wallet',
        description:
          'The platform generates the key and keeps it encrypted at rest; it is never returned. `receiving_enabled` defaults to true.',
        params: InvestorParams,
        body: ManagedWalletCreate,
        response: { 201: Wallet },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 201 }, (trx) =>
        createManagedWallet(trx, platformOf(request), request.params.id, request.body, config.walletEncryptionKey),
      ),
  );
  app.get(
    '/investors/:id/wallets/',
    {
      config: { scope: 'investors:read' },
      schema: {
        tags: wtags,
        summary: 'List an investor’s wallets',
        params: InvestorParams,
        querystring: Page,
        response: { 200: PageOf(Wallet) },
      },
    },
    async (request) => {
      const investor = await getInvestor(db, platformOf(request), request.params.id);
      const base = db.selectFrom('wallets').where('wallets.investor_id', '=', investor.id);
      return paginate<WalletRow, ReturnType<typeof walletView>>(request, config.publicUrl, base, 'wallets', walletView);
    },
  );
  app.get(
    '/investors/:id/wallets/:wallet_id/',
    {
      config: { scope: 'investors:read' },
      schema: { tags: wtags, summary: 'Read a wallet', params: WalletParams, response: { 200: Wallet } },
    },
    async (request) => {
      const investor = await getInvestor(db, platformOf(request), request.params.id);
      return walletView(await getInvestorWallet(db, investor.id, request.params.wallet_id));
    },
  );
  app.patch(
    '/investors/:id/wallets/:wallet_id/',
    {
      config: { scope: 'investors:write' },
      preValidation: refuseImmutable(WALLET_FIXED),
      schema: {
        tags: wtags,
        summary: 'Switch receiving on or off',
        description: 'Only `receiving_enabled` can change after creation.',
        params: WalletParams,
        body: WalletPatch,
        response: { 200: Wallet },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 200 }, (trx) =>
        updateWallet(trx, platformOf(request), request.params.id, request.params.wallet_id, request.body),
      ),
  );
}
