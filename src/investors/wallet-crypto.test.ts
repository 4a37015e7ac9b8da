import { randomBytes } from 'node:crypto';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { decryptPrivateKey, encryptPrivateKey, open, seal, WalletKeyError } from './wallet-crypto.ts';

const KEY = randomBytes(32);

describe('wallet key encryption (AES-256-GCM)', () => {
  it('round-trips a private key, in the iv.tag.ciphertext base64url form', () => {
    const privateKey = generatePrivateKey();
    const sealed = encryptPrivateKey(privateKey, KEY);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(sealed).not.toContain(privateKey.slice(2));
    const back = decryptPrivateKey(sealed, KEY);
    expect(back).toBe(privateKey);
    expect(privateKeyToAccount(back).address).toBe(privateKeyToAccount(privateKey).address);
  });

  it('uses a fresh IV every time', () => {
    const privateKey = generatePrivateKey();
    const a = encryptPrivateKey(privateKey, KEY);
    const b = encryptPrivateKey(privateKey, KEY);
    expect(a).not.toBe(b);
    expect(a.split('.')[0]).not.toBe(b.split('.')[0]);
  });

  it('detects tampering with the ciphertext, the tag or the IV', () => {
    const sealed = encryptPrivateKey(generatePrivateKey(), KEY);
    for (let part = 0; part < 3; part++) {
      const parts = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
      parts[part]![0]! ^= 0x01;
      const tampered = parts.map((p) => p.toString('base64url')).join('.');
      expect(() => decryptPrivateKey(tampered, KEY)).toThrow(WalletKeyError);
    }
  });

  it('fails with a wrong key', () => {
    const sealed = encryptPrivateKey(generatePrivateKey(), KEY);
    expect(() => decryptPrivateKey(sealed, randomBytes(32))).toThrow(WalletKeyError);
  });

  it('refuses malformed input and keys of the wrong size', () => {
    expect(() => open('abc', KEY)).toThrow(WalletKeyError);
    expect(() => open('a.b.c.d', KEY)).toThrow(WalletKeyError);
    expect(() => open('!!.??.**', KEY)).toThrow(WalletKeyError);
    expect(() =>
      open(`${Buffer.alloc(8).toString('base64url')}.${Buffer.alloc(16).toString('base64url')}.AA`, KEY),
    ).toThrow(WalletKeyError);
    expect(() => seal(Buffer.from('x'), randomBytes(16))).toThrow(WalletKeyError);
    expect(() => encryptPrivateKey('0x1234', KEY)).toThrow(WalletKeyError);
    // A well-formed ciphertext of something that is not a 32-byte key.
    expect(() => decryptPrivateKey(seal(Buffer.from('short'), KEY), KEY)).toThrow(WalletKeyError);
  });
});
