import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Hex } from 'viem';

/**
 * Managed wallets' private keys at rest: AES-256-GCM under the deployment's
 * `WALLET_ENCRYPTION_KEY` (32 bytes), stored as `base64url(iv).base64url(tag).base64url(ciphertext)`
 * with a fresh random 96-bit IV per key. GCM authenticates: a changed byte or a wrong key fails
 * loudly instead of yielding a wrong key.
 */

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class WalletKeyError extends Error {}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new WalletKeyError('the wallet encryption key must be 32 bytes');
}

/** Encrypts bytes; the result is the stored text form. */
export function seal(plaintext: Uint8Array, key: Buffer): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [iv, tag, ciphertext].map((b) => b.toString('base64url')).join('.');
}

/** Decrypts what `seal` produced; throws `WalletKeyError` on a wrong key, tampering or bad format. */
export function open(sealed: string, key: Buffer): Buffer {
  checkKey(key);
  const parts = sealed.split('.');
  const b64url = /^[A-Za-z0-9_-]*$/;
  if (parts.length !== 3 || !parts.every((p) => b64url.test(p))) {
    throw new WalletKeyError('not an encrypted key (iv.tag.ciphertext)');
  }
  const [iv, tag, ciphertext] = parts.map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer];
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new WalletKeyError('not an encrypted key (bad iv or tag length)');
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new WalletKeyError('cannot decrypt the wallet key: wrong encryption key or altered data');
  }
}

/** A private key (`0x` + 64 hex digits) → the stored `encrypted_private_key` (its 32 bytes, encrypted). */
export function encryptPrivateKey(privateKey: Hex, key: Buffer): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) throw new WalletKeyError('not a 32-byte private key');
  const bytes = Buffer.from(privateKey.slice(2), 'hex');
  try {
    return seal(bytes, key);
  } finally {
    bytes.fill(0);
  }
}

/** The stored `encrypted_private_key` → the private key (`0x` + 64 hex digits). */
export function decryptPrivateKey(sealed: string, key: Buffer): Hex {
  const bytes = open(sealed, key);
  try {
    if (bytes.length !== 32) throw new WalletKeyError('the decrypted key is not 32 bytes');
    return `0x${bytes.toString('hex')}`;
  } finally {
    bytes.fill(0);
  }
}
