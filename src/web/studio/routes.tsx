/**
 * Studio, the issuers' back office: login, an overview per product, the investments with filters,
 * search and paging, an investment's page with its history and actions, batch acceptance and
 * payment. Every action calls the same use case as the API, in one transaction; every form carries
 * the session's CSRF token. A registrar user (no issuer) sees every issuer's objects.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { sql } from 'kysely';
import type { Db, Trx } from '../../db/database.ts';
import type { AppContext } from '../../http/app.ts';
import { ApiError } from '../../http/errors.ts';
import { WithStatus } from '../../http/idempotency.ts';
import { baseUrlOf, MAX_OFFSET } from '../../http/pagination.ts';
import {
  INVESTMENT_STATUSES,
  type InvestmentStatus,
  ISSUER_CANCELLATION_REASONS,
  type IssuerCancellationReason,
} from '../../investments/domain.ts';
import {
  cancelByIssuer,
  getInvestment,
  type InvestmentView,
  type InvestmentViewer,
  investmentViews,
  updateInvestment,
  visibleInvestments,
} from '../../investments/service.ts';
import { creditsWithHash, creditView, requestCredit } from '../../ledger/credits.ts';
import { many, one, type PageRequest, sendPage } from '../forms.ts';
import { Csrf, Facts, html, Layout, money, type NavItem, when } from '../render.tsx';
import { cookie, csrfToken, csrfValid, readCookie } from '../security.ts';
import { registerBackOffice, type StudioKit } from './backoffice.tsx';
import { investorName } from './queries.ts';
import { logIn, logOut, type StudioUser, sessionCookie, sessionUser } from './session.ts';

type Req = PageRequest;

const PAGE_SIZE = 50;
const LOGIN_COOKIE = 'kontor_login';

/** Messages after an action, by code (never text from the URL). */
const DONE: Record<string, string> = {
  accepted: 'The investment is accepted.',
  reviewed: 'The review is recorded.',
  paid: 'The payment is recorded.',
  credit: 'Crediting has started; the investment becomes DELIVERED when the units are on the ledger.',
  cancelled: 'The investment is cancelled.',
  burning: 'The units are being burned; the investment becomes CANCELLATION when the burn is on the ledger.',
  batch: 'The selected investments were processed.',
};

function nav(current: string, user: StudioUser): NavItem[] {
  return [
    { href: '/studio/', label: 'Overview' },
    { href: '/studio/investments/', label: 'Investments' },
    { href: '/studio/investors/', label: 'Investors' },
    { href: '/studio/products/', label: 'Products' },
    { href: '/studio/statements/', label: 'Statements' },
    { href: '/studio/webhooks/', label: 'Webhooks' },
    { href: '/studio/mail/', label: 'Mail' },
    ...(user.issuerId === null ? [{ href: '/studio/registrar/', label: 'Registrar' }] : []),
  ].map((i) => ({ ...i, current: i.href === current }));
}

const viewerOf = (user: StudioUser): InvestmentViewer => ({ kind: 'issuer', issuerId: user.issuerId });

const send = sendPage;

/** A date (YYYY-MM-DD) from a form as the start of that day in UTC; null when it is not one. */
function dateInput(value: string | undefined): string | null {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return null;
  return `${value}T00:00:00Z`;
}

/**
 * When a payment recorded for a day happened: now for today; else the start of that day (UTC),
 * but not before the acceptance on that same day (a payment follows its acceptance).
 */
function paymentTime(day: string, acceptedAt: string | null, now = new Date()): string {
  if (day === now.toISOString().slice(0, 10)) return now.toISOString();
  const start = `${day}T00:00:00Z`;
  if (acceptedAt && acceptedAt.slice(0, 10) === day && Date.parse(start) < Date.parse(acceptedAt)) return acceptedAt;
  return start;
}

export async function registerStudioRoutes(app: import('fastify').FastifyInstance, ctx: AppContext) {
  const { db, config, signingKey } = ctx;
  const secure = (config.publicUrl ?? '').startsWith('https://');

  // ---- login and logout -------------------------------------------------------------------

  const loginPage = (reply: FastifyReply, status: number, problem: string | null, email = '') => {
    // Login CSRF: a random nonce in a cookie, and the form carries its MAC (double submit).
    const nonce = randomBytes(24).toString('base64url');
    reply.header('set-cookie', cookie(LOGIN_COOKIE, nonce, { path: '/studio', maxAgeSeconds: 3600, secure }));
    return send(
      reply,
      status,
      html(
        <Layout title="Log in" area="Kontor Studio" problem={problem}>
          <form method="post" action="/studio/login">
            <Csrf token={csrfToken(signingKey, `login:${nonce}`)} />
            <div class="field">
              <label for="email">E-mail</label>
              <input id="email" name="email" type="email" value={email} required autocomplete="username" />
            </div>
            <div class="field">
              <label for="password">Password</label>
              <input id="password" name="password" type="password" required autocomplete="current-password" />
            </div>
            <button type="submit">Log in</button>
          </form>
        </Layout>,
      ),
    );
  };

  app.get('/studio/login', async (_request, reply) => loginPage(reply, 200, null));
  app.post('/studio/login', async (request: Req, reply) => {
    const nonce = readCookie(request.headers.cookie, LOGIN_COOKIE);
    if (!nonce || !csrfValid(signingKey, `login:${nonce}`, one(request.body?._csrf))) {
      return loginPage(reply, 403, 'The form expired or did not come from this site. Please log in again.');
    }
    const email = one(request.body?.email) ?? '';
    const token = await logIn(db, email, one(request.body?.password) ?? '');
    if (!token) return loginPage(reply, 401, 'E-mail or password is wrong.', email);
    reply.header('set-cookie', [
      sessionCookie(token, secure),
      cookie(LOGIN_COOKIE, '', { path: '/studio', maxAgeSeconds: 0, secure }),
    ]);
    return reply.redirect('/studio/', 303);
  });

  /** The logged-in user, or a redirect to the login page; POSTs must carry the session's CSRF token. */
  async function userOf(request: Req, reply: FastifyReply): Promise<StudioUser | null> {
    const user = await sessionUser(db, signingKey, request.headers.cookie);
    if (!user) {
      await reply.redirect('/studio/login', 303);
      return null;
    }
    if (request.method === 'POST' && !csrfValid(signingKey, `studio:${user.sessionHash}`, one(request.body?._csrf))) {
      throw new ApiError(403, 'csrf_failed', 'The form expired or did not come from this site; nothing was changed.');
    }
    return user;
  }

  app.post('/studio/logout', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    await logOut(db, user.sessionHash);
    reply.header('set-cookie', sessionCookie(null, secure));
    return reply.redirect('/studio/login', 303);
  });

  const layout = (user: StudioUser, current: string, title: string) => ({
    title,
    area: 'Kontor Studio',
    nav: nav(current, user),
    user: user.email,
    logout: { csrf: user.csrf },
  });

  // ---- overview ---------------------------------------------------------------------------

  app.get('/studio/', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    const rows = await overview(db, user.issuerId);
    return send(
      reply,
      200,
      html(
        <Layout {...layout(user, '/studio/', 'Overview')}>
          <div class="table-wrap">
            <table>
              <caption class="hint">
                Units per product, by stage (subscriptions; holdings received by transfer are not counted)
              </caption>
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col" class="num">
                    Subscribed
                  </th>
                  <th scope="col" class="num">
                    Accepted
                  </th>
                  <th scope="col" class="num">
                    Paid
                  </th>
                  <th scope="col" class="num">
                    Delivered
                  </th>
                  <th scope="col" class="num">
                    Available
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id}>
                    <th scope="row">
                      <a href={`/studio/investments/?product=${r.id}`}>{r.name}</a>
                    </th>
                    <td class="num">{r.subscribed}</td>
                    <td class="num">{r.accepted}</td>
                    <td class="num">{r.paid}</td>
                    <td class="num">{r.delivered}</td>
                    <td class="num">{r.available}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Layout>,
      ),
    );
  });

  // ---- investments ------------------------------------------------------------------------

  app.get('/studio/investments/', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    const status = one(request.query.status);
    const product = one(request.query.product);
    const q = (one(request.query.q) ?? '').trim();
    const offset = Math.min(MAX_OFFSET, Math.max(0, Number.parseInt(one(request.query.offset) ?? '0', 10) || 0));
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    const base = visibleInvestments(db, viewerOf(user))
      .innerJoin('investors', 'investors.id', 'investments.investor_id')
      .innerJoin('products', 'products.id', 'investments.product_id')
      .$if(!!status && (INVESTMENT_STATUSES as readonly string[]).includes(status), (b) =>
        b.where('investments.status', '=', status!),
      )
      .$if(!!product && uuid.test(product), (b) => b.where('investments.product_id', '=', product!))
      .$if(q !== '', (b) =>
        b.where((eb) =>
          eb.or([
            eb(sql`investors.natural_person->>'surname'`, 'ilike', `%${q}%`),
            eb(sql`investors.natural_person->>'forename'`, 'ilike', `%${q}%`),
            eb(sql`investors.legal_person->>'company_name'`, 'ilike', `%${q}%`),
            eb('investments.payment_reference', 'ilike', `%${q}%`),
            ...(uuid.test(q) ? [eb('investments.id', '=', q)] : []),
          ]),
        ),
      );
    const [{ count }] = [await base.select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow()];
    const rows = await base
      .selectAll('investments')
      .select([investorName.as('investor_name'), 'products.name as product_name'])
      .orderBy('investments.created_at', 'desc')
      .orderBy('investments.id', 'desc')
      .limit(PAGE_SIZE)
      .offset(offset)
      .execute();
    const views = await investmentViews(db, rows, { baseUrl: baseUrlOf(request, config.publicUrl) });
    const products = await productsOf(db, user.issuerId);
    const total = Number(count);
    const link = (o: number) => {
      const p = new URLSearchParams();
      if (status) p.set('status', status);
      if (product) p.set('product', product);
      if (q) p.set('q', q);
      p.set('offset', String(o));
      return `/studio/investments/?${p}`;
    };
    return send(
      reply,
      200,
      html(
        <Layout
          {...layout(user, '/studio/investments/', 'Investments')}
          notice={DONE[one(request.query.done) ?? ''] ?? null}
        >
          <form method="get" action="/studio/investments/" class="filters" aria-label="Filter investments">
            <div class="field">
              <label for="status">Status</label>
              <select id="status" name="status">
                <option value="">any</option>
                {INVESTMENT_STATUSES.map((s) => (
                  <option key={s} value={s} selected={s === status}>
                    {s}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="product">Product</label>
              <select id="product" name="product">
                <option value="">any</option>
                {products.map((p) => (
                  <option key={p.id} value={p.id} selected={p.id === product}>
                    {p.name}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="q">Search</label>
              <input id="q" name="q" type="search" value={q} placeholder="name, payment reference, id" />
            </div>
            <button type="submit" class="secondary">
              Filter
            </button>
          </form>
          <form method="post" action="/studio/investments/batch">
            <Csrf token={user.csrf} />
            <p class="hint">
              {total} investment{total === 1 ? '' : 's'}
              {total > 0 ? `, ${offset + 1}–${Math.min(offset + PAGE_SIZE, total)} shown` : ''}
            </p>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">
                      <span class="hint">Select</span>
                    </th>
                    <th scope="col">Investor</th>
                    <th scope="col">Product</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">
                      Units
                    </th>
                    <th scope="col" class="num">
                      Payment total
                    </th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {views.map((v, i) => (
                    <tr key={v.id}>
                      <td>
                        <input
                          type="checkbox"
                          name="ids"
                          value={v.id}
                          id={`select-${v.id}`}
                          aria-label={`Select the investment of ${rows[i]!.investor_name}`}
                        />
                      </td>
                      <td>
                        <a href={`/studio/investments/${v.id}/`}>{rows[i]!.investor_name || v.investor_id}</a>
                      </td>
                      <td>{rows[i]!.product_name}</td>
                      <td class="status">{v.status}</td>
                      <td class="num">{v.units}</td>
                      <td class="num">{money(v.payment_total)}</td>
                      <td>{when(v.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <fieldset class="actions">
              <legend>With the selected investments</legend>
              <button type="submit" name="action" value="accept">
                Accept
              </button>
              <div class="field">
                <label for="batch-paid">Paid on</label>
                <input id="batch-paid" name="paid_on" type="date" />
              </div>
              <button type="submit" name="action" value="pay" class="secondary">
                Mark paid
              </button>
            </fieldset>
          </form>
          <nav class="pager" aria-label="Pages">
            {offset > 0 && <a href={link(Math.max(0, offset - PAGE_SIZE))}>Previous page</a>}
            {offset + PAGE_SIZE < total && <a href={link(offset + PAGE_SIZE)}>Next page</a>}
          </nav>
        </Layout>,
      ),
    );
  });

  app.post('/studio/investments/batch', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    const ids = many(request.body?.ids);
    const action = one(request.body?.action);
    if (ids.length === 0) throw new ApiError(400, 'nothing_selected', 'Select at least one investment.');
    const paidAt = dateInput(one(request.body?.paid_on));
    if (action === 'pay' && !paidAt) throw new ApiError(400, 'paid_on', 'Give the date of payment (YYYY-MM-DD).');
    if (action !== 'accept' && action !== 'pay') throw new ApiError(400, 'action', 'Unknown action.');
    // All or nothing: one refusal leaves every selected investment as it was.
    await db.transaction().execute(async (trx) => {
      for (const id of ids) {
        const current = await getInvestment(trx, viewerOf(user), id, { baseUrl: '' });
        const patch =
          action === 'accept'
            ? { accepted_at: new Date().toISOString() }
            : { paid_at: paymentTime(paidAt!.slice(0, 10), current.accepted_at) };
        await updateInvestment(trx, viewerOf(user), id, patch, { baseUrl: '' });
      }
    });
    return reply.redirect('/studio/investments/?done=batch', 303);
  });

  app.get('/studio/investments/:id/', async (request: Req, reply) => {
    const user = await userOf(request, reply);
    if (!user) return reply;
    const investment = await getInvestment(db, viewerOf(user), request.params.id!, {
      baseUrl: baseUrlOf(request, config.publicUrl),
    });
    return send(
      reply,
      200,
      await investmentPage(db, user, layout(user, '/studio/investments/', 'Investment'), investment, {
        notice: DONE[one(request.query.done) ?? ''] ?? null,
      }),
    );
  });

  /** Runs an action on an investment; a refusal re-renders its page with the reason. */
  const action =
    (run: (user: StudioUser, id: string, body: Record<string, string | string[]>) => Promise<string>) =>
    async (request: Req, reply: FastifyReply) => {
      const user = await userOf(request, reply);
      if (!user) return reply;
      const id = request.params.id!;
      try {
        const done = await run(user, id, request.body ?? {});
        return reply.redirect(`/studio/investments/${id}/?done=${done}`, 303);
      } catch (error) {
        if (!(error instanceof ApiError) || error.status === 404 || error.status >= 500) throw error;
        const investment = await getInvestment(db, viewerOf(user), id, {
          baseUrl: baseUrlOf(request, config.publicUrl),
        });
        const detail = error.errors
          ? Object.entries(error.errors)
              .map(([f, m]) => `${f}: ${m.join(', ')}`)
              .join('; ')
          : error.detail;
        return send(
          reply,
          error.status,
          await investmentPage(db, user, layout(user, '/studio/investments/', 'Investment'), investment, {
            problem: detail,
          }),
        );
      }
    };

  const inTransaction = <T,>(f: (trx: Trx) => Promise<T>) => db.transaction().execute(f);

  app.post(
    '/studio/investments/:id/accept',
    action(async (user, id) => {
      await inTransaction((trx) =>
        updateInvestment(trx, viewerOf(user), id, { accepted_at: new Date().toISOString() }, { baseUrl: '' }),
      );
      return 'accepted';
    }),
  );
  app.post(
    '/studio/investments/:id/review',
    action(async (user, id) => {
      await inTransaction((trx) =>
        updateInvestment(trx, viewerOf(user), id, { review_completed_at: new Date().toISOString() }, { baseUrl: '' }),
      );
      return 'reviewed';
    }),
  );
  app.post(
    '/studio/investments/:id/pay',
    action(async (user, id, body) => {
      const paidOn = dateInput(one(body.paid_on));
      if (!paidOn) throw new ApiError(400, 'validation_error', 'paid_on: give the date of payment (YYYY-MM-DD)');
      await inTransaction(async (trx) => {
        const current = await getInvestment(trx, viewerOf(user), id, { baseUrl: '' });
        const paidAt = paymentTime(paidOn.slice(0, 10), current.accepted_at);
        return updateInvestment(trx, viewerOf(user), id, { paid_at: paidAt }, { baseUrl: '' });
      });
      return 'paid';
    }),
  );
  app.post(
    '/studio/investments/:id/credit',
    action(async (user, id) => {
      await inTransaction((trx) => requestCredit(trx, viewerOf(user), id));
      return 'credit';
    }),
  );
  app.post(
    '/studio/investments/:id/cancel',
    action(async (user, id, body) => {
      const reason = one(body.reason);
      if (!(ISSUER_CANCELLATION_REASONS as readonly string[]).includes(reason ?? '')) {
        throw new ApiError(400, 'validation_error', 'reason: choose a reason');
      }
      const date = dateInput(one(body.cancellation_date)) ?? new Date().toISOString();
      const result = await inTransaction((trx) =>
        cancelByIssuer(trx, user.issuerId, id, reason as IssuerCancellationReason, date, { baseUrl: '' }),
      );
      return result instanceof WithStatus ? 'burning' : 'cancelled';
    }),
  );

  await registerBackOffice(app, ctx, {
    userOf: userOf as StudioKit['userOf'],
    layout,
    send,
  });
}

async function overview(db: Db, issuerId: string | null) {
  const rows = await db
    .selectFrom('products')
    .leftJoin('investments', (join) =>
      join.onRef('investments.product_id', '=', 'products.id').on('investments.origin', '=', 'SUBSCRIPTION'),
    )
    .select([
      'products.id',
      'products.name',
      'products.max_issuable_amount',
      sql<string>`coalesce(sum(investments.units) filter (where investments.signed_at is not null and investments.status in ('KYC_PENDING','REVIEW_PENDING','WAITING_FOR_ACCEPTANCE','ACCEPTED','PAID','DELIVERED')), 0)`.as(
        'subscribed',
      ),
      sql<string>`coalesce(sum(investments.units) filter (where investments.status in ('ACCEPTED','PAID','DELIVERED')), 0)`.as(
        'accepted',
      ),
      sql<string>`coalesce(sum(investments.units) filter (where investments.status in ('PAID','DELIVERED')), 0)`.as(
        'paid',
      ),
      sql<string>`coalesce(sum(investments.units) filter (where investments.status = 'DELIVERED'), 0)`.as('delivered'),
      sql<string>`(select coalesce(sum(c.units_reserved), 0) from campaigns c where c.product_id = products.id)`.as(
        'reserved',
      ),
    ])
    .$if(issuerId !== null, (q) => q.where('products.issuer_id', '=', issuerId!))
    .groupBy('products.id')
    .orderBy('products.created_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    subscribed: Number(r.subscribed),
    accepted: Number(r.accepted),
    paid: Number(r.paid),
    delivered: Number(r.delivered),
    available: Number(r.max_issuable_amount - BigInt(r.reserved)),
  }));
}

async function productsOf(db: Db, issuerId: string | null) {
  return db
    .selectFrom('products')
    .select(['id', 'name'])
    .$if(issuerId !== null, (q) => q.where('issuer_id', '=', issuerId!))
    .orderBy('name')
    .execute();
}

async function investmentPage(
  db: Db,
  user: StudioUser,
  frame: { title: string; area: string; nav: NavItem[]; user: string; logout: { csrf: string } },
  v: InvestmentView,
  messages: { notice?: string | null; problem?: string | null },
): Promise<string> {
  const facts = await db
    .selectFrom('investments')
    .innerJoin('investors', 'investors.id', 'investments.investor_id')
    .innerJoin('products', 'products.id', 'investments.product_id')
    .innerJoin('distribution_platforms', 'distribution_platforms.id', 'investments.distribution_platform_id')
    .select([
      investorName.as('investor_name'),
      'investors.kyc_status',
      'products.name as product_name',
      'products.requires_review',
      'distribution_platforms.platform_company_name',
    ])
    .where('investments.id', '=', v.id)
    .executeTakeFirstOrThrow();
  const history = await db
    .selectFrom('investment_status_changes')
    .select(['previous_status', 'status', 'changed_at'])
    .where('investment_id', '=', v.id)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const credits = (
    await creditsWithHash(db).where('credits.investment_id', '=', v.id).orderBy('credits.created_at').execute()
  ).map(creditView);
  const status = v.status as InvestmentStatus;
  const today = new Date().toISOString().slice(0, 10);
  return html(
    <Layout
      {...frame}
      title={`Investment of ${facts.investor_name}`}
      notice={messages.notice}
      problem={messages.problem}
    >
      <Facts
        rows={[
          ['Status', <span class="status">{v.status}</span>],
          ['Product', facts.product_name],
          ['Investor', `${facts.investor_name} (KYC ${facts.kyc_status})`],
          ['Platform', facts.platform_company_name],
          ['Units', String(v.units)],
          ['Units held', String(v.remaining_amount)],
          ['Price per unit', money(v.price_per_token)],
          ['Investment amount', money(v.investment_amount)],
          ['Agio', money(v.agio)],
          ['Disagio', money(v.disagio)],
          ['Accrued interest', money(v.accrued_interest)],
          ['Payment total', money(v.payment_total)],
          ['Payment reference', v.payment_details?.reference ?? '—'],
          ['Signed', when(v.signed_at)],
          ['Accepted', when(v.accepted_at)],
          ['Paid', when(v.paid_at)],
          ['Delivered', when(v.delivered_at)],
          ['Cancellation', v.cancellation_reason ? `${v.cancellation_reason}, ${when(v.cancellation_date)}` : '—'],
          ['Origin', v.origin],
          ['Investment ID', v.id],
        ]}
      />
      <h2>Actions</h2>
      <div class="actions">
        {status === 'REVIEW_PENDING' && (
          <form method="post" action={`/studio/investments/${v.id}/review`}>
            <Csrf token={user.csrf} />
            <button type="submit">Record review</button>
          </form>
        )}
        {status === 'WAITING_FOR_ACCEPTANCE' && (
          <form method="post" action={`/studio/investments/${v.id}/accept`}>
            <Csrf token={user.csrf} />
            <button type="submit">Accept</button>
          </form>
        )}
        {status === 'ACCEPTED' && (
          <form method="post" action={`/studio/investments/${v.id}/pay`}>
            <Csrf token={user.csrf} />
            <div class="field">
              <label for="paid_on">Paid on</label>
              <input id="paid_on" name="paid_on" type="date" value={today} max={today} required />
            </div>
            <button type="submit">Mark paid</button>
          </form>
        )}
        {status === 'PAID' && (
          <form method="post" action={`/studio/investments/${v.id}/credit`}>
            <Csrf token={user.csrf} />
            <button type="submit">Credit to the wallet</button>
          </form>
        )}
        {v.origin === 'SUBSCRIPTION' &&
          !['ABORTION', 'REJECTION', 'CANCELLATION', 'PAYMENT_MISSING', 'KYC_INSUFFICIENT'].includes(status) && (
            <form method="post" action={`/studio/investments/${v.id}/cancel`}>
              <Csrf token={user.csrf} />
              <div class="field">
                <label for="reason">Cancel with the reason</label>
                <select id="reason" name="reason" required>
                  {ISSUER_CANCELLATION_REASONS.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for="cancellation_date">Date</label>
                <input id="cancellation_date" name="cancellation_date" type="date" value={today} max={today} />
              </div>
              <button type="submit" class="danger">
                Cancel
              </button>
            </form>
          )}
      </div>
      <h2>Status history</h2>
      <ol>
        {history.map((h) => (
          <li key={`${h.changed_at}${h.status}`}>
            {when(h.changed_at)}: {h.previous_status ? `${h.previous_status} → ` : ''}
            <span class="status">{h.status}</span>
          </li>
        ))}
      </ol>
      {credits.length > 0 && (
        <>
          <h2>Credits</h2>
          <ul>
            {credits.map((c) => (
              <li key={c.id}>
                {when(c.created_at)}: {c.status}
                {c.transaction_hash ? `, transaction ${c.transaction_hash}` : ''}
                {c.error ? ` (${c.error})` : ''}
              </li>
            ))}
          </ul>
        </>
      )}
    </Layout>,
  );
}
