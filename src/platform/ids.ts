import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';

// Crockford base32: URL-safe, case-free, and ids made later sort after ids made earlier.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export interface IdGenerator {
  /** A public id: 10 characters of time, then 16 of randomness (80 bits). */
  next(): string;
}

export function timeOrderedIds(clock: Clock): IdGenerator {
  return {
    next() {
      let time = clock.now();
      let head = '';
      for (let i = 0; i < 10; i++) {
        head = ALPHABET[time % 32] + head;
        time = Math.floor(time / 32);
      }
      const random = randomBytes(16);
      let tail = '';
      for (const byte of random) tail += ALPHABET[byte & 31];
      return head + tail;
    },
  };
}

/** An opaque credential: 256 random bits, base64url (`[A-Za-z0-9_-]`). */
export const secretToken = (): string => randomBytes(32).toString('base64url');
