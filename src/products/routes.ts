import Type, { type Static } from 'typebox';
import type { App, AppContext, Surface } from '../http/app.ts';
import { principalOf } from '../http/auth.ts';
import { notFound } from '../http/errors.ts';
import { mutate } from '../http/idempotency.ts';
import { PageOf, PageQuery, paginate } from '../http/pagination.ts';
import {
  Closed,
  Country,
  DateOnly,
  DateTime,
  IdParams,
  Money,
  nullable,
  opt,
  Percent,
  refuseImmutable,
  Text,
  Units,
  Uuid,
} from '../http/schemas.ts';
import { issuerScope, platformScope } from '../http/visibility.ts';
import {
  type CampaignRow,
  campaignView,
  DAY_COUNT_CONVENTIONS,
  INTEREST_FREQUENCIES,
  PRODUCT_STATUSES,
  PRODUCT_TYPES,
  type ProductRow,
  productView,
  RULE_TYPES,
} from './domain.ts';
import {
  createCampaign,
  createListing,
  createProduct,
  getCampaign,
  getProductForIssuer,
  getProductForPlatform,
  productsVisibleToPlatform,
  setCampaignActive,
  updateProduct,
} from './service.ts';

const Days = Type.Integer({ minimum: 0, maximum: 3650 });

const ProductFields = {
  name: Text(),
  product_type: Type.Enum([...PRODUCT_TYPES]),
  ewpg: opt(Type.Boolean({ description: 'a crypto security under the eWpG (default true)' })),
  isin: opt(nullable(Type.String({ format: 'isin' }))),
  asset_code: Type.String({ pattern: '^[A-Za-z0-9]{1,11}$', description: 'token symbol' }),
  nominal_value: opt(nullable(Money)),
  issuance_price: opt(nullable(Money)),
  max_issuable_amount: Units,
  step_size: opt(Units),
  payment_deadline: opt(nullable(Days)),
  cancellation_deadline: opt(nullable(Days)),
  interest_rate: opt(nullable(Percent)),
  day_count_convention: opt(nullable(Type.Enum([...DAY_COUNT_CONVENTIONS]))),
  interest_start_date: opt(nullable(DateOnly)),
  interest_frequency: opt(nullable(Type.Enum([...INTEREST_FREQUENCIES]))),
  maturity_date: opt(nullable(DateOnly)),
  requires_review: opt(Type.Boolean()),
};

const ProductCreate = Closed({ issuer_id: opt(Uuid), ...ProductFields });
const ProductPatchBody = Closed({
  name: opt(Text()),
  isin: opt(nullable(Type.String({ format: 'isin' }))),
  status: opt(Type.Enum([...PRODUCT_STATUSES])),
  requires_review: opt(Type.Boolean()),
  payment_deadline: opt(nullable(Days)),
  cancellation_deadline: opt(nullable(Days)),
  max_issuable_amount: opt(Units),
});
const PRODUCT_FIXED = Object.keys(ProductCreate.properties).filter((k) => !(k in ProductPatchBody.properties));

const Product = Type.Object({
  id: Uuid,
  issuer_id: Uuid,
  name: Type.String(),
  product_type: Type.Enum([...PRODUCT_TYPES]),
  ewpg: Type.Boolean(),
  isin: nullable(Type.String()),
  asset_code: Type.String(),
  nominal_value: nullable(Money),
  issuance_price: nullable(Money),
  max_issuable_amount: Type.Integer(),
  step_size: Type.Integer(),
  payment_deadline: nullable(Type.Integer()),
  cancellation_deadline: nullable(Type.Integer()),
  interest_rate: nullable(Type.String()),
  day_count_convention: nullable(Type.Enum([...DAY_COUNT_CONVENTIONS])),
  interest_start_date: nullable(DateOnly),
  interest_frequency: nullable(Type.Enum([...INTEREST_FREQUENCIES])),
  maturity_date: nullable(DateOnly),
  requires_review: Type.Boolean(),
  status: Type.Enum([...PRODUCT_STATUSES]),
  token: nullable(Type.Object({ chain_id: Type.Integer(), contract_address: Type.String(), deployed_at: DateTime })),
  created_at: DateTime,
  updated_at: DateTime,
});

const ListingCreate = Closed({ product_id: Uuid, distribution_platform_id: Uuid });
const Listing = Type.Object({
  id: Uuid,
  product_id: Uuid,
  distribution_platform_id: Uuid,
  created_at: DateTime,
});

export const CampaignCreate = Closed({
  distribution_platform_id: Uuid,
  name: Text(),
  allocation: Units,
  price_per_token: Money,
  min_number_of_tokens: Units,
  max_number_of_tokens: Units,
  legal_persons_allowed: Type.Boolean(),
  natural_persons_allowed: Type.Boolean(),
  country: Country,
  rule_type: Type.Enum([...RULE_TYPES]),
  minimum_investment_amount: opt(nullable(Money)),
  agio_percent: opt(Percent),
  is_campaign_active: Type.Boolean(),
});
const CampaignPatch = Closed({ is_campaign_active: Type.Boolean() });
const CAMPAIGN_FIXED = Object.keys(CampaignCreate.properties).filter((k) => k !== 'is_campaign_active');

const Campaign = Type.Object({
  id: Uuid,
  product_id: Uuid,
  distribution_platform_id: Uuid,
  name: Type.String(),
  allocation: Type.Integer(),
  price_per_token: Money,
  min_number_of_tokens: Type.Integer(),
  max_number_of_tokens: Type.Integer(),
  legal_persons_allowed: Type.Boolean(),
  natural_persons_allowed: Type.Boolean(),
  country: Type.String(),
  rule_type: Type.Enum([...RULE_TYPES]),
  minimum_investment_amount: nullable(Money),
  agio_percent: Type.String(),
  is_campaign_active: Type.Boolean(),
  created_at: DateTime,
  updated_at: DateTime,
});

const ProductParams = Closed({ product_id: Uuid });
const CampaignParams = Closed({ product_id: Uuid, id: Uuid });
const ListingQuery = Closed({ ...PageQuery, product_id: opt(Uuid) });

export async function registerProductRoutes(app: App, ctx: AppContext, surface: Surface): Promise<void> {
  const { db, config } = ctx;

  if (surface === 'issuer') {
    const tags = ['Products'];
    app.post(
      '/products/',
      {
        config: { scope: 'products:write' },
        schema: { tags, summary: 'Create a product', body: ProductCreate, response: { 201: Product } },
      },
      async (request, reply) =>
        mutate(db, request, reply, { status: 201 }, (trx) =>
          createProduct(trx, issuerScope(principalOf(request)), request.body),
        ),
    );
    app.get(
      '/products/',
      {
        config: { scope: 'products:read' },
        schema: {
          tags,
          summary: 'List your products',
          querystring: Closed(PageQuery),
          response: { 200: PageOf(Product) },
        },
      },
      async (request) => {
        const scope = issuerScope(principalOf(request));
        const base = db.selectFrom('products').$if(scope !== null, (q) => q.where('products.issuer_id', '=', scope!));
        return paginate<ProductRow, ReturnType<typeof productView>>(
          request,
          config.publicUrl,
          base,
          'products',
          productView,
        );
      },
    );
    app.get(
      '/products/:id/',
      {
        config: { scope: 'products:read' },
        schema: { tags, summary: 'Read a product', params: IdParams, response: { 200: Product } },
      },
      async (request) =>
        productView(await getProductForIssuer(db, request.params.id, issuerScope(principalOf(request)))),
    );
    app.patch(
      '/products/:id/',
      {
        config: { scope: 'products:write' },
        preValidation: refuseImmutable(PRODUCT_FIXED),
        schema: {
          tags,
          summary: 'Update a product',
          description: `Only ${Object.keys(ProductPatchBody.properties).join(', ')} can change; the economic terms are fixed at creation.`,
          params: IdParams,
          body: ProductPatchBody,
          response: { 200: Product },
        },
      },
      async (request, reply) =>
        mutate(db, request, reply, { status: 200 }, (trx) =>
          updateProduct(trx, request.params.id, issuerScope(principalOf(request)), request.body),
        ),
    );

    app.post(
      '/listings/',
      {
        config: { scope: 'products:write' },
        schema: {
          tags: ['Listings'],
          summary: 'List a product on a platform',
          body: ListingCreate,
          response: { 201: Listing },
        },
      },
      async (request, reply) =>
        mutate(db, request, reply, { status: 201 }, (trx) =>
          createListing(trx, issuerScope(principalOf(request)), request.body),
        ),
    );
    app.get(
      '/listings/',
      {
        config: { scope: 'products:read' },
        schema: {
          tags: ['Listings'],
          summary: 'List listings',
          querystring: ListingQuery,
          response: { 200: PageOf(Listing) },
        },
      },
      async (request) => {
        const scope = issuerScope(principalOf(request));
        const productId = request.query.product_id;
        const base = db
          .selectFrom('listings')
          .innerJoin('products', 'products.id', 'listings.product_id')
          .$if(scope !== null, (q) => q.where('products.issuer_id', '=', scope!))
          .$if(productId !== undefined, (q) => q.where('listings.product_id', '=', productId!));
        return paginate(request, config.publicUrl, base, 'listings', (row: Static<typeof Listing>) => row);
      },
    );
    app.get(
      '/listings/:id/',
      {
        config: { scope: 'products:read' },
        schema: {
          tags: ['Listings'],
          summary: 'Read a listing',
          params: IdParams,
          response: { 200: Listing },
        },
      },
      async (request) => {
        const scope = issuerScope(principalOf(request));
        const row = await db
          .selectFrom('listings')
          .innerJoin('products', 'products.id', 'listings.product_id')
          .selectAll('listings')
          .where('listings.id', '=', request.params.id)
          .$if(scope !== null, (q) => q.where('products.issuer_id', '=', scope!))
          .executeTakeFirst();
        if (!row) throw notFound('listing');
        return row;
      },
    );

    const ctags = ['Campaigns'];
    app.post(
      '/products/:product_id/campaigns/',
      {
        config: { scope: 'products:write' },
        schema: {
          tags: ctags,
          summary: 'Create a campaign',
          params: ProductParams,
          body: CampaignCreate,
          response: { 201: Campaign },
        },
      },
      async (request, reply) =>
        mutate(db, request, reply, { status: 201 }, (trx) =>
          createCampaign(trx, issuerScope(principalOf(request)), request.params.product_id, request.body),
        ),
    );
    app.get(
      '/products/:product_id/campaigns/',
      {
        config: { scope: 'products:read' },
        schema: {
          tags: ctags,
          summary: 'List a product’s campaigns',
          params: ProductParams,
          querystring: Closed(PageQuery),
          response: { 200: PageOf(Campaign) },
        },
      },
      async (request) => {
        const product = await getProductForIssuer(db, request.params.product_id, issuerScope(principalOf(request)));
        const base = db.selectFrom('campaigns').where('campaigns.product_id', '=', product.id);
        return paginate<CampaignRow, ReturnType<typeof campaignView>>(
          request,
          config.publicUrl,
          base,
          'campaigns',
          campaignView,
        );
      },
    );
    app.get(
      '/products/:product_id/campaigns/:id/',
      {
        config: { scope: 'products:read' },
        schema: {
          tags: ctags,
          summary: 'Read a campaign',
          params: CampaignParams,
          response: { 200: Campaign },
        },
      },
      async (request) => {
        const product = await getProductForIssuer(db, request.params.product_id, issuerScope(principalOf(request)));
        return campaignView(await getCampaign(db, product.id, request.params.id, null));
      },
    );
    app.patch(
      '/products/:product_id/campaigns/:id/',
      {
        config: { scope: 'products:write' },
        preValidation: refuseImmutable(CAMPAIGN_FIXED),
        schema: {
          tags: ctags,
          summary: 'Switch a campaign on or off',
          description: 'Only `is_campaign_active` can change after creation.',
          params: CampaignParams,
          body: CampaignPatch,
          response: { 200: Campaign },
        },
      },
      async (request, reply) =>
        mutate(db, request, reply, { status: 200 }, (trx) =>
          setCampaignActive(
            trx,
            issuerScope(principalOf(request)),
            request.params.product_id,
            request.params.id,
            request.body.is_campaign_active,
          ),
        ),
    );
    return;
  }

  // Distributor: products listed for the caller's platform, and its own campaigns.
  const tags = ['Products'];
  app.get(
    '/products/',
    {
      config: { scope: 'products:read' },
      schema: {
        tags,
        summary: 'List products listed on your platform',
        querystring: Closed(PageQuery),
        response: { 200: PageOf(Product) },
      },
    },
    async (request) => {
      const base = productsVisibleToPlatform(db, platformScope(principalOf(request)));
      return paginate<ProductRow, ReturnType<typeof productView>>(
        request,
        config.publicUrl,
        base,
        'products',
        productView,
      );
    },
  );
  app.get(
    '/products/:id/',
    {
      config: { scope: 'products:read' },
      schema: { tags, summary: 'Read a product', params: IdParams, response: { 200: Product } },
    },
    async (request) =>
      productView(await getProductForPlatform(db, request.params.id, platformScope(principalOf(request)))),
  );
  app.get(
    '/products/:product_id/campaigns/',
    {
      config: { scope: 'products:read' },
      schema: {
        tags: ['Campaigns'],
        summary: 'List your platform’s campaigns of a product',
        params: ProductParams,
        querystring: Closed(PageQuery),
        response: { 200: PageOf(Campaign) },
      },
    },
    async (request) => {
      const platformId = platformScope(principalOf(request));
      const product = await getProductForPlatform(db, request.params.product_id, platformId);
      const base = db
        .selectFrom('campaigns')
        .where('campaigns.product_id', '=', product.id)
        .where('campaigns.distribution_platform_id', '=', platformId);
      return paginate<CampaignRow, ReturnType<typeof campaignView>>(
        request,
        config.publicUrl,
        base,
        'campaigns',
        campaignView,
      );
    },
  );
  app.get(
    '/products/:product_id/campaigns/:id/',
    {
      config: { scope: 'products:read' },
      schema: {
        tags: ['Campaigns'],
        summary: 'Read a campaign',
        params: CampaignParams,
        response: { 200: Campaign },
      },
    },
    async (request) => {
      const platformId = platformScope(principalOf(request));
      const product = await getProductForPlatform(db, request.params.product_id, platformId);
      return campaignView(await getCampaign(db, product.id, request.params.id, platformId));
    },
  );
}
