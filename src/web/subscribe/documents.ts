/**
 * The documents of a web-based subscription, generated as PDFs with the registry statements'
 * renderer: the product's terms (the issuance document to read), the register's terms of service,
 * and the signed subscription form that records the investor's consents.
 */
import { formatMoney, type StatementText } from '../../registry/domain.ts';
import { renderStatementPdf } from '../../registry/pdf.ts';

export interface SubscriptionFacts {
  investmentId: string;
  investor: { name: string; address: string | null; email: string | null };
  product: {
    name: string;
    productType: string;
    isin: string | null;
    issuer: string;
    currency: string;
    nominalValue: bigint | null;
    issuancePrice: bigint | null;
    interestRate: string | null;
    dayCountConvention: string | null;
    interestStartDate: string | null;
    maturityDate: string | null;
  };
  campaign: { name: string; pricePerToken: bigint; currency: string };
  units: bigint;
  amounts: {
    investment_amount: string;
    agio: string;
    disagio: string;
    accrued_interest: string;
    payment_total: string;
  };
  keeper: string;
}

const dash = (v: string | null | undefined) => v ?? '—';
const price = (v: bigint | null, currency: string) => (v === null ? '—' : formatMoney(v, currency));

export function termsText(f: SubscriptionFacts): StatementText {
  const p = f.product;
  return {
    title: `${p.name}: Emissionsbedingungen / Terms of issue`,
    subtitle: `${p.issuer}`,
    sections: [
      {
        heading: 'Wertpapier / Security',
        rows: [
          ['Bezeichnung / Product', p.name],
          ['Art / Type', p.productType],
          ['ISIN', dash(p.isin)],
          ['Emittent / Issuer', p.issuer],
          ['Nennbetrag / Nominal value', price(p.nominalValue, p.currency)],
          ['Ausgabepreis / Issuance price', price(p.issuancePrice, p.currency)],
          ['Zinssatz / Interest rate', p.interestRate ? `${p.interestRate} % p.a.` : '—'],
          ['Zinsmethode / Day count', dash(p.dayCountConvention)],
          ['Verzinsungsbeginn / Interest start', dash(p.interestStartDate)],
          ['Fälligkeit / Maturity', dash(p.maturityDate)],
        ],
      },
      {
        heading: 'Angebot / Offer',
        rows: [
          ['Kampagne / Campaign', f.campaign.name],
          ['Preis je Stück / Price per unit', formatMoney(f.campaign.pricePerToken, f.campaign.currency)],
        ],
      },
    ],
    footer: [
      'Dies ist eine Zusammenfassung der Bedingungen, wie sie im Register geführt werden.',
      'A summary of the terms as kept in the register.',
    ],
  };
}

export function registerTermsText(keeper: string): StatementText {
  return {
    title: 'Nutzungsbedingungen und Datenschutz / Terms of service and data protection',
    subtitle: `Kryptowertpapierregister / Crypto securities register — ${keeper}`,
    sections: [
      {
        heading: 'Register',
        rows: [
          ['Registerführende Stelle / Register-keeping body', keeper],
          [
            'Eintragung / Entry',
            'Your units are entered in the register on a distributed ledger in your wallet; the register is kept by the body named above.',
          ],
          [
            'Daten / Data',
            'Your personal data is processed to keep the register and to meet legal duties (identification, statements); it is not sold or shared for advertising.',
          ],
          ['Auszüge / Statements', 'You receive a registry statement on every change of your holding and once a year.'],
        ],
      },
    ],
    footer: ['Stand / Version 1'],
  };
}

export function subscriptionFormText(f: SubscriptionFacts, signedAt: string): StatementText {
  return {
    title: 'Zeichnungsschein / Subscription form',
    subtitle: `${f.product.name} — ${f.product.issuer}`,
    sections: [
      {
        heading: 'Anleger / Investor',
        rows: [
          ['Name', f.investor.name],
          ['Anschrift / Address', dash(f.investor.address)],
          ['E-Mail', dash(f.investor.email)],
        ],
      },
      {
        heading: 'Zeichnung / Subscription',
        rows: [
          ['Wertpapier / Security', `${f.product.name} (${dash(f.product.isin)})`],
          ['Stück / Units', f.units.toString()],
          ['Preis je Stück / Price per unit', formatMoney(f.campaign.pricePerToken, f.campaign.currency)],
          ['Investitionsbetrag / Investment amount', f.amounts.investment_amount],
          ['Agio', f.amounts.agio],
          ['Disagio', f.amounts.disagio],
          ['Stückzinsen / Accrued interest', f.amounts.accrued_interest],
          ['Zahlbetrag / Payment total', f.amounts.payment_total],
          ['Investment-ID', f.investmentId],
        ],
      },
      {
        heading: 'Zustimmung / Consent',
        rows: [
          ['Nutzungsbedingungen / Terms of service', `accepted (${f.keeper})`],
          ['Emissionsbedingungen / Terms of issue', 'read and accepted'],
          ['Unterzeichnet / Signed', signedAt],
        ],
      },
    ],
    footer: ['Elektronisch unterzeichnet im Browser des Anlegers. / Signed electronically in the investor’s browser.'],
  };
}

export function pdf(text: StatementText, createdAt: string): Buffer {
  return renderStatementPdf(text, { createdAt, subject: text.title });
}
