import { AuthConfigurationError } from '../errors';
import { StoreUnreachableError } from '../stores/outage';

/** What tells whether a node-redis client (or cluster) is connected. */
export interface RedisClientState {
  readonly isReady?: boolean;
  readonly isOpen?: boolean;
}

/**
 * A node-redis client that was never `connect()`ed answers every command with an error, which the
 * request path takes for an outage: 503 "try again shortly" forever. Caught at start-up instead;
 * `who` names the store in the message, e.g. `RedisStrategy({ redis })`.
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
export function assertRedisReady(client: RedisClientState): void {
  if (client.isReady === false || client.isOpen === false) throw new StoreUnreachableError('Redis is not connected.');
}
