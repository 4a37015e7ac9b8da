import { describe, expect, it } from 'vitest';
import {
  addressProblem,
  classifyAddress,
  DEFAULT_RETRY_DELAYS,
  messageBody,
  nextDelayMs,
  targetProblem,
} from './domain.ts';

describe('retry schedule', () => {
  it('retries for at least 24 hours by default', () => {
    expect(DEFAULT_RETRY_DELAYS.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(24 * 3600);
  });
  it('backs off exponentially-ish with ±20 % jitter and then gives up', () => {
    expect(nextDelayMs(1, [5, 30], 0.5)).toBe(5000);
    expect(nextDelayMs(1, [5, 30], 0)).toBe(4000);
    expect(nextDelayMs(1, [5, 30], 1)).toBe(6000);
    expect(nextDelayMs(2, [5, 30], 0.5)).toBe(30000);
    expect(nextDelayMs(3, [5, 30], 0.5)).toBeNull();
    for (let i = 1; i < DEFAULT_RETRY_DELAYS.length; i++) {
      expect(DEFAULT_RETRY_DELAYS[i]!).toBeGreaterThanOrEqual(DEFAULT_RETRY_DELAYS[i - 1]!);
    }
  });
});

describe('webhook targets', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.10.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'metadata'],
    ['fc00::1', 'private'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['8.8.8.8', 'public'],
    ['2001:db8::1', 'public'],
  ])('classifies %s as %s', (ip, kind) => expect(classifyAddress(ip)).toBe(kind));

  it('never allows link-local and metadata; private and loopback only when configured', () => {
    expect(addressProblem('169.254.169.254', true)).toContain('never');
    expect(addressProblem('fe80::1', true)).toContain('never');
    expect(addressProblem('127.0.0.1', true)).toBeNull();
    expect(addressProblem('127.0.0.1', false)).toContain('not allowed');
    expect(addressProblem('10.0.0.1', false)).toContain('not allowed');
    expect(addressProblem('93.184.216.34', false)).toBeNull();
  });

  it('checks URLs', () => {
    expect(targetProblem('https://hooks.example.com/kontor', false)).toBeNull();
    expect(targetProblem('http://hooks.example.com/kontor', false)).toBe('must use https');
    expect(targetProblem('http://127.0.0.1:9000/hook', true)).toBeNull();
    expect(targetProblem('https://localhost:9000/hook', false)).toContain('loopback');
    expect(targetProblem('http://169.254.169.254/latest/meta-data', true)).toContain('never');
    expect(targetProblem('http://[fe80::1]/x', true)).toContain('never');
    expect(targetProblem('https://metadata.google.internal/', true)).toContain('metadata');
    expect(targetProblem('ftp://example.com/', true)).toContain('http');
    expect(targetProblem('not a url', true)).toContain('absolute');
    expect(targetProblem('https://user:pw@example.com/', true)).toContain('credentials');
  });
});

describe('message body', () => {
  it('has type, timestamp, environment and data', () => {
    const body = JSON.parse(
      messageBody({ type: 'investment.created', created_at: '2026-01-01T00:00:00.000000Z', data: { a: 1 } }, 'test'),
    );
    expect(body).toEqual({
      type: 'investment.created',
      timestamp: '2026-01-01T00:00:00.000000Z',
      environment: 'test',
      data: { a: 1 },
    });
  });
});
