/**
 * Studio's other pages: products with their campaigns (create one, switch one on or off) and cap
 * table (register vs ledger), investors, registry statements, webhook deliveries, the mail outbox,
 * and for registrar users the registrar's pages (issuers, platforms, allowances, the web
 * subscription switch, API clients).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ComponentChildren } from 'preact';
import type { AppContext } from '../../http/app.ts';
import { ApiError, type FieldErrors, notFound } from '../../http/errors.ts';
import { bodyErrors } from '../../http/validation.ts';
import { connectLedger } from '../../ledger/chain.ts';
import { reconcile } from '../../ledger/reconcile.ts';
import {
  createApiClient,
  createIssuer,
  createPlatform,
  revokeApiClient,
  setAllowance,
  setWebSubscription,
} from '../../parties/service.ts';
import { CampaignCreate } from '../../products/routes.ts';
import { type CampaignInput, createCampaign, setCampaignActive } from '../../products/service.ts';
import { formatMoney, partyName } from '../../registry/domain.ts';
import { one, type PageRequest } from '../forms.ts';
import { Csrf, Facts, Field, html, Layout, type NavItem, when } from '../render.tsx';
import { investorName } from './queries.ts';
import type { StudioUser } from './session.ts';

type Req = PageRequest;

export interface StudioKit {
  userOf(request: Req, reply: FastifyReply): Promise<StudioUser | null>;
  layout(
    user: StudioUser,
    current: string,
    title: string,
  ): { title: string; area: string; nav: NavItem[]; user: string; logout: { csrf: string } };
  send(reply: FastifyReply, status: number, page: string): FastifyReply;
}

const DONE: Record<string, string> = {
  campaign: 'The campaign is created.',
  switched: 'The campaign is switched.',
  issuer: 'The issuer is created.',
  platform: 'The platform is created.',
  allowance: 'The allowance is changed.',
  web: 'The web-based subscription switch is changed.',
  revoked: 'The API client is revoked; its tokens stop working when they expire.',
};

/** A decimal amount typed by a person ("1500.50") as the API's Money; null when it is not one. */
function moneyOf(text: string | undefined, currency: string) {
  const t = (text ?? '').trim().replace(',', '.');
  const m = /^(\d+)(?:\.(\d+))?$/.exec(t);
  if (!m) return null;
  return { amount: `${m[1]}${m[2] ?? ''}`.replace(/^0+(?=\d)/, ''), decimals: (m[2] ?? '').length, currency };
}

function Table(props: { caption?: string; head: string[]; rows: (string | number | preact.JSX.Element | null)[][] }) {
  return (
    <div class="table-wrap">
      <table>
        {props.caption && <caption class="hint">{props.caption}</caption>}
        <thead>
          <tr>
            {props.head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c ?? '—'}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export async function registerBackOffice(app: FastifyInstance, ctx: AppContext, kit: StudioKit): Promise<void> {
  const { db, config } = ctx;
  const { userOf, layout, send } = kit;
  /** A page of Studio's frame with these contents, 200. */
  const page = (reply: FastifyReply, user: StudioUser, current: string, title: string, contents: ComponentChildren) =>
    send(reply, 200, html(<Layout {...layout(user, current, title)}>{contents}</Layout>));

  // ---- products, campaigns, cap table ------------------------------------------------------

  app.get('/studio/products/', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    const products = await db
      .selectFrom('products')
      .select(['id', 'name', 'isin', 'asset_code', 'max_issuable_amount', 'token_contract_address'])
      .$if(user.issuerId !== null, (q) => q.where('issuer_id', '=', user.issuerId!))
      .orderBy('created_at')
      .execute();
    return page(
      reply,
      user,
      '/studio/products/',
      'Products',
      <Table
        head={['Product', 'ISIN', 'Token', 'Issue volume (units)', 'Contract']}
        rows={products.map((p) => [
          <a href={`/studio/products/${p.id}/`}>{p.name}</a>,
          p.isin,
          p.asset_code,
          String(p.max_issuable_amount),
          p.token_contract_address ?? 'being deployed',
        ])}
      />,
    );
  });

  async function productOf(user: StudioUser, id: string) {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('product');
    const product = await db
      .selectFrom('products')
      .selectAll()
      .where('id', '=', id)
      .$if(user.issuerId !== null, (q) => q.where('issuer_id', '=', user.issuerId!))
      .executeTakeFirst();
    if (!product) throw notFound('product');
    return product;
  }

  async function productPage(
    request: Req,
    reply: FastifyReply,
    user: StudioUser,
    status: number,
    form?: { values: Record<string, string>; errors: FieldErrors },
  ) {
    const product = await productOf(user, request.params.id!);
    const campaigns = await db
      .selectFrom('campaigns')
      .innerJoin('distribution_platforms as dp', 'dp.id', 'campaigns.distribution_platform_id')
      .selectAll('campaigns')
      .select('dp.platform_company_name')
      .where('product_id', '=', product.id)
      .orderBy('campaigns.created_at')
      .execute();
    const listed = await db
      .selectFrom('listings')
      .innerJoin('distribution_platforms as dp', 'dp.id', 'listings.distribution_platform_id')
      .select(['dp.id', 'dp.platform_company_name'])
      .where('listings.product_id', '=', product.id)
      .orderBy('dp.platform_company_name')
      .execute();
    let capTable: Awaited<ReturnType<typeof reconcile>>[number] | null = null;
    let ledgerProblem: string | null = null;
    if (product.token_contract_address && ctx.chainRpcUrl) {
      try {
        const ledger = await connectLedger(config, ctx.chainRpcUrl);
        capTable = (await reconcile(db, ledger, product.id))[0] ?? null;
      } catch (error) {
        ledgerProblem = `The ledger does not answer (${(error as Error).message.split('\n')[0]}); the register alone is shown.`;
      }
    }
    const holders = await db
      .selectFrom('investments')
      .innerJoin('wallets', 'wallets.id', 'investments.wallet_id')
      .innerJoin('investors', 'investors.id', 'investments.investor_id')
      .select(['wallets.address', investorName.as('holder')])
      .select((eb) => eb.fn.sum<string>('investments.remaining_amount').as('held'))
      .where('investments.product_id', '=', product.id)
      .where('investments.remaining_amount', '>', 0n)
      .groupBy(['wallets.address', 'investors.natural_person', 'investors.legal_person'])
      .orderBy('wallets.address')
      .execute();
    const ledgerOf = (address: string) =>
      capTable?.holders.find((h) => h.address.toLowerCase() === address.toLowerCase())?.ledger_balance ?? null;
    const v = form?.values ?? {};
    const e = form?.errors;
    return send(
      reply,
      status,
      html(
        <Layout
          {...layout(user, '/studio/products/', product.name)}
          notice={DONE[one(request.query.done) ?? ''] ?? null}
          problem={e ? 'The campaign was not created: please correct the fields marked below.' : ledgerProblem}
        >
          <Facts
            rows={[
              ['ISIN', product.isin],
              ['Type', product.product_type],
              ['Issue volume', `${product.max_issuable_amount} units`],
              [
                'Contract',
                product.token_contract_address
                  ? `${product.token_contract_address} (chain ${product.token_chain_id})`
                  : 'being deployed',
              ],
            ]}
          />
          <h2>Campaigns</h2>
          <Table
            head={['Campaign', 'Platform', 'Price', 'Allocation', 'Reserved', 'Active', '']}
            rows={campaigns.map((c) => [
              c.name,
              c.platform_company_name,
              formatMoney(c.price_per_token, c.currency),
              String(c.allocation),
              String(c.units_reserved),
              c.is_campaign_active ? 'on' : 'off',
              <form method="post" action={`/studio/products/${product.id}/campaigns/${c.id}/active`}>
                <Csrf token={user.csrf} />
                <input type="hidden" name="active" value={c.is_campaign_active ? 'off' : 'on'} />
                <button type="submit" class="secondary">
                  {c.is_campaign_active ? `Switch ${c.name} off` : `Switch ${c.name} on`}
                </button>
              </form>,
            ])}
          />
          <h2>New campaign</h2>
          {listed.length === 0 ? (
            <p>List the product on a platform first (issuer API, POST /listings/).</p>
          ) : (
            <form method="post" action={`/studio/products/${product.id}/campaigns/`} novalidate>
              <Csrf token={user.csrf} />
              <div class="field">
                <label for="f-distribution_platform_id">Platform</label>
                <select id="f-distribution_platform_id" name="distribution_platform_id">
                  {listed.map((p) => (
                    <option key={p.id} value={p.id} selected={p.id === v.distribution_platform_id}>
                      {p.platform_company_name}
                    </option>
                  ))}
                </select>
              </div>
              <Field name="name" label="Name" value={v.name} required error={e?.name} />
              <Field name="allocation" label="Allocation (units)" value={v.allocation} required error={e?.allocation} />
              <Field
                name="price_per_token"
                label={`Price per unit (${product.currency})`}
                value={v.price_per_token}
                required
                error={e?.price_per_token ?? e?.['price_per_token.amount']}
              />
              <Field
                name="min_number_of_tokens"
                label="Fewest units per investment"
                value={v.min_number_of_tokens ?? '1'}
                error={e?.min_number_of_tokens}
              />
              <Field
                name="max_number_of_tokens"
                label="Most units per investment"
                value={v.max_number_of_tokens}
                required
                error={e?.max_number_of_tokens}
              />
              <Field name="country" label="Country (ISO 3166 alpha-3)" value={v.country ?? 'DEU'} error={e?.country} />
              <Field name="agio_percent" label="Agio (percent)" value={v.agio_percent ?? '0'} error={e?.agio_percent} />
              <div class="field">
                <label for="f-rule_type">Rule</label>
                <select id="f-rule_type" name="rule_type">
                  <option value="public_offering" selected={v.rule_type !== 'minimum_investment_amount'}>
                    public offering
                  </option>
                  <option value="minimum_investment_amount" selected={v.rule_type === 'minimum_investment_amount'}>
                    minimum investment amount
                  </option>
                </select>
              </div>
              <Field
                name="minimum_investment_amount"
                label={`Minimum investment (${product.currency}, for that rule)`}
                value={v.minimum_investment_amount}
                error={e?.minimum_investment_amount}
              />
              <fieldset>
                <legend>Who may invest</legend>
                <div>
                  <input
                    type="checkbox"
                    id="np"
                    name="natural_persons_allowed"
                    value="yes"
                    checked={v.natural_persons_allowed !== 'no'}
                  />{' '}
                  <label for="np">natural persons</label>
                </div>
                <div>
                  <input
                    type="checkbox"
                    id="lp"
                    name="legal_persons_allowed"
                    value="yes"
                    checked={v.legal_persons_allowed === 'yes'}
                  />{' '}
                  <label for="lp">legal persons</label>
                </div>
                <div>
                  <input
                    type="checkbox"
                    id="act"
                    name="is_campaign_active"
                    value="yes"
                    checked={v.is_campaign_active !== 'no'}
                  />{' '}
                  <label for="act">active at once</label>
                </div>
              </fieldset>
              <button type="submit">Create the campaign</button>
            </form>
          )}
          <h2>Cap table</h2>
          <p class="hint">Register (units held per wallet) against the ledger (the token's balances), now.</p>
          <Table
            head={['Holder', 'Wallet', 'Register', 'Ledger']}
            rows={holders.map((h) => [h.holder, h.address, String(h.held), ledgerOf(h.address) ?? '—'])}
          />
          {capTable && (
            <Facts
              rows={[
                ['Ledger supply', capTable.ledger_supply],
                ['Register total', capTable.register_total],
                ['Differences', capTable.differences.length ? capTable.differences.join('; ') : 'none'],
              ]}
            />
          )}
        </Layout>,
      ),
    );
  }

  app.get('/studio/products/:id/', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    return productPage(request, reply, user, 200);
  });

  app.post('/studio/products/:id/campaigns/', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    const product = await productOf(user, request.params.id!);
    const b = request.body ?? {};
    const values = Object.fromEntries(Object.entries(b).map(([k, val]) => [k, one(val) ?? ''])) as Record<
      string,
      string
    >;
    values.natural_persons_allowed = values.natural_persons_allowed === 'yes' ? 'yes' : 'no';
    values.legal_persons_allowed = values.legal_persons_allowed === 'yes' ? 'yes' : 'no';
    values.is_campaign_active = values.is_campaign_active === 'yes' ? 'yes' : 'no';
    const int = (s: string | undefined) => (/^\d+$/.test(s ?? '') ? Number(s) : (s ?? ''));
    const price = moneyOf(values.price_per_token, product.currency);
    const minimum = values.minimum_investment_amount
      ? moneyOf(values.minimum_investment_amount, product.currency)
      : undefined;
    const input = {
      distribution_platform_id: values.distribution_platform_id,
      name: values.name,
      allocation: int(values.allocation),
      price_per_token: price ?? values.price_per_token,
      min_number_of_tokens: int(values.min_number_of_tokens),
      max_number_of_tokens: int(values.max_number_of_tokens),
      legal_persons_allowed: values.legal_persons_allowed === 'yes',
      natural_persons_allowed: values.natural_persons_allowed === 'yes',
      country: (values.country ?? '').toUpperCase(),
      rule_type: values.rule_type,
      ...(minimum !== undefined ? { minimum_investment_amount: minimum ?? values.minimum_investment_amount } : {}),
      agio_percent: values.agio_percent || '0',
      is_campaign_active: values.is_campaign_active === 'yes',
    };
    const errors = bodyErrors(CampaignCreate, input);
    if (errors) return productPage(request, reply, user, 400, { values, errors });
    try {
      await db.transaction().execute((trx) => createCampaign(trx, user.issuerId, product.id, input as CampaignInput));
    } catch (error) {
      if (error instanceof ApiError && error.status < 500 && error.status !== 404) {
        return productPage(request, reply, user, error.status, {
          values,
          errors: error.errors ?? { campaign: [error.detail] },
        });
      }
      throw error;
    }
    return reply.redirect(`/studio/products/${product.id}/?done=campaign`, 303);
  });

  app.post('/studio/products/:id/campaigns/:campaign/active', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    const product = await productOf(user, request.params.id!);
    await db
      .transaction()
      .execute((trx) =>
        setCampaignActive(trx, user.issuerId, product.id, request.params.campaign!, one(request.body?.active) === 'on'),
      );
    return reply.redirect(`/studio/products/${product.id}/?done=switched`, 303);
  });

  // ---- investors, statements, webhooks, mail ------------------------------------------------

  app.get('/studio/investors/', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    const rows = await db
      .selectFrom('investors')
      .innerJoin('investments', 'investments.investor_id', 'investors.id')
      .innerJoin('distribution_platforms as dp', 'dp.id', 'investors.distribution_platform_id')
      .select(['investors.id', investorName.as('name'), 'investors.kyc_status', 'dp.platform_company_name'])
      .select((eb) => [
        eb.fn.count<string>('investments.id').as('investments'),
        eb.fn.sum<string>('investments.remaining_amount').as('held'),
      ])
      .$if(user.issuerId !== null, (q) => q.where('investments.issuer_id', '=', user.issuerId!))
      .groupBy(['investors.id', 'dp.platform_company_name'])
      .orderBy('investors.created_at', 'desc')
      .limit(500)
      .execute();
    return page(
      reply,
      user,
      '/studio/investors/',
      'Investors',
      <Table
        caption="Investors with investments in your products (the 500 newest)"
        head={['Investor', 'Platform', 'KYC', 'Investments', 'Units held']}
        rows={rows.map((r) => [
          <a href={`/studio/investments/?q=${encodeURIComponent(r.id)}`}>{r.name || r.id}</a>,
          r.platform_company_name,
          r.kyc_status,
          String(r.investments),
          String(r.held ?? 0),
        ])}
      />,
    );
  });

  app.get('/studio/statements/', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    const rows = await db
      .selectFrom('registry_statements as s')
      .innerJoin('investments', 'investments.id', 's.investment_id')
      .innerJoin('investors', 'investors.id', 'investments.investor_id')
      .innerJoin('products', 'products.id', 'investments.product_id')
      .select([
        's.id',
        's.reason',
        's.units',
        's.remaining_amount',
        's.created_at',
        'products.name',
        investorName.as('holder'),
      ])
      .$if(user.issuerId !== null, (q) => q.where('investments.issuer_id', '=', user.issuerId!))
      .orderBy('s.created_at', 'desc')
      .limit(200)
      .execute();
    return page(
      reply,
      user,
      '/studio/statements/',
      'Registry statements',
      <Table
        caption="The 200 newest statements"
        head={['Time', 'Reason', 'Holder', 'Product', 'Units', 'Held after', 'PDF']}
        rows={rows.map((r) => [
          when(r.created_at),
          r.reason,
          r.holder,
          r.name,
          String(r.units),
          String(r.remaining_amount),
          <a href={`/studio/statements/${r.id}.pdf`}>download</a>,
        ])}
      />,
    );
  });

  app.get('/studio/statements/:file', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    const id = (request.params.file ?? '').replace(/\.pdf$/, '');
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('statement');
    const row = await db
      .selectFrom('registry_statements as s')
      .innerJoin('investments', 'investments.id', 's.investment_id')
      .select(['s.content', 's.sha256'])
      .where('s.id', '=', id)
      .$if(user.issuerId !== null, (q) => q.where('investments.issuer_id', '=', user.issuerId!))
      .executeTakeFirst();
    if (!row) throw notFound('statement');
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="registry-statement-${id}.pdf"`)
      .header('etag', `"${row.sha256}"`)
      .send(row.content);
  });

  app.get('/studio/webhooks/', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    const hooks = await db
      .selectFrom('webhooks')
      .select(['id', 'url', 'events', 'is_active', 'disabled_reason'])
      .where('deleted_at', 'is', null)
      .$if(user.issuerId !== null, (q) => q.where('issuer_id', '=', user.issuerId!))
      .$if(user.issuerId === null, (q) => q.where('issuer_id', 'is not', null))
      .orderBy('created_at')
      .execute();
    const deliveries = hooks.length
      ? await db
          .selectFrom('webhook_deliveries as d')
          .innerJoin('events', 'events.id', 'd.event_id')
          .innerJoin('webhooks', 'webhooks.id', 'd.webhook_id')
          .select([
            'd.created_at',
            'events.type',
            'webhooks.url',
            'd.status',
            'd.attempts',
            'd.last_status_code',
            'd.last_error',
          ])
          .where(
            'd.webhook_id',
            'in',
            hooks.map((h) => h.id),
          )
          .orderBy('d.created_at', 'desc')
          .limit(200)
          .execute()
      : [];
    return page(
      reply,
      user,
      '/studio/webhooks/',
      'Webhooks',
      <>
        <Table
          caption="Subscriptions (managed through the API)"
          head={['URL', 'Events', 'State']}
          rows={hooks.map((h) => [
            h.url,
            h.events?.join(', ') ?? 'all',
            h.is_active ? 'active' : `disabled: ${h.disabled_reason ?? ''}`,
          ])}
        />
        <h2>Deliveries</h2>
        <Table
          caption="The 200 newest deliveries"
          head={['Time', 'Event', 'URL', 'Status', 'Attempts', 'Last answer']}
          rows={deliveries.map((d) => [
            when(d.created_at),
            d.type,
            d.url,
            d.status,
            String(d.attempts),
            d.last_status_code !== null ? String(d.last_status_code) : d.last_error,
          ])}
        />
      </>,
    );
  });

  app.get('/studio/mail/', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    const mails = await db
      .selectFrom('emails')
      .select(['created_at', 'subject', 'recipients', 'sent_at', 'last_error', 'attempts'])
      .$if(user.issuerId !== null, (q) => q.where('issuer_id', '=', user.issuerId!))
      .orderBy('created_at', 'desc')
      .limit(200)
      .execute();
    return page(
      reply,
      user,
      '/studio/mail/',
      'Mail outbox',
      <Table
        caption="E-mails to Studio users (the 200 newest); without SMTP_URL they stay here unsent"
        head={['Time', 'Subject', 'To', 'Sent']}
        rows={mails.map((m) => [
          when(m.created_at),
          m.subject,
          m.recipients?.join(', ') ?? null,
          m.sent_at ? when(m.sent_at) : m.last_error ? `not yet: ${m.last_error}` : 'not yet',
        ])}
      />,
    );
  });

  // ---- the registrar's pages ---------------------------------------------------------------

  function registrarOnly(user: StudioUser) {
    // An issuer's user gets the same answer as for a page that does not exist.
    if (user.issuerId !== null) throw notFound('page');
  }

  async function registrarPage(
    request: Req,
    reply: FastifyReply,
    user: StudioUser,
    secret?: { client_id: string; client_secret: string },
  ) {
    const issuers = await db
      .selectFrom('issuers')
      .select(['id', 'natural_person', 'legal_person', 'created_at'])
      .orderBy('created_at')
      .execute();
    const platforms = await db
      .selectFrom('distribution_platforms')
      .select(['id', 'platform_company_name', 'web_subscription_enabled'])
      .orderBy('created_at')
      .execute();
    const allowances = await db.selectFrom('issuer_platform_allowances').selectAll().execute();
    const clients = await db
      .selectFrom('api_clients')
      .select([
        'name',
        'client_id',
        'principal_type',
        'issuer_id',
        'distribution_platform_id',
        'revoked_at',
        'created_at',
      ])
      .orderBy('created_at')
      .execute();
    const issuerName = (i: { natural_person: unknown; legal_person: unknown }) =>
      partyName(i.natural_person, i.legal_person);
    const allowed = (issuerId: string, platformId: string) =>
      allowances.some((a) => a.issuer_id === issuerId && a.distribution_platform_id === platformId && a.is_allowed);
    const ownerName = (c: { issuer_id: string | null; distribution_platform_id: string | null }) =>
      c.issuer_id
        ? issuerName(issuers.find((i) => i.id === c.issuer_id) ?? { natural_person: null, legal_person: null })
        : (platforms.find((p) => p.id === c.distribution_platform_id)?.platform_company_name ?? 'registrar');
    return send(
      reply,
      200,
      html(
        <Layout
          {...layout(user, '/studio/registrar/', 'Registrar')}
          notice={DONE[one(request.query.done) ?? ''] ?? null}
        >
          {secret && (
            <div class="notice" role="status">
              <p>
                The new client's secret is shown this once: client_id <code>{secret.client_id}</code>, client_secret{' '}
                <code>{secret.client_secret}</code>
              </p>
            </div>
          )}
          <h2>Issuers</h2>
          <Table head={['Issuer', 'Created']} rows={issuers.map((i) => [issuerName(i), when(i.created_at)])} />
          <form method="post" action="/studio/registrar/issuers">
            <Csrf token={user.csrf} />
            <Field name="company_name" label="New issuer (company name)" required />
            <button type="submit">Create issuer</button>
          </form>
          <h2>Platforms</h2>
          <Table
            head={['Platform', 'Web-based subscription', '']}
            rows={platforms.map((p) => [
              p.platform_company_name,
              p.web_subscription_enabled ? 'on' : 'off',
              <form method="post" action={`/studio/registrar/platforms/${p.id}/web-subscription`}>
                <Csrf token={user.csrf} />
                <input type="hidden" name="enabled" value={p.web_subscription_enabled ? 'off' : 'on'} />
                <button type="submit" class="secondary">
                  {p.web_subscription_enabled
                    ? `Switch off for ${p.platform_company_name}`
                    : `Switch on for ${p.platform_company_name}`}
                </button>
              </form>,
            ])}
          />
          <form method="post" action="/studio/registrar/platforms">
            <Csrf token={user.csrf} />
            <Field name="platform_company_name" label="New platform (company name)" required />
            <button type="submit">Create platform</button>
          </form>
          <h2>Allowances</h2>
          <Table
            caption="Which issuer may distribute through which platform"
            head={['Issuer', 'Platform', 'Allowed', '']}
            rows={issuers.flatMap((i) =>
              platforms.map((p) => [
                issuerName(i),
                p.platform_company_name,
                allowed(i.id, p.id) ? 'yes' : 'no',
                <form method="post" action="/studio/registrar/allowances">
                  <Csrf token={user.csrf} />
                  <input type="hidden" name="issuer_id" value={i.id} />
                  <input type="hidden" name="distribution_platform_id" value={p.id} />
                  <input type="hidden" name="allowed" value={allowed(i.id, p.id) ? 'no' : 'yes'} />
                  <button type="submit" class="secondary">
                    {allowed(i.id, p.id) ? 'Deny' : 'Allow'}
                  </button>
                </form>,
              ]),
            )}
          />
          <h2>API clients</h2>
          <Table
            head={['Name', 'Principal', 'Owner', 'client_id', 'State', '']}
            rows={clients.map((c) => [
              c.name,
              c.principal_type,
              ownerName(c),
              c.client_id,
              c.revoked_at ? `revoked ${when(c.revoked_at)}` : 'active',
              c.revoked_at ? null : (
                <form method="post" action="/studio/registrar/clients/revoke">
                  <Csrf token={user.csrf} />
                  <input type="hidden" name="client_id" value={c.client_id} />
                  <button type="submit" class="danger">
                    Revoke {c.name}
                  </button>
                </form>
              ),
            ])}
          />
          <form method="post" action="/studio/registrar/clients">
            <Csrf token={user.csrf} />
            <Field name="name" label="New client's name" required />
            <div class="field">
              <label for="f-owner">For</label>
              <select id="f-owner" name="owner">
                {issuers.map((i) => (
                  <option key={i.id} value={`issuer:${i.id}`}>
                    issuer {issuerName(i)}
                  </option>
                ))}
                {platforms.map((p) => (
                  <option key={p.id} value={`distribution_platform:${p.id}`}>
                    platform {p.platform_company_name}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit">Create client</button>
          </form>
        </Layout>,
      ),
    );
  }

  app.get('/studio/registrar/', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    registrarOnly(user);
    return registrarPage(request, reply, user);
  });

  const registrarAction =
    (
      run: (
        body: Record<string, string>,
        params: Record<string, string>,
      ) => Promise<string | { client_id: string; client_secret: string }>,
    ) =>
    async (request: Req, reply: FastifyReply) => {
      const user = await userOf(request, reply);
      if (!user) return reply;
      registrarOnly(user);
      const body = Object.fromEntries(Object.entries(request.body ?? {}).map(([k, v]) => [k, one(v) ?? ''])) as Record<
        string,
        string
      >;
      const result = await run(body, request.params);
      // A new client's secret is shown on the answer itself, never put in a URL.
      if (typeof result !== 'string') return registrarPage(request, reply, user, result);
      return reply.redirect(`/studio/registrar/?done=${result}`, 303);
    };

  app.post(
    '/studio/registrar/issuers',
    registrarAction(async (b) => {
      const name = (b.company_name ?? '').trim();
      if (!name) throw new ApiError(400, 'validation_error', 'company_name: is required');
      await db.transaction().execute((trx) => createIssuer(trx, { legal_person: { company_name: name } }));
      return 'issuer';
    }),
  );
  app.post(
    '/studio/registrar/platforms',
    registrarAction(async (b) => {
      const name = (b.platform_company_name ?? '').trim();
      if (!name) throw new ApiError(400, 'validation_error', 'platform_company_name: is required');
      await db.transaction().execute((trx) => createPlatform(trx, { platform_company_name: name }));
      return 'platform';
    }),
  );
  app.post(
    '/studio/registrar/platforms/:id/web-subscription',
    registrarAction(async (b, params) => {
      await db.transaction().execute((trx) => setWebSubscription(trx, params.id ?? '', b.enabled === 'on'));
      return 'web';
    }),
  );
  app.post(
    '/studio/registrar/allowances',
    registrarAction(async (b) => {
      await db
        .transaction()
        .execute((trx) => setAllowance(trx, b.issuer_id ?? '', b.distribution_platform_id ?? '', b.allowed === 'yes'));
      return 'allowance';
    }),
  );
  app.post(
    '/studio/registrar/clients',
    registrarAction(async (b) => {
      const [principal, id] = (b.owner ?? '').split(':');
      const name = (b.name ?? '').trim();
      if (!name) throw new ApiError(400, 'validation_error', 'name: is required');
      if (principal !== 'issuer' && principal !== 'distribution_platform') {
        throw new ApiError(400, 'validation_error', 'owner: choose an issuer or a platform');
      }
      const client = await db.transaction().execute((trx) =>
        createApiClient(trx, {
          name,
          principal,
          ...(principal === 'issuer' ? { issuerId: id } : { platformId: id }),
        }),
      );
      return { client_id: client.client_id, client_secret: client.client_secret };
    }),
  );
  app.post(
    '/studio/registrar/clients/revoke',
    registrarAction(async (b) => {
      await db.transaction().execute((trx) => revokeApiClient(trx, b.client_id ?? ''));
      return 'revoked';
    }),
  );
}
