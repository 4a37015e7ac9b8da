/**
 * The web-based subscription at the investment's `start_url` (/subscribe/<token>): the investor
 * checks and completes the data the platform imported (validated as the API validates it), reads
 * the offer, its amounts and documents, consents and signs (the subscription form is generated as
 * a PDF and attached as the signed documents), then sees payment instructions once accepted, gives
 * a wallet, and follows the status. The token is the only key: 43 random characters, expiring
 * (SUBSCRIPTION_LINK_DAYS); nothing of another investor is reachable from it; every form carries
 * a CSRF token bound to it; pages send no Referer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db, Trx } from '../../db/database.ts';
import type { AppContext } from '../../http/app.ts';
import { ApiError, type FieldErrors } from '../../http/errors.ts';
import { baseUrlOf } from '../../http/pagination.ts';
import { bodyErrors } from '../../http/validation.ts';
import type { InvestmentRow } from '../../investments/lifecycle.ts';
import {
  getInvestment,
  type InvestmentView,
  investmentBySubscriptionToken,
  signWebSubscription,
  updateInvestment,
} from '../../investments/service.ts';
import { InvestorPatch } from '../../investors/routes.ts';
import { createGenericWallet, createManagedWallet, updateInvestor } from '../../investors/service.ts';
import { partyAddress, partyName, registerKeeperOf } from '../../registry/domain.ts';
import { addressProblem } from '../../validation/address.ts';
import { sendPage } from '../forms.ts';
import { Csrf, Facts, Field, html, Layout, money, when } from '../render.tsx';
import { csrfToken, csrfValid } from '../security.ts';
import { pdf, registerTermsText, type SubscriptionFacts, subscriptionFormText, termsText } from './documents.ts';

type Req = FastifyRequest<{
  Params: { token: string };
  Querystring: Record<string, string>;
  Body: Record<string, string>;
}>;

const STEPS = ['Your details', 'Offer and signature', 'Payment and wallet', 'Status'] as const;
const END_STATES = ['ABORTION', 'REJECTION', 'CANCELLATION', 'PAYMENT_MISSING', 'KYC_INSUFFICIENT'];

const PERSON_FIELDS = [
  ['forename', 'First name', 'given-name'],
  ['surname', 'Last name', 'family-name'],
  ['birth_date', 'Date of birth (YYYY-MM-DD)', 'bday'],
  ['birth_place', 'Place of birth', undefined],
  ['citizenship', 'Citizenship (ISO 3166 alpha-3, e.g. DEU)', undefined],
  ['street', 'Street and number', 'street-address'],
  ['zip', 'Postcode', 'postal-code'],
  ['city', 'City', 'address-level2'],
  ['country', 'Country (ISO 3166 alpha-3, e.g. DEU)', undefined],
] as const;
const COMPANY_FIELDS = [
  ['company_name', 'Company name', 'organization'],
  ['street', 'Street and number', 'street-address'],
  ['zip', 'Postcode', 'postal-code'],
  ['city', 'City', 'address-level2'],
  ['country', 'Country (ISO 3166 alpha-3, e.g. DEU)', undefined],
] as const;

type Person = Record<string, unknown>;

interface Loaded {
  row: InvestmentRow;
  view: InvestmentView;
  investor: { id: string; natural_person: Person | null; legal_person: Person | null; communication: Person | null };
  facts: SubscriptionFacts;
}

async function load(db: Db | Trx, token: string, baseUrl: string, keeper: string): Promise<Loaded> {
  const row = await investmentBySubscriptionToken(db, token);
  const view = await getInvestment(db as Db, { kind: 'platform', platformId: row.distribution_platform_id }, row.id, {
    baseUrl,
  });
  const investor = await db
    .selectFrom('investors')
    .select(['id', 'natural_person', 'legal_person', 'communication'])
    .where('id', '=', row.investor_id)
    .executeTakeFirstOrThrow();
  const product = await db
    .selectFrom('products')
    .innerJoin('issuers', 'issuers.id', 'products.issuer_id')
    .innerJoin('campaigns', (j) => j.on('campaigns.id', '=', row.campaign_id))
    .select([
      'products.name',
      'products.product_type',
      'products.isin',
      'products.currency',
      'products.nominal_value',
      'products.issuance_price',
      'products.interest_rate',
      'products.day_count_convention',
      'products.interest_start_date',
      'products.maturity_date',
      'issuers.natural_person as issuer_natural',
      'issuers.legal_person as issuer_legal',
      'campaigns.name as campaign_name',
      'campaigns.price_per_token',
      'campaigns.currency as campaign_currency',
    ])
    .where('products.id', '=', row.product_id)
    .executeTakeFirstOrThrow();
  const facts: SubscriptionFacts = {
    investmentId: row.id,
    investor: {
      name: partyName(investor.natural_person, investor.legal_person),
      address: partyAddress(investor.natural_person, investor.legal_person),
      email: ((investor.communication as Person | null)?.email as string | undefined) ?? null,
    },
    product: {
      name: product.name,
      productType: product.product_type,
      isin: product.isin,
      issuer: partyName(product.issuer_natural, product.issuer_legal),
      currency: product.currency,
      nominalValue: product.nominal_value,
      issuancePrice: product.issuance_price,
      interestRate: product.interest_rate,
      dayCountConvention: product.day_count_convention,
      interestStartDate: product.interest_start_date,
      maturityDate: product.maturity_date,
    },
    campaign: {
      name: product.campaign_name,
      pricePerToken: product.price_per_token,
      currency: product.campaign_currency,
    },
    units: row.units,
    amounts: {
      investment_amount: money(view.investment_amount),
      agio: money(view.agio),
      disagio: money(view.disagio),
      accrued_interest: money(view.accrued_interest),
      payment_total: money(view.payment_total),
    },
    keeper,
  };
  return {
    row,
    view,
    investor: {
      id: investor.id,
      natural_person: investor.natural_person as Person | null,
      legal_person: investor.legal_person as Person | null,
      communication: investor.communication as Person | null,
    },
    facts,
  };
}

const send = sendPage;

function Steps({ current }: { current: number }) {
  return (
    <ol class="steps" aria-label="Steps">
      {STEPS.map((s, i) => (
        <li key={s} aria-current={i === current ? 'step' : undefined}>
          {i + 1}. {s}
        </li>
      ))}
    </ol>
  );
}

export async function registerSubscriptionRoutes(app: FastifyInstance, ctx: AppContext) {
  const { db, config, signingKey } = ctx;
  const keeper = registerKeeperOf(config).name;
  const csrfOf = (token: string) => csrfToken(signingKey, `subscribe:${token}`);
  const base = (token: string) => `/subscribe/${token}`;

  function checkCsrf(request: Req) {
    if (!csrfValid(signingKey, `subscribe:${request.params.token}`, request.body?._csrf)) {
      throw new ApiError(403, 'csrf_failed', 'The form expired or did not come from this page; nothing was changed.');
    }
  }

  // ---- pages -------------------------------------------------------------------------------

  function detailsPage(l: Loaded, token: string, errors: FieldErrors | null, values?: Person, emailValue?: string) {
    const legal = l.investor.legal_person !== null;
    const person = values ?? (legal ? l.investor.legal_person : l.investor.natural_person) ?? {};
    const block = legal ? 'legal_person' : 'natural_person';
    const fields = legal ? COMPANY_FIELDS : PERSON_FIELDS;
    return html(
      <Layout
        title="Your details"
        area="Subscription"
        problem={errors ? 'Please correct the fields marked below.' : null}
      >
        <Steps current={0} />
        <p>
          Your platform has sent us these details for your subscription to <strong>{l.facts.product.name}</strong>.
          Please check them and complete what is missing.
        </p>
        <form method="post" action={`${base(token)}/details`} novalidate>
          <Csrf token={csrfOf(token)} />
          {fields.map(([name, label, autocomplete]) => (
            <Field
              key={name}
              name={name}
              label={label}
              value={(person[name] as string | undefined) ?? ''}
              required={name === 'forename' || name === 'surname' || name === 'company_name'}
              autocomplete={autocomplete}
              error={errors?.[`${block}.${name}`]}
            />
          ))}
          <Field
            name="email"
            label="E-mail"
            type="email"
            autocomplete="email"
            value={emailValue ?? (l.investor.communication?.email as string | undefined) ?? ''}
            error={errors?.['communication.email']}
          />
          <button type="submit">Save and continue</button>
        </form>
      </Layout>,
    );
  }

  function offerPage(l: Loaded, token: string, problem: string | null) {
    const v = l.view;
    const p = l.facts.product;
    return html(
      <Layout title="Offer and signature" area="Subscription" problem={problem}>
        <Steps current={1} />
        <h2>The security</h2>
        <Facts
          rows={[
            ['Product', p.name],
            ['ISIN', p.isin ?? '—'],
            ['Issuer', p.issuer],
            ['Interest', p.interestRate ? `${p.interestRate} % p.a. (${p.dayCountConvention ?? '—'})` : 'none'],
            ['Maturity', p.maturityDate ?? '—'],
            ['Price per unit', money(v.price_per_token)],
            ['Units', String(v.units)],
          ]}
        />
        <h2>What you pay</h2>
        <Facts
          rows={[
            ['Investment amount', money(v.investment_amount)],
            ['Agio', money(v.agio)],
            ['Disagio', money(v.disagio)],
            ['Accrued interest', money(v.accrued_interest)],
            ['Payment total', <strong>{money(v.payment_total)}</strong>],
          ]}
        />
        <p class="hint">
          The accrued interest, and so the total, is fixed when the issuer accepts your subscription; you will see the
          final amount with the payment instructions.
        </p>
        <h2>Documents</h2>
        <ul>
          <li>
            <a href={`${base(token)}/documents/terms-of-issue.pdf`}>Terms of issue (PDF)</a>
          </li>
          <li>
            <a href={`${base(token)}/documents/terms-of-service.pdf`}>Terms of service and data protection (PDF)</a>
          </li>
        </ul>
        <form method="post" action={`${base(token)}/sign`}>
          <Csrf token={csrfOf(token)} />
          <fieldset>
            <legend>Your consent</legend>
            <div>
              <input type="checkbox" id="consent_tos" name="consent_tos" value="yes" required />{' '}
              <label for="consent_tos">I accept the register's terms of service and data protection.</label>
            </div>
            <div>
              <input type="checkbox" id="consent_terms" name="consent_terms" value="yes" required />{' '}
              <label for="consent_terms">I have read and accept the terms of issue.</label>
            </div>
          </fieldset>
          <button type="submit">Sign the subscription</button>
        </form>
        <p>
          <a href={base(token)}>Back to your details</a>
        </p>
      </Layout>,
    );
  }

  function statusPage(l: Loaded, token: string, problem: string | null, addressValue = '') {
    const v = l.view;
    const ended = END_STATES.includes(v.status);
    const final = ended || v.status === 'DELIVERED';
    const walletOpen = !final && v.wallet === null && v.status !== 'PENDING';
    const paymentShown = ['ACCEPTED', 'PAID', 'DELIVERED'].includes(v.status) && v.payment_details;
    return html(
      <Layout title="Your subscription" area="Subscription" problem={problem}>
        <Steps current={final ? 3 : 2} />
        <Facts
          rows={[
            [
              'Status',
              <span class="status" id="status">
                {v.status}
              </span>,
            ],
            ['Product', l.facts.product.name],
            ['Units', String(v.units)],
            ['Signed', when(v.signed_at)],
            ['Accepted', when(v.accepted_at)],
            ['Paid', when(v.paid_at)],
            ['Delivered', when(v.delivered_at)],
          ]}
        />
        <p>{explain(v.status)}</p>
        <h2>Payment</h2>
        {paymentShown ? (
          <Facts
            rows={[
              ['Amount', <strong>{money(v.payment_details!.amount)}</strong>],
              ['Account holder', v.payment_details!.account_holder ?? '—'],
              ['IBAN', v.payment_details!.iban],
              ['Reference', v.payment_details!.reference],
              ['Due', v.payment_details!.due_date ?? '—'],
            ]}
          />
        ) : ['ACCEPTED', 'PAID', 'DELIVERED'].includes(v.status) ? (
          <p>The issuer has given no bank account to the register; your platform tells you how to pay.</p>
        ) : (
          <p>The payment instructions appear here once the issuer has accepted your subscription.</p>
        )}
        <h2>Wallet</h2>
        {v.wallet !== null ? (
          <p>Your units will be credited to the wallet you gave.</p>
        ) : walletOpen ? (
          <>
            <p>Give the address of your own Ethereum wallet, or let your platform keep a wallet for you.</p>
            <form method="post" action={`${base(token)}/wallet`}>
              <Csrf token={csrfOf(token)} />
              <input type="hidden" name="kind" value="generic" />
              <Field
                name="address"
                label="Wallet address"
                hint="0x followed by 40 hexadecimal characters, with its EIP-55 checksum (mixed case)"
                value={addressValue}
                error={problem && addressValue ? [problem] : undefined}
              />
              <button type="submit">Use this wallet</button>
            </form>
            <form method="post" action={`${base(token)}/wallet`}>
              <Csrf token={csrfOf(token)} />
              <input type="hidden" name="kind" value="managed" />
              <button type="submit" class="secondary">
                Create a managed wallet for me
              </button>
            </form>
          </>
        ) : (
          <p>No wallet is needed any more.</p>
        )}
        {!final && (
          <p>
            <a href={base(token)}>Refresh the status</a>
          </p>
        )}
      </Layout>,
    );
  }

  app.get('/subscribe/:token', async (request: Req, reply) => {
    const token = request.params.token;
    const l = await load(db, token, baseUrlOf(request, config.publicUrl), keeper);
    if (l.row.status !== 'PENDING') return send(reply, 200, statusPage(l, token, null));
    if (request.query.step === 'offer') return send(reply, 200, offerPage(l, token, null));
    return send(reply, 200, detailsPage(l, token, null));
  });

  app.post('/subscribe/:token/details', async (request: Req, reply) => {
    checkCsrf(request);
    const token = request.params.token;
    const l = await load(db, token, baseUrlOf(request, config.publicUrl), keeper);
    if (l.row.status !== 'PENDING') return reply.redirect(base(token), 303);
    const legal = l.investor.legal_person !== null;
    const block = legal ? 'legal_person' : 'natural_person';
    const current = (legal ? l.investor.legal_person : l.investor.natural_person) ?? {};
    // The form's fields replace theirs in the imported block; the rest of it stays as imported.
    const person: Person = { ...current };
    for (const [name] of legal ? COMPANY_FIELDS : PERSON_FIELDS) {
      const value = (request.body?.[name] ?? '').trim();
      if (value === '') delete person[name];
      else person[name] = name === 'citizenship' || name === 'country' ? value.toUpperCase() : value;
    }
    const email = (request.body?.email ?? '').trim();
    const patch: Person = { [block]: person };
    if (email) patch.communication = { ...(l.investor.communication ?? {}), email };
    const errors = bodyErrors(InvestorPatch, patch);
    if (errors) return send(reply, 400, detailsPage(l, token, errors, person, email));
    try {
      await db.transaction().execute(async (trx) => {
        await investmentBySubscriptionToken(trx, token, true);
        await updateInvestor(trx, l.row.distribution_platform_id, l.investor.id, patch as never);
      });
    } catch (error) {
      if (error instanceof ApiError && error.errors) {
        return send(reply, 400, detailsPage(l, token, error.errors, person, email));
      }
      throw error;
    }
    return reply.redirect(`${base(token)}?step=offer`, 303);
  });

  app.post('/subscribe/:token/sign', async (request: Req, reply) => {
    checkCsrf(request);
    const token = request.params.token;
    const l = await load(db, token, baseUrlOf(request, config.publicUrl), keeper);
    if (l.row.status !== 'PENDING') return reply.redirect(base(token), 303);
    if (request.body?.consent_tos !== 'yes' || request.body?.consent_terms !== 'yes') {
      return send(reply, 400, offerPage(l, token, 'Please give both consents to sign.'));
    }
    const signedAt = new Date().toISOString();
    const form = pdf(subscriptionFormText(l.facts, signedAt), signedAt);
    await db
      .transaction()
      .execute((trx) =>
        signWebSubscription(trx, token, { filename: `subscription-form-${l.row.id}.pdf`, content: form }, signedAt),
      );
    return reply.redirect(base(token), 303);
  });

  app.post('/subscribe/:token/wallet', async (request: Req, reply) => {
    checkCsrf(request);
    const token = request.params.token;
    const l = await load(db, token, baseUrlOf(request, config.publicUrl), keeper);
    const address = (request.body?.address ?? '').trim();
    if (request.body?.kind !== 'managed') {
      const problem = addressProblem(address);
      if (problem) return send(reply, 400, statusPage(l, token, `The address ${problem}.`, address));
    }
    try {
      await db.transaction().execute(async (trx) => {
        const row = await investmentBySubscriptionToken(trx, token, true);
        const platformId = row.distribution_platform_id;
        const existing = address
          ? await trx
              .selectFrom('wallets')
              .select(['id'])
              .where('investor_id', '=', row.investor_id)
              .where('address', '=', address)
              .where('receiving_enabled', '=', true)
              .executeTakeFirst()
          : undefined;
        const wallet =
          existing ??
          (request.body?.kind === 'managed'
            ? await createManagedWallet(
                trx,
                platformId,
                row.investor_id,
                { receiving_enabled: true },
                config.walletEncryptionKey,
              )
            : await createGenericWallet(trx, platformId, row.investor_id, { address, receiving_enabled: true }));
        await updateInvestment(trx, { kind: 'platform', platformId }, row.id, { wallet: wallet.id }, { baseUrl: '' });
      });
    } catch (error) {
      if (error instanceof ApiError && error.status < 500 && error.status !== 404 && error.status !== 410) {
        return send(reply, error.status, statusPage(l, token, error.detail, address));
      }
      throw error;
    }
    return reply.redirect(base(token), 303);
  });

  // ---- documents ---------------------------------------------------------------------------

  app.get('/subscribe/:token/documents/terms-of-issue.pdf', async (request: Req, reply) => {
    const l = await load(db, request.params.token, baseUrlOf(request, config.publicUrl), keeper);
    const content = pdf(termsText(l.facts), l.row.created_at);
    return reply
      .type('application/pdf')
      .header('content-disposition', 'inline; filename="terms-of-issue.pdf"')
      .send(content);
  });
  app.get('/subscribe/:token/documents/terms-of-service.pdf', async (request: Req, reply) => {
    const l = await load(db, request.params.token, baseUrlOf(request, config.publicUrl), keeper);
    const content = pdf(registerTermsText(keeper), l.row.created_at);
    return reply
      .type('application/pdf')
      .header('content-disposition', 'inline; filename="terms-of-service.pdf"')
      .send(content);
  });
}

function explain(status: string): string {
  switch (status) {
    case 'KYC_PENDING':
      return 'Your platform is verifying your identity; the subscription moves on once that is done.';
    case 'REVIEW_PENDING':
      return 'The issuer is reviewing your subscription.';
    case 'WAITING_FOR_ACCEPTANCE':
      return 'Your subscription waits for the issuer’s acceptance.';
    case 'ACCEPTED':
      return 'The issuer has accepted your subscription. Please pay the amount below.';
    case 'PAID':
      return 'Your payment has arrived. Your units will be credited to your wallet.';
    case 'DELIVERED':
      return 'Your units are in your wallet and entered in the register.';
    default:
      return `Your subscription has ended (${status}).`;
  }
}
