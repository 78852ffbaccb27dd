import { randomBytes } from 'crypto';

/** A fresh 256-bit secret, base64url (43 characters): for `Auth.configure({ secret })` and `JwtStrategy`. */
export function freshSecret(): string {
  return randomBytes(32).toString('base64url');
}
