/**
 * Webhook rules without I/O: which targets may be called, the retry schedule, the message body.
 */
import { isIP } from 'node:net';

/** Default retry delays in seconds: about 32 hours in all (spec §8: at least 24 h). */
export const DEFAULT_RETRY_DELAYS = [5, 30, 120, 300, 900, 1800, 3600, 7200, 14400, 28800, 28800, 28800];

export const DELIVERY_TIMEOUT_MS = 15_000;

/**
 * The job that drains one subscription's deliveries, keyed per subscription so that waking it
 * again replaces the waiting one (migration 010's trigger enqueues the same job in SQL).
 */
export const drainerJob = (webhookId: string, runAt?: string) =>
  [
    'deliver_webhooks',
    { webhook_id: webhookId },
    { jobKey: `deliver_webhooks:${webhookId}`, ...(runAt ? { runAt } : {}) },
  ] as const;
export const RESPONSE_EXCERPT_BYTES = 1024;

/**
 * The delay before the next attempt after `attemptsSoFar` failed attempts, with ±20 % jitter, or
 * null when the schedule is exhausted and the delivery has failed.
 */
export function nextDelayMs(attemptsSoFar: number, delays: readonly number[], random: number): number | null {
  const base = delays[attemptsSoFar - 1];
  if (base === undefined) return null;
  return Math.round(base * 1000 * (0.8 + 0.4 * random));
}

export type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'metadata' | 'unspecified' | 'multicast';

function ipv4Parts(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** Classifies an IP address (v4 or v6, including v4-mapped v6). */
export function classifyAddress(ip: string): AddressClass {
  let address = ip.toLowerCase();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const mapped = address.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) address = mapped[1]!;
  if (isIP(address) === 4) {
    const [a, b] = ipv4Parts(address) as [number, number, number, number];
    if (address === '169.254.169.254' || address === '100.100.100.200') return 'metadata';
    if (a === 0) return 'unspecified';
    if (a === 127) return 'loopback';
    if (a === 169 && b === 254) return 'link-local';
    if (
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    ) {
      return 'private';
    }
    if (a >= 224) return 'multicast';
    return 'public';
  }
  if (isIP(address) === 6) {
    if (address === '::1') return 'loopback';
    if (address === '::') return 'unspecified';
    if (address === 'fd00:ec2::254') return 'metadata';
    if (/^fe[89ab]/.test(address)) return 'link-local';
    if (/^f[cd]/.test(address)) return 'private';
    if (address.startsWith('ff')) return 'multicast';
    return 'public';
  }
  throw new Error(`not an IP address: ${ip}`);
}

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/** Why an address may not be called, or null. */
export function addressProblem(ip: string, allowPrivate: boolean): string | null {
  const kind = classifyAddress(ip);
  if (kind === 'public') return null;
  if ((kind === 'private' || kind === 'loopback') && allowPrivate) return null;
  if (kind === 'private' || kind === 'loopback') return `${kind} addresses are not allowed as webhook targets here`;
  return `${kind} addresses are never allowed as webhook targets`;
}

/**
 * Why a webhook URL is not acceptable, or null. https is required unless private targets are
 * allowed (the embedded demo mode). Host names are checked again, by their resolved addresses,
 * when a delivery connects.
 */
export function targetProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  if (url.protocol === 'http:' && !allowPrivate) return 'must use https';
  if (url.username || url.password) return 'must not contain credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (METADATA_HOSTS.has(host)) return 'cloud metadata hosts are never allowed as webhook targets';
  if (isIP(host)) return addressProblem(host, allowPrivate);
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return allowPrivate ? null : 'loopback addresses are not allowed as webhook targets here';
  }
  return null;
}

/** The Standard Webhooks message body (spec §8). */
export function messageBody(event: { type: string; created_at: string; data: unknown }, environment: string): string {
  return JSON.stringify({ type: event.type, timestamp: event.created_at, environment, data: event.data });
}

export function excerpt(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= RESPONSE_EXCERPT_BYTES
    ? text
    : `${bytes.subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8')}…`;
}
