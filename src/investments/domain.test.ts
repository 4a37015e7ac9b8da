import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  amountsOf,
  canTransition,
  decideAccept,
  decideDisagioChange,
  decideInvestorCancellation,
  decideIssuerCancellation,
  decidePay,
  decideWalletChange,
  disagioProblem,
  dueDate,
  END_STATES,
  INVESTMENT_STATUSES,
  type InvestmentStatus,
  ISSUER_CANCELLATION_REASONS,
  progressed,
  signedStatus,
  TRANSITIONS,
} from './domain.ts';

/** The graph of spec §7 written out edge by edge, independently of TRANSITIONS. */
const EXPECTED_EDGES = new Set([
  'PENDING>KYC_PENDING',
  'PENDING>REVIEW_PENDING',
  'PENDING>WAITING_FOR_ACCEPTANCE',
  'PENDING>ABORTION',
  'PENDING>REJECTION',
  'PENDING>KYC_INSUFFICIENT',
  'KYC_PENDING>REVIEW_PENDING',
  'KYC_PENDING>WAITING_FOR_ACCEPTANCE',
  'KYC_PENDING>ABORTION',
  'KYC_PENDING>REJECTION',
  'KYC_PENDING>KYC_INSUFFICIENT',
  'REVIEW_PENDING>WAITING_FOR_ACCEPTANCE',
  'REVIEW_PENDING>ABORTION',
  'REVIEW_PENDING>REJECTION',
  'REVIEW_PENDING>KYC_INSUFFICIENT',
  'WAITING_FOR_ACCEPTANCE>ACCEPTED',
  'WAITING_FOR_ACCEPTANCE>ABORTION',
  'WAITING_FOR_ACCEPTANCE>REJECTION',
  'WAITING_FOR_ACCEPTANCE>KYC_INSUFFICIENT',
  'ACCEPTED>PAID',
  'ACCEPTED>PAYMENT_MISSING',
  'ACCEPTED>CANCELLATION',
  'PAID>DELIVERED',
  'PAID>CANCELLATION',
  'DELIVERED>CANCELLATION',
]);

describe('status graph (invariant 2)', () => {
  it('has exactly the edges of spec §7, checked for all 144 pairs', () => {
    for (const from of INVESTMENT_STATUSES) {
      for (const to of INVESTMENT_STATUSES) {
        expect(canTransition(from, to), `${from} → ${to}`).toBe(EXPECTED_EDGES.has(`${from}>${to}`));
      }
    }
  });

  it('has no way out of an end state and no self-loops', () => {
    for (const end of END_STATES) expect(TRANSITIONS[end]).toEqual([]);
    for (const s of INVESTMENT_STATUSES) expect(canTransition(s, s)).toBe(false);
  });

  it('reaches DELIVERED from PENDING only through acceptance and payment', () => {
    const paths: InvestmentStatus[][] = [];
    const walk = (path: InvestmentStatus[]) => {
      const last = path[path.length - 1]!;
      if (last === 'DELIVERED') paths.push(path);
      for (const next of TRANSITIONS[last]) if (!path.includes(next)) walk([...path, next]);
    };
    walk(['PENDING']);
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) {
      expect(p.indexOf('WAITING_FOR_ACCEPTANCE')).toBeLessThan(p.indexOf('ACCEPTED'));
      expect(p.indexOf('ACCEPTED')).toBeLessThan(p.indexOf('PAID'));
      expect(p.indexOf('PAID')).toBeLessThan(p.indexOf('DELIVERED'));
    }
  });
});

describe('readiness', () => {
  it('orders KYC, then the review, then acceptance', () => {
    expect(signedStatus({ kycSucceeded: false, requiresReview: true, reviewCompleted: false })).toBe('KYC_PENDING');
    expect(signedStatus({ kycSucceeded: false, requiresReview: false, reviewCompleted: true })).toBe('KYC_PENDING');
    expect(signedStatus({ kycSucceeded: true, requiresReview: true, reviewCompleted: false })).toBe('REVIEW_PENDING');
    expect(signedStatus({ kycSucceeded: true, requiresReview: true, reviewCompleted: true })).toBe(
      'WAITING_FOR_ACCEPTANCE',
    );
    expect(signedStatus({ kycSucceeded: true, requiresReview: false, reviewCompleted: false })).toBe(
      'WAITING_FOR_ACCEPTANCE',
    );
  });

  it('moves only signed investments before acceptance, and only along the graph', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...INVESTMENT_STATUSES),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (status, signed, kyc, requiresReview, reviewCompleted) => {
          const next = progressed(status, signed, { kycSucceeded: kyc, requiresReview, reviewCompleted });
          if (next === null) return;
          expect(signed).toBe(true);
          expect(canTransition(status, next)).toBe(true);
          expect(['KYC_PENDING', 'REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE']).toContain(next);
        },
      ),
    );
    expect(progressed('KYC_PENDING', true, { kycSucceeded: true, requiresReview: false, reviewCompleted: false })).toBe(
      'WAITING_FOR_ACCEPTANCE',
    );
    expect(
      progressed('PENDING', false, { kycSucceeded: true, requiresReview: false, reviewCompleted: false }),
    ).toBeNull();
    expect(
      progressed('ACCEPTED', true, { kycSucceeded: true, requiresReview: false, reviewCompleted: false }),
    ).toBeNull();
    // A review never moves an investment back.
    expect(
      progressed('WAITING_FOR_ACCEPTANCE', true, { kycSucceeded: true, requiresReview: true, reviewCompleted: false }),
    ).toBeNull();
  });
});

describe('decisions', () => {
  const both = ['effecta_cryptoregistry_tos', 'effecta_document'];

  it('accepts only from WAITING_FOR_ACCEPTANCE with both documents, for every status', () => {
    for (const s of INVESTMENT_STATUSES) {
      const d = decideAccept(s, both);
      expect(d.ok, s).toBe(s === 'WAITING_FOR_ACCEPTANCE');
      if (!d.ok) expect(d.refusal.detail).toContain(s);
    }
    const missing = decideAccept('WAITING_FOR_ACCEPTANCE', ['effecta_document']);
    expect(missing).toEqual({
      ok: false,
      refusal: { code: 'signed_documents_missing', detail: expect.stringContaining('effecta_cryptoregistry_tos') },
    });
    const kyc = decideAccept('KYC_PENDING', both);
    expect(!kyc.ok && kyc.refusal.detail).toContain('KYC');
  });

  it('pays only once accepted', () => {
    for (const s of INVESTMENT_STATUSES) expect(decidePay(s).ok, s).toBe(s === 'ACCEPTED');
  });

  it('lets the investor abort before acceptance only', () => {
    for (const s of INVESTMENT_STATUSES) {
      expect(decideInvestorCancellation(s).ok, s).toBe(
        ['PENDING', 'KYC_PENDING', 'REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE'].includes(s),
      );
    }
  });

  it('lets the issuer cancel exactly along the graph, burning delivered units', () => {
    const facts = { receivedByTransfer: false, unitsTransferred: false, creditInFlight: false, burnInFlight: false };
    for (const s of INVESTMENT_STATUSES) {
      for (const reason of ISSUER_CANCELLATION_REASONS) {
        const decision = decideIssuerCancellation(s, reason, facts);
        expect(decision.ok, `${s} ${reason}`).toBe(canTransition(s, reason));
        if (decision.ok) expect(decision.value).toEqual({ to: reason, burn: s === 'DELIVERED' });
      }
    }
    const refusal = (status: InvestmentStatus, changed: Partial<typeof facts>) =>
      decideIssuerCancellation(status, 'CANCELLATION', { ...facts, ...changed });
    expect(refusal('DELIVERED', { unitsTransferred: true })).toMatchObject({ refusal: { code: 'units_transferred' } });
    expect(refusal('DELIVERED', { receivedByTransfer: true })).toMatchObject({
      refusal: { code: 'received_by_transfer' },
    });
    expect(refusal('DELIVERED', { burnInFlight: true })).toMatchObject({ refusal: { code: 'burn_in_progress' } });
    expect(refusal('PAID', { creditInFlight: true })).toMatchObject({ refusal: { code: 'credit_in_progress' } });
    // A refused edge is refused whatever the facts.
    expect(refusal('ABORTION', {})).toMatchObject({ refusal: { code: 'cancellation_not_allowed' } });
  });

  it('fixes the wallet once crediting is triggered and the disagio once paid', () => {
    expect(decideWalletChange('PAID', false).ok).toBe(true);
    expect(decideWalletChange('PAID', true).ok).toBe(false);
    expect(decideWalletChange('DELIVERED', false).ok).toBe(false);
    expect(decideWalletChange('ABORTION', false).ok).toBe(false);
    expect(decideDisagioChange('ACCEPTED').ok).toBe(true);
    expect(decideDisagioChange('PAID').ok).toBe(false);
  });
});

describe('amounts', () => {
  const terms = {
    nominalValue: 10000n,
    issuancePrice: 10000n,
    currency: 'EUR',
    interestRate: '5',
    convention: 'ACT/ACT-ICMA' as const,
    interestStartDate: '2026-01-01',
    frequency: 'ANNUAL' as const,
    maturityDate: '2031-01-01',
  };

  it('adds investment amount, agio, interest and subtracts the disagio, rounding each line', () => {
    // 10 units at EUR 100.00 = EUR 1,000.00; agio 2.5 % = EUR 25.00; disagio EUR 10.00;
    // interest 10 × 100.00 × 5 % × 182/365 = EUR 24.93 (2493.15 ct); total 1,000 + 25 − 10 + 24.93.
    const a = amountsOf({
      units: 10n,
      pricePerToken: 10000n,
      currency: 'EUR',
      agioPercent: '2.5',
      disagio: 1000n,
      terms,
      valueDate: '2026-07-02',
    });
    expect(a.investment_amount.minor).toBe(100000n);
    expect(a.agio.minor).toBe(2500n);
    expect(a.disagio.minor).toBe(1000n);
    expect(a.accrued_interest.minor).toBe(2493n);
    expect(a.payment_total.minor).toBe(100000n + 2500n - 1000n + 2493n);
  });

  it('rounds the agio half-up per line', () => {
    // 3 units at EUR 0.33 = 99 ct; agio 2.5 % = 2.475 ct → 2 ct; 1.5 % = 1.485 → 1; 0.5 % of 99 = 0.495 → 0
    const base = {
      units: 3n,
      pricePerToken: 33n,
      currency: 'EUR',
      disagio: 0n,
      terms: { ...terms, interestRate: null },
      valueDate: '2026-07-02',
    };
    expect(amountsOf({ ...base, agioPercent: '2.5' }).agio.minor).toBe(2n);
    // 1 unit at 1.00 with 0.5 % = 0.5 ct → 1 ct (half-up)
    expect(amountsOf({ ...base, units: 1n, pricePerToken: 100n, agioPercent: '0.5' }).agio.minor).toBe(1n);
  });

  it('has no interest before the interest start or without a rate', () => {
    const base = { units: 10n, pricePerToken: 10000n, currency: 'EUR', agioPercent: '0', disagio: 0n, terms };
    expect(amountsOf({ ...base, valueDate: '2025-12-31' }).accrued_interest.minor).toBe(0n);
    expect(amountsOf({ ...base, valueDate: '2026-01-01' }).accrued_interest.minor).toBe(0n);
    expect(
      amountsOf({ ...base, terms: { ...terms, interestRate: null }, valueDate: '2026-07-02' }).accrued_interest.minor,
    ).toBe(0n);
  });

  it('bounds the disagio by investment amount plus agio', () => {
    const a = amountsOf({
      units: 1n,
      pricePerToken: 10000n,
      currency: 'EUR',
      agioPercent: '2',
      disagio: 0n,
      terms,
      valueDate: '2026-01-01',
    });
    expect(disagioProblem(10200n, a)).toBeNull();
    expect(disagioProblem(10201n, a)).toContain('must not exceed');
    expect(disagioProblem(-1n, a)).toContain('negative');
  });

  it('dates the payment from acceptance', () => {
    expect(dueDate('2026-03-30T23:30:00.000000Z', 14)).toBe('2026-04-13');
    expect(dueDate('2026-12-25T10:00:00+02:00', 10)).toBe('2027-01-04');
    expect(dueDate(null, 14)).toBeNull();
    expect(dueDate('2026-03-30T10:00:00Z', null)).toBeNull();
  });
});
