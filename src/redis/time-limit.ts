import { AuthConfigurationError } from '../errors';
import { performance } from 'perf_hooks';
import { StoreUnreachableError } from '../stores/outage';

/** How long a Redis command may take by default before the request gets a 503. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000;

/**
 * A store's `commandTimeoutMs` option: the default when absent, `null` to wait as long as the
 * client does, else a positive number of milliseconds (`who` names the option in the error).
 */
export function commandTimeoutOption(value: number | null | undefined, who: string): number | null {
  if (value === undefined) return DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new AuthConfigurationError(`${who}: commandTimeoutMs must be a number of milliseconds > 0, or null to wait as long as the client does.`);
  }
  return value;
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
