import { randomBytes, timingSafeEqual } from 'node:crypto';

const tokenPattern = /^[0-9a-f]{64}$/;

/** A fresh 256-bit token, hex, for one launch of the browser-mode server. */
export function createToken(): string {
  return randomBytes(32).toString('hex');
}

export function isTokenFormat(value: string): boolean {
  return tokenPattern.test(value);
}

/**
 * Compares a presented token with the launch token in constant time. Candidates of the wrong shape are
 * refused before comparing: their length is not a secret, and timingSafeEqual needs equal lengths.
 */
export function tokenMatches(expected: string, candidate: string): boolean {
  if (!isTokenFormat(candidate)) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(candidate, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
