import { AuthConfigurationError } from '../errors';
import { performance } from 'perf_hooks';
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
  let watch = watches.get(limitMs);
  if (!watch) watches.set(limitMs, (watch = new DeadlineWatch(limitMs)));
  return watch.bound(promise);
}

const watches = new Map<number, DeadlineWatch>();

interface Waiting {
  deadline: number;
  reject(error: Error): void;
}

/**
 * The commands waiting under one time limit, and one timer for all of them: a timer per command
 * (and a `Promise.race` to lose) cost more than the Redis read it bounded. With one limit, the
 * commands' deadlines come in the order they were sent, so the first waiting one is always the
 * next to expire; the timer is armed for it and re-armed when it fires, never per command.
 */
class DeadlineWatch {
  private readonly waiting = new Set<Waiting>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly limitMs: number) {}

  bound<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Waiting = { deadline: performance.now() + this.limitMs, reject };
      this.waiting.add(entry);
      this.timer ??= this.arm(this.limitMs);
      promise.then(
        (value) => {
          this.waiting.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.waiting.delete(entry);
          reject(error);
        },
      );
    });
  }

  private arm(delayMs: number): NodeJS.Timeout {
    // Unreferenced: a command still waiting keeps the process alive through its socket, not through this timer.
    return setTimeout(() => this.expire(), Math.max(0, delayMs)).unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const entry of this.waiting) {
      if (entry.deadline > now) {
        this.timer = this.arm(entry.deadline - now);
        return;
      }
      this.waiting.delete(entry);
      entry.reject(new StoreUnreachableError(`Redis did not answer within ${this.limitMs} ms.`));
    }
  }
}
