// Encryption of cached values, as the reference recommends for sensitive data: AES-256-GCM with a
// fresh 96-bit nonce per value, and the Redis key as associated data, so that a value moved to
// another key fails authentication just like a tampered one.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1.';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface ValueCipher {
  seal(plain: string, key: string): string;
  /** The plaintext, or null when the value is not ours or fails authentication. */
  open(sealed: string, key: string): string | null;
}

export const createValueCipher = (secret: Buffer): ValueCipher => {
  if (secret.length !== 32) throw new Error('AES-256 needs a 32-byte key.');
  return {
    seal(plain, key) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', secret, nonce);
      cipher.setAAD(Buffer.from(key));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return VERSION + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
    },
    open(sealed, key) {
      if (!sealed.startsWith(VERSION)) return null;
      const bytes = Buffer.from(sealed.slice(VERSION.length), 'base64url');
      if (bytes.length < NONCE_BYTES + TAG_BYTES) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', secret, bytes.subarray(0, NONCE_BYTES));
        decipher.setAAD(Buffer.from(key));
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        const body = bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      } catch {
        return null;
      }
    },
  };
};
