import { describe, expect, it } from 'vitest';
import { VerifiedTokens } from './auth.ts';

describe('VerifiedTokens', () => {
  it('answers a verified token until its expiry, then forgets it', () => {
    const tokens = new VerifiedTokens();
    tokens.add('a', { sub: 'x', exp: 100 });
    expect(tokens.get('a', 99.9)).toEqual({ sub: 'x', exp: 100 });
    expect(tokens.get('b', 99.9)).toBeUndefined();
    expect(tokens.get('a', 100)).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it('keeps no token without an expiry', () => {
    const tokens = new VerifiedTokens();
    tokens.add('a', { sub: 'x' });
    expect(tokens.get('a', 0)).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it('drops the oldest token when full', () => {
    const tokens = new VerifiedTokens(2);
    tokens.add('a', { exp: 100 });
    tokens.add('b', { exp: 100 });
    tokens.add('c', { exp: 100 });
    expect(tokens.size).toBe(2);
    expect(tokens.get('a', 0)).toBeUndefined();
    expect(tokens.get('b', 0)).toBeDefined();
    expect(tokens.get('c', 0)).toBeDefined();
  });
});
