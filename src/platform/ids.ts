import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';

// Crockford base32: URL-safe, case-free, and ids made later sort after ids made earlier.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export interface IdGenerator {
  /** A public id: 10 characters of time, then 16 of randomness (80 bits). */
  next(): string;
}

const RANDOM_DIGITS = 16;

const base32 = (value: bigint, digits: number) => {
  let text = '';
  for (let i = 0; i < digits; i++, value >>= 5n) text = ALPHABET[Number(value & 31n)] + text;
  return text;
};

/**
 * Ids made later sort after ids made earlier, also within one millisecond: the random
 * part then counts up from the previous id's (as monotonic ULIDs do).
 */
export function timeOrderedIds(clock: Clock): IdGenerator {
  let lastTime = -1;
  let lastRandom = 0n;
  return {
    next() {
      const time = Math.max(clock.now(), lastTime);
      if (time === lastTime) {
        lastRandom += 1n;
      } else {
        lastTime = time;
        // 79 random bits leave room to count up without overflowing the 80-bit part.
        lastRandom = BigInt(`0x${randomBytes(10).toString('hex')}`) >> 1n;
      }
      return base32(BigInt(time), 10) + base32(lastRandom, RANDOM_DIGITS);
    },
  };
}

/** An opaque credential: 256 random bits, base64url (`[A-Za-z0-9_-]`). */
export const secretToken = (): string => randomBytes(32).toString('base64url');

/** Credentials are stored as their sha256, so a leaked table holds nothing a thief can present. */
export const hashSecret = (token: string): string => createHash('sha256').update(token).digest('base64url');
