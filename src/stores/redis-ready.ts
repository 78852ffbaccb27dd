import { AuthConfigurationError } from '../errors';

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
