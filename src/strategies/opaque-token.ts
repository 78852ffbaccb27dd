import { hash, randomBytes } from 'crypto';

/** 32 random bytes, base64url: 256 bits, unguessable, safe in headers and cookies. */
export function generateOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The only form in which an opaque token is stored. */
export function digestToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** Exactly 43 base64url characters: anything else cannot be one of our tokens. */
export function isWellFormedOpaqueToken(token: string): boolean {
  return token.length === 43 && /^[A-Za-z0-9_-]{43}$/.test(token);
}
