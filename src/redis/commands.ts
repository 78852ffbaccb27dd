/**
 * The node-redis commands the library's Redis stores send, typed once. A node-redis 5 or 6 client
 * (`createClient()`) and cluster (`createCluster()`) fit as they are; spelled out here so the
 * library compiles without the `redis` package's types. Each store asks for the few it uses
 * (`Pick<RedisCommands, …>`), so a hand-written client needs only those.
 */
export interface RedisCommands {
  /** False while disconnected or reconnecting (node-redis 5 clusters lack it; 6's have it). */
  readonly isReady?: boolean;
  /** False until `connect()`, and after `destroy()`/`close()`. */
  readonly isOpen?: boolean;
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options?: { PX?: number; EX?: number }): Promise<unknown>;
  getDel(key: string): Promise<unknown>;
  del(keys: string | string[]): Promise<unknown>;
  exists(keys: string | string[]): Promise<unknown>;
  sMembers(key: string): Promise<unknown>;
  sRem(key: string, members: string | string[]): Promise<unknown>;
  hGetAll(key: string): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** A MULTI transaction; on a cluster every key of one must share a slot. */
  multi(): RedisMulti;
  /** node-redis emits `'error'` on every failed reconnect (see `watchRedisErrors`). */
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

/** The commands queued in a node-redis MULTI, as the stores use them. */
export interface RedisMulti {
  set(key: string, value: string, options?: { PX?: number }): RedisMulti;
  del(keys: string | string[]): RedisMulti;
  sRem(key: string, members: string | string[]): RedisMulti;
  eval(script: string, options: { keys: string[]; arguments: string[] }): RedisMulti;
  exec(): Promise<unknown>;
}

/** Only a cluster lists its masters (node-redis 6 clusters also have `isReady`, 5's do not). */
export function isRedisCluster(client: object): boolean {
  return 'masters' in client;
}
