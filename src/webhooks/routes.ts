import Type from 'typebox';
import { EVENT_TYPES } from '../events/outbox.ts';
import type { App, AppContext } from '../http/app.ts';
import { principalOf } from '../http/auth.ts';
import { mutate } from '../http/idempotency.ts';
import { PageOf, PageQuery, paginate } from '../http/pagination.ts';
import { Closed, DateTime, IdParams, nullable, opt, Uuid } from '../http/schemas.ts';
import {
  createWebhook,
  deleteWebhook,
  deliveryViews,
  getWebhook,
  ownWebhooks,
  redeliver,
  updateWebhook,
  webhookOwnerOf,
  webhookView,
} from './service.ts';

const EventType = Type.Enum([...EVENT_TYPES]);
const Url = Type.String({ format: 'uri', maxLength: 2048 });
const Events = nullable(Type.Array(EventType, { minItems: 1, uniqueItems: true }));
const Description = nullable(Type.String({ maxLength: 500 }));

const WebhookCreate = Closed({ url: Url, events: opt(Events), description: opt(Description) });
const WebhookPatch = Closed({
  url: opt(Url),
  events: opt(Events),
  description: opt(Description),
  is_active: opt(Type.Boolean()),
});

const WebhookFields = {
  id: Uuid,
  url: Type.String(),
  events: Events,
  description: Description,
  is_active: Type.Boolean(),
  disabled_reason: nullable(Type.String()),
  created_at: DateTime,
  updated_at: DateTime,
};
const Webhook = Type.Object(WebhookFields);
const WebhookWithSecret = Type.Object({
  ...WebhookFields,
  secret: Type.String({ description: 'whsec_…: shown only in this response' }),
});
const Attempt = Type.Object({
  attempted_at: DateTime,
  status_code: nullable(Type.Integer()),
  latency_ms: Type.Integer(),
  response_excerpt: nullable(Type.String()),
  error: nullable(Type.String()),
});
const Delivery = Type.Object({
  id: Uuid,
  event_id: Uuid,
  event_type: EventType,
  status: Type.Enum(['pending', 'succeeded', 'failed']),
  attempts_count: Type.Integer(),
  next_attempt_at: nullable(DateTime),
  last_status_code: nullable(Type.Integer()),
  last_error: nullable(Type.String()),
  delivered_at: nullable(DateTime),
  attempts: Type.Array(Attempt),
  created_at: DateTime,
  updated_at: DateTime,
});
const Event = Type.Object({
  id: Uuid,
  type: EventType,
  timestamp: DateTime,
  environment: Type.String(),
  data: Type.Object({}, { additionalProperties: true }),
});

const tags = ['Webhooks'];

/** Webhook subscriptions and the event list, on the issuer and the distributor API alike. */
export async function registerWebhookRoutes(app: App, ctx: AppContext): Promise<void> {
  const { db, config } = ctx;
  const ownerOf = (request: Parameters<typeof principalOf>[0]) => webhookOwnerOf(principalOf(request));

  app.post(
    '/webhooks/',
    {
      config: { scope: 'webhooks:write' },
      schema: { tags, summary: 'Subscribe to events', body: WebhookCreate, response: { 201: WebhookWithSecret } },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 201 }, (trx) =>
        createWebhook(trx, ownerOf(request), request.body, {
          key: config.walletEncryptionKey,
          allowPrivate: config.allowPrivateWebhookTargets,
        }),
      ),
  );
  app.get(
    '/webhooks/',
    {
      config: { scope: 'webhooks:read' },
      schema: {
        tags,
        summary: 'List your subscriptions',
        querystring: Closed(PageQuery),
        response: { 200: PageOf(Webhook) },
      },
    },
    async (request) => paginate(request, config.publicUrl, ownWebhooks(db, ownerOf(request)), 'webhooks', webhookView),
  );
  app.get(
    '/webhooks/:id/',
    {
      config: { scope: 'webhooks:read' },
      schema: { tags, summary: 'Read a subscription', params: IdParams, response: { 200: Webhook } },
    },
    async (request) => webhookView(await getWebhook(db, ownerOf(request), request.params.id)),
  );
  app.patch(
    '/webhooks/:id/',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        tags,
        summary: 'Change a subscription (switching it on again resumes its deliveries)',
        params: IdParams,
        body: WebhookPatch,
        response: { 200: Webhook },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 200 }, (trx) =>
        updateWebhook(trx, ownerOf(request), request.params.id, request.body, {
          allowPrivate: config.allowPrivateWebhookTargets,
        }),
      ),
  );
  app.delete(
    '/webhooks/:id/',
    {
      config: { scope: 'webhooks:write' },
      schema: { tags, summary: 'Delete a subscription', params: IdParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await db.transaction().execute((trx) => deleteWebhook(trx, ownerOf(request), request.params.id));
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/webhooks/:id/deliveries/',
    {
      config: { scope: 'webhooks:read' },
      schema: {
        tags,
        summary: 'The delivery log: every event sent to this subscription with every attempt',
        params: IdParams,
        querystring: Closed({ ...PageQuery, status: opt(Type.Enum(['pending', 'succeeded', 'failed'])) }),
        response: { 200: PageOf(Delivery) },
      },
    },
    async (request) => {
      const webhook = await getWebhook(db, ownerOf(request), request.params.id);
      const status = request.query.status;
      const base = db
        .selectFrom('webhook_deliveries')
        .innerJoin('events', 'events.id', 'webhook_deliveries.event_id')
        .where('webhook_deliveries.webhook_id', '=', webhook.id)
        .$if(status !== undefined, (q) => q.where('webhook_deliveries.status', '=', status!));
      const page = await paginate(
        request,
        config.publicUrl,
        base,
        'webhook_deliveries',
        (row: Parameters<typeof deliveryViews>[1][number]) => row,
        (q) => q.select('events.type as event_type'),
      );
      return { ...page, results: await deliveryViews(db, page.results) };
    },
  );
  app.post(
    '/webhooks/:id/deliveries/:delivery_id/redeliver/',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        tags,
        summary: 'Send a delivery again',
        params: Closed({ id: Uuid, delivery_id: Uuid }),
        response: { 202: Delivery },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 202 }, (trx) =>
        redeliver(trx, ownerOf(request), request.params.id, request.params.delivery_id),
      ),
  );

  app.get(
    '/events/',
    {
      config: { scope: 'webhooks:read' },
      schema: {
        tags: ['Events'],
        summary: 'The events your webhooks receive, for polling',
        querystring: Closed({ ...PageQuery, type: opt(EventType), investment_id: opt(Uuid) }),
        response: { 200: PageOf(Event) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { type, investment_id } = request.query;
      const base = db
        .selectFrom('events')
        .$if(principal.type === 'issuer', (q) => q.where('events.issuer_id', '=', principal.issuerId!))
        .$if(principal.type === 'distribution_platform', (q) =>
          q.where('events.distribution_platform_id', '=', principal.platformId!),
        )
        .$if(type !== undefined, (q) => q.where('events.type', '=', type!))
        .$if(investment_id !== undefined, (q) => q.where('events.investment_id', '=', investment_id!));
      return paginate(
        request,
        config.publicUrl,
        base,
        'events',
        (row: { id: string; type: string; created_at: string; data: Record<string, unknown> }) => ({
          id: row.id,
          type: row.type as (typeof EVENT_TYPES)[number],
          timestamp: row.created_at,
          environment: config.environment,
          data: row.data,
        }),
      );
    },
  );
}
