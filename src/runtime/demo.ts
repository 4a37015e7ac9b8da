import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';
import {
  createApiClient,
  createIssuer,
  createPlatform,
  createStudioUser,
  setAllowance,
  setWebSubscription,
} from '../parties/service.ts';
import { createCampaign, createListing, createProduct } from '../products/service.ts';
import { isinCheckDigit } from '../validation/isin.ts';

export interface DemoSet {
  api_url: string;
  issuer: { id: string; client_id: string; client_secret: string };
  distributor: { id: string; client_id: string; client_secret: string };
  product_id: string;
  campaign_id: string;
  studio: { url: string; email: string; password: string };
}

function demoIsin(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const body = Array.from(randomBytes(6), (b) => alphabet[b % alphabet.length]).join('');
  const first11 = `DE000${body}`;
  return first11 + isinCheckDigit(first11);
}

/**
 * A fresh, independent demo set in one transaction: an issuer and a platform (allowed, web
 * subscription on), clients with all their scopes, a listed interest-bearing bond and an active
 * campaign, and a Studio user of the issuer.
 */
export async function createDemoSet(db: Db, apiUrl: string): Promise<DemoSet> {
  const suffix = randomBytes(3).toString('hex');
  return db.transaction().execute(async (trx) => {
    const issuer = await createIssuer(trx, {
      legal_person: {
        company_name: `Demo Energie Anleihen GmbH ${suffix}`,
        commercial_register: 'Amtsgericht Hamburg',
        commercial_register_number: `HRB ${100000 + (randomBytes(2).readUInt16BE() % 90000)}`,
        street: 'Große Elbstraße 1',
        city: 'Hamburg',
        zip: '22767',
        country: 'DEU',
      },
      bank_account: {
        account_holder: `Demo Energie Anleihen GmbH ${suffix}`,
        iban: 'DE89370400440532013000',
        bic: 'COBADEFFXXX',
        bank: 'Commerzbank',
        country: 'DEU',
        currency: 'EUR',
      },
    });
    const platform = await createPlatform(trx, { platform_company_name: `Demo Invest Platform GmbH ${suffix}` });
    await setAllowance(trx, issuer.id, platform.id, true);
    await setWebSubscription(trx, platform.id, true);
    const issuerClient = await createApiClient(trx, {
      name: 'demo issuer',
      principal: 'issuer',
      issuerId: issuer.id,
    });
    const distributorClient = await createApiClient(trx, {
      name: 'demo distributor',
      principal: 'distribution_platform',
      platformId: platform.id,
    });
    const product = await createProduct(trx, issuer.id, {
      name: `Solarpark Nord Anleihe 2031 (${suffix})`,
      product_type: 'BOND',
      ewpg: true,
      isin: demoIsin(),
      asset_code: `SPN${suffix.toUpperCase()}`.slice(0, 11),
      nominal_value: { amount: '10000', decimals: 2, currency: 'EUR' },
      issuance_price: { amount: '10000', decimals: 2, currency: 'EUR' },
      max_issuable_amount: 100000,
      step_size: 1,
      payment_deadline: 14,
      cancellation_deadline: 14,
      interest_rate: '5.25',
      day_count_convention: 'ACT/ACT-ICMA',
      interest_start_date: '2026-01-01',
      interest_frequency: 'ANNUAL',
      maturity_date: '2031-01-01',
      requires_review: false,
    });
    await createListing(trx, issuer.id, { product_id: product.id, distribution_platform_id: platform.id });
    const campaign = await createCampaign(trx, issuer.id, product.id, {
      distribution_platform_id: platform.id,
      name: 'Öffentliches Angebot 2026',
      allocation: 50000,
      price_per_token: { amount: '10000', decimals: 2, currency: 'EUR' },
      min_number_of_tokens: 1,
      max_number_of_tokens: 1000,
      legal_persons_allowed: true,
      natural_persons_allowed: true,
      country: 'DEU',
      rule_type: 'public_offering',
      agio_percent: '2',
      is_campaign_active: true,
    });
    const password = randomBytes(12).toString('base64url');
    const email = `issuer-${suffix}@demo.kontor.invalid`;
    await createStudioUser(trx, { email, password, issuerId: issuer.id });
    return {
      api_url: apiUrl,
      issuer: { id: issuer.id, client_id: issuerClient.client_id, client_secret: issuerClient.client_secret },
      distributor: {
        id: platform.id,
        client_id: distributorClient.client_id,
        client_secret: distributorClient.client_secret,
      },
      product_id: product.id,
      campaign_id: campaign.id,
      studio: { url: `${apiUrl}/studio`, email, password },
    };
  });
}
