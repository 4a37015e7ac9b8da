import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldErrorCollector } from '../http/errors.ts';
import {
  benefitingPersonView,
  CLOCK_SKEW_MS,
  checkIdentification,
  checkPersonChange,
  checkPersonChoice,
  identificationCounts,
  type KycFacts,
  kycStatusOf,
  type PersonKind,
  personKindOf,
  utcDate,
  walletView,
} from './domain.ts';

const NOW = new Date('2025-06-15T12:00:00.000Z');
const TODAY = '2025-06-15';

type Ident = KycFacts['identifications'][number];
const ident = (over: Partial<Ident> = {}): Ident => ({
  document_valid_from: '2020-01-01',
  document_valid_to: '2030-01-01',
  verified_at: '2025-06-01T10:00:00Z',
  ...over,
});

/** Every kind of identification the rule distinguishes, with whether it counts today. */
const CASES: Record<string, { ident: Ident; counts: boolean }> = {
  valid: { ident: ident(), counts: true },
  'valid, no valid_from': { ident: ident({ document_valid_from: null }), counts: true },
  'valid_from today': { ident: ident({ document_valid_from: TODAY }), counts: true },
  'valid_to today (last day)': { ident: ident({ document_valid_to: TODAY }), counts: true },
  'valid_from = valid_to = today': {
    ident: ident({ document_valid_from: TODAY, document_valid_to: TODAY }),
    counts: true,
  },
  'expired yesterday': { ident: ident({ document_valid_to: '2025-06-14' }), counts: false },
  'expired long ago': {
    ident: ident({ document_valid_from: '2010-01-01', document_valid_to: '2015-01-01' }),
    counts: false,
  },
  'valid from tomorrow': { ident: ident({ document_valid_from: '2025-06-16' }), counts: false },
  'verified just now': { ident: ident({ verified_at: NOW.toISOString() }), counts: true },
  'verified within clock skew': {
    ident: ident({ verified_at: new Date(NOW.getTime() + CLOCK_SKEW_MS - 1000).toISOString() }),
    counts: true,
  },
  'verified in the future': {
    ident: ident({ verified_at: new Date(NOW.getTime() + CLOCK_SKEW_MS + 1000).toISOString() }),
    counts: false,
  },
  'verified with an offset': { ident: ident({ verified_at: '2025-06-15T13:30:00+02:00' }), counts: true },
  'not verified (empty)': { ident: ident({ verified_at: '' }), counts: false },
  'not verified (garbage)': { ident: ident({ verified_at: 'yesterday' }), counts: false },
};

describe('identificationCounts', () => {
  for (const [name, { ident: i, counts }] of Object.entries(CASES)) {
    it(`${name} → ${counts}`, () => expect(identificationCounts(i, NOW)).toBe(counts));
  }

  it('compares with the UTC date', () => {
    // 23:30 UTC on the 15th is already the 16th in Berlin: the UTC day decides.
    const late = new Date('2025-06-15T23:30:00Z');
    expect(utcDate(late)).toBe('2025-06-15');
    expect(identificationCounts(ident({ document_valid_to: '2025-06-15' }), late)).toBe(true);
    expect(identificationCounts(ident({ document_valid_from: '2025-06-16' }), late)).toBe(false);
    const early = new Date('2025-06-16T00:00:00Z');
    expect(identificationCounts(ident({ document_valid_to: '2025-06-15' }), early)).toBe(false);
  });
});

describe('kycStatusOf', () => {
  const kinds: PersonKind[] = ['natural', 'legal'];
  const caseNames = Object.keys(CASES);
  // Every kind × number of benefiting persons × every set of up to two identification cases.
  const sets: string[][] = [[]];
  for (const a of caseNames) {
    sets.push([a]);
    for (const b of caseNames) sets.push([a, b]);
  }

  it('is exhaustively: SUCCESS iff one identification counts and (natural or ≥ 1 benefiting person)', () => {
    let checked = 0;
    for (const kind of kinds) {
      for (const benefitingPersons of [0, 1, 2]) {
        for (const set of sets) {
          const identifications = set.map((n) => CASES[n]!.ident);
          const anyCounts = set.some((n) => CASES[n]!.counts);
          const expected = anyCounts && (kind === 'natural' || benefitingPersons >= 1) ? 'SUCCESS' : 'PENDING';
          expect(
            kycStatusOf({ kind, identifications, benefitingPersons }, NOW),
            `${kind} ${benefitingPersons} ${set}`,
          ).toBe(expected);
          checked++;
        }
      }
    }
    expect(checked).toBe(2 * 3 * (1 + caseNames.length + caseNames.length ** 2));
  });

  it('natural person: PENDING without identification, SUCCESS with a valid one, benefiting persons irrelevant', () => {
    expect(kycStatusOf({ kind: 'natural', identifications: [], benefitingPersons: 0 }, NOW)).toBe('PENDING');
    expect(kycStatusOf({ kind: 'natural', identifications: [], benefitingPersons: 3 }, NOW)).toBe('PENDING');
    expect(kycStatusOf({ kind: 'natural', identifications: [ident()], benefitingPersons: 0 }, NOW)).toBe('SUCCESS');
  });

  it('legal person: needs both a benefiting person and a valid identification', () => {
    expect(kycStatusOf({ kind: 'legal', identifications: [ident()], benefitingPersons: 0 }, NOW)).toBe('PENDING');
    expect(kycStatusOf({ kind: 'legal', identifications: [], benefitingPersons: 1 }, NOW)).toBe('PENDING');
    expect(kycStatusOf({ kind: 'legal', identifications: [ident()], benefitingPersons: 1 }, NOW)).toBe('SUCCESS');
  });

  it('an expired identification never helps; a valid one always does (property)', () => {
    const date = fc
      .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2040-12-31T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(
        fc.constantFrom<PersonKind>('natural', 'legal'),
        fc.nat(3),
        fc.array(fc.record({ from: fc.option(date), to: date }), { maxLength: 4 }),
        (kind, benefitingPersons, docs) => {
          const identifications = docs.map((d) =>
            ident({ document_valid_from: d.from, document_valid_to: d.to, verified_at: '2025-01-01T00:00:00Z' }),
          );
          const anyValid = docs.some((d) => (d.from === null || d.from <= TODAY) && d.to >= TODAY);
          const expected = anyValid && (kind === 'natural' || benefitingPersons > 0) ? 'SUCCESS' : 'PENDING';
          expect(kycStatusOf({ kind, identifications, benefitingPersons }, NOW)).toBe(expected);
        },
      ),
    );
  });
});

describe('identification input', () => {
  const errors = (input: Parameters<typeof checkIdentification>[0]) => {
    const fields = new FieldErrorCollector();
    checkIdentification(input, NOW, fields);
    return fields.errors;
  };

  it('accepts an ordered period verified in the past', () => {
    expect(
      errors({
        document_valid_from: '2020-01-01',
        document_valid_to: '2030-01-01',
        verified_at: '2025-06-01T00:00:00Z',
      }),
    ).toEqual({});
    expect(errors({ document_valid_to: '2030-01-01', verified_at: NOW.toISOString() })).toEqual({});
    expect(
      errors({
        document_valid_from: '2030-01-01',
        document_valid_to: '2030-01-01',
        verified_at: '2025-06-01T00:00:00Z',
      }),
    ).toEqual({});
  });

  it('refuses valid_from after valid_to', () => {
    expect(
      errors({
        document_valid_from: '2030-01-02',
        document_valid_to: '2030-01-01',
        verified_at: '2025-06-01T00:00:00Z',
      }),
    ).toHaveProperty('document_valid_to');
  });

  it('refuses verified_at in the future (beyond the clock skew)', () => {
    const later = new Date(NOW.getTime() + CLOCK_SKEW_MS + 1000).toISOString();
    expect(errors({ document_valid_to: '2030-01-01', verified_at: later })).toHaveProperty('verified_at');
    const skewed = new Date(NOW.getTime() + CLOCK_SKEW_MS - 1000).toISOString();
    expect(errors({ document_valid_to: '2030-01-01', verified_at: skewed })).toEqual({});
  });
});

describe('person blocks', () => {
  const choice = (input: Parameters<typeof checkPersonChoice>[0]) => {
    const fields = new FieldErrorCollector();
    checkPersonChoice(input, fields);
    return fields.errors;
  };
  const change = (kind: PersonKind, patch: Parameters<typeof checkPersonChange>[1]) => {
    const fields = new FieldErrorCollector();
    checkPersonChange(kind, patch, fields);
    return fields.errors;
  };

  it('wants exactly one person block at create', () => {
    expect(choice({})).toHaveProperty('natural_person');
    expect(choice({ natural_person: null, legal_person: null })).toHaveProperty('natural_person');
    expect(choice({ natural_person: {}, legal_person: {} })).toHaveProperty('legal_person');
    expect(choice({ natural_person: {} })).toEqual({});
    expect(choice({ legal_person: {}, natural_person: null })).toEqual({});
  });

  it('keeps the kind of person on update', () => {
    expect(change('natural', { natural_person: {} })).toEqual({});
    expect(change('natural', { legal_person: null })).toEqual({});
    expect(change('natural', { legal_person: {} })).toHaveProperty('legal_person');
    expect(change('natural', { natural_person: null })).toHaveProperty('natural_person');
    expect(change('legal', { natural_person: {} })).toHaveProperty('natural_person');
    expect(change('legal', { legal_person: null })).toHaveProperty('legal_person');
    expect(change('legal', { legal_person: {} })).toEqual({});
  });

  it('tells the kind from the row', () => {
    expect(personKindOf({ natural_person: { forename: 'A' }, legal_person: null })).toBe('natural');
    expect(personKindOf({ natural_person: null, legal_person: { company_name: 'B' } })).toBe('legal');
  });
});

describe('views', () => {
  it('a benefiting person reads back flat, as sent, with id, investor_id and created_at', () => {
    const person = { forename: 'Eva', surname: 'Muster', citizenship: 'DEU' };
    expect(
      benefitingPersonView({ id: 'b', investor_id: 'i', natural_person: person, created_at: '2025-01-01T00:00:00Z' }),
    ).toEqual({ id: 'b', investor_id: 'i', ...person, created_at: '2025-01-01T00:00:00Z' });
  });

  it('a wallet never shows its key', () => {
    const view = walletView({
      id: 'w',
      investor_id: 'i',
      type: 'eth-managed',
      address: '0x0000000000000000000000000000000000000001',
      receiving_enabled: true,
      encrypted_private_key: 'a.b.c',
      created_at: '2025-01-01T00:00:00Z',
      updated_at: '2025-01-01T00:00:00Z',
    });
    expect(Object.keys(view).sort()).toEqual(['address', 'created_at', 'id', 'receiving_enabled', 'type']);
  });
});
