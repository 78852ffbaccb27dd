import { AuthConfigurationError } from '../errors';
import { StoreUnreachableError } from './outage';

/**
 * A node-redis client that was never `connect()`ed answers every command with an error, which the
 * request path takes for an outage: 503 "try again shortly" forever. Caught at start-up instead.
 */
export function assertRedisOpen(client: unknown, who: string): void {
  const { isOpen } = (client ?? {}) as { isOpen?: unknown };
  if (isOpen === false) {
    throw new AuthConfigurationError(
      `${who}: the node-redis client is not connected. Call \`await redis.connect()\` before \`auth.ready()\` and before serving requests.`,
    );
  }
}

/**
 * node-redis queues commands while a client reconnects (or, with `disableOfflineQueue`, rejects them
 * after a while): a request must not wait for Redis to come back, so a client that says it is not
 * ready is refused at once, as an outage (503).
 */
export function assertRedisReady(client: { readonly isReady?: boolean; readonly isOpen?: boolean }): void {
  if (client.isReady === false || client.isOpen === false) throw new StoreUnreachableError('Redis is not connected.');
}

/**
 * `promise`, or an outage (`StoreUnreachableError`) once `limitMs` has passed: a Redis that accepts
 * connections but never answers. `null`: as long as the client waits.
 */
export function withinRedisTimeout<T>(promise: Promise<T>, limitMs: number | null): Promise<T> {
  if (limitMs === null) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnreachableError(`Redis did not answer within ${limitMs} ms.`)), limitMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
