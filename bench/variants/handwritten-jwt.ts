import { createSecretKey, randomUUID } from 'crypto';
import jwt from 'jsonwebtoken';
import type { VariantServer } from '../variant';
import { type Claims, claimsApp } from './claims-app';

const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const AUDIENCE = 'bench';

/**
 * (b) The best hand-written checker DESIGN.md measured: jsonwebtoken with a KeyObject secret
 * (a string secret is ~3× slower), the algorithm pinned, the token verified once per request
 * and its claims handed to `@CurrentUser()`; no database.
 */
export async function start(): Promise<VariantServer> {
  const key = createSecretKey(Buffer.from(SECRET));
  const app = claimsApp((token) => {
    try {
      return jwt.verify(token, key, { algorithms: ['HS256'], audience: AUDIENCE }) as Claims;
    } catch {
      return undefined;
    }
  });
  const owner = randomUUID();
  const token = jwt.sign({ sub: owner, aud: AUDIENCE }, key, { algorithm: 'HS256', expiresIn: 3600 });
  return { app, token, expectedOwner: owner };
}
