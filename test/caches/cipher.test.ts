import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createValueCipher } from '../../src/caches/cipher.js';
import { decodeCacheKey } from '../../src/config.js';

describe('value cipher (AES-256-GCM)', () => {
  const cipher = createValueCipher(randomBytes(32));

  it('round-trips a value and never stores the plaintext', () => {
    const sealed = cipher.seal('{"name":"User_1"}', 'user:1');
    expect(sealed).not.toContain('User_1');
    expect(cipher.open(sealed, 'user:1')).toBe('{"name":"User_1"}');
  });

  it('uses a fresh nonce for every value', () => {
    expect(cipher.seal('same', 'k')).not.toBe(cipher.seal('same', 'k'));
  });

  it('refuses a tampered value, a value moved to another key, and a foreign key', () => {
    const sealed = cipher.seal('{"name":"User_1"}', 'user:1');
    const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.at(-1)}`;
    expect(cipher.open(flipped, 'user:1')).toBeNull();
    expect(cipher.open(sealed, 'user:2')).toBeNull();
    expect(createValueCipher(randomBytes(32)).open(sealed, 'user:1')).toBeNull();
    expect(cipher.open('{"name":"User_1"}', 'user:1')).toBeNull();
  });
});

describe('decodeCacheKey', () => {
  it.each([
    ['hex', randomBytes(32).toString('hex')],
    ['base64', randomBytes(32).toString('base64')],
    ['base64url', randomBytes(32).toString('base64url')],
  ])('accepts 32 bytes as %s', (_kind, text) => {
    expect(decodeCacheKey(text)?.length).toBe(32);
  });

  it.each([
    ['short', 'abcd'],
    ['31 bytes', randomBytes(31).toString('hex')],
    ['33 bytes b64', randomBytes(33).toString('base64')],
  ])('refuses %s', (_kind, text) => {
    expect(decodeCacheKey(text)).toBeNull();
  });
});
