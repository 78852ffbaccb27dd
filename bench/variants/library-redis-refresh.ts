import type { VariantServer } from '../variant';
import { start as startRedisVariant } from './library-redis';

/** (f′) (f) with refresh tokens on: the access token belongs to a session; sessions in Redis. */
export function start(): Promise<VariantServer> {
  return startRedisVariant({ lifetimeSeconds: 3600 });
}
