import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { Closed, Country, NaturalPerson, nullable, opt } from './schemas.ts';
import { fieldErrorsOf, validatorCompiler } from './validation.ts';

function errorsFor(schema: object, body: unknown) {
  const validate = validatorCompiler({ schema, httpPart: 'body', method: 'POST', url: '/' }) as unknown as {
    (v: unknown): boolean;
    errors: Parameters<typeof fieldErrorsOf>[0];
  };
  expect(validate(body)).toBe(false);
  return fieldErrorsOf(validate.errors);
}

describe('field errors', () => {
  const Body = Closed({ natural_person: opt(nullable(NaturalPerson)), country: opt(nullable(Country)) });

  it('names a nested field once, without the null branch of its union', () => {
    expect(errorsFor(Body, { natural_person: { forename: 'A', surname: 'B', citizenship: 'DE' } })).toEqual({
      'natural_person.citizenship': ['must be an ISO 3166-1 alpha-3 country code (e.g. DEU)'],
    });
    expect(errorsFor(Body, { country: 'XX' })).toEqual({
      country: ['must be an ISO 3166-1 alpha-3 country code (e.g. DEU)'],
    });
  });

  it('names missing and unknown keys by their full path', () => {
    expect(errorsFor(Body, { natural_person: { forename: 'A', nick: 'x' } })).toEqual({
      'natural_person.surname': ['is required'],
      'natural_person.nick': ['is not a known field'],
    });
  });

  it('reports a wrong type of a nullable field as the type it should be', () => {
    const errors = errorsFor(Closed({ n: opt(nullable(Type.Integer())) }), { n: 'x' });
    expect(errors).toEqual({ n: ['must be integer'] });
  });

  it("names unknown keys that are also Object's own names (found by fuzzing: a 500 before)", () => {
    const errors = errorsFor(Body, JSON.parse('{"constructor": 1, "toString": 2, "__proto__": 3}'));
    expect(Object.keys(errors).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(errors.constructor).toEqual(['is not a known field']);
    expect(Object.getOwnPropertyDescriptor(JSON.parse(JSON.stringify(errors)), '__proto__')?.value).toEqual([
      'is not a known field',
    ]);
  });
});
