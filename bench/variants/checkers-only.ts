import { randomUUID } from 'crypto';
import type { VariantServer } from '../variant';
import { claimsApp } from './claims-app';

/**
 * (a′) routing-controllers' own price for `@Authorized()` + `@CurrentUser()`: checkers that only
 * look for the header and check nothing. No checker plugged into routing-controllers, hand-written
 * or library, can be faster than this row; it is the floor for (b) and (c).
 */
export async function start(): Promise<VariantServer> {
  const owner = randomUUID();
  return { app: claimsApp(() => ({ sub: owner })), token: 'not-checked', expectedOwner: owner };
}
