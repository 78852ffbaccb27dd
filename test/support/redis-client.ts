import { createClient, type RedisClientType } from 'redis';

/**
 * A connected node-redis client with the options docs/scale-out.md recommends for a Redis that may
 * go away: no offline queue (a command fails at once instead of waiting), a 1 s connect timeout and
 * a capped reconnect back-off. Errors are expected while the server is down, so they are not logged.
 */
export async function connectOutageReadyClient(url: string): Promise<RedisClientType> {
  const client: RedisClientType = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) },
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
