import { randomBytes, randomUUID } from 'crypto';

/** A fresh id, so cases sharing one store never see each other's records. */
export function freshId(): string {
  return randomUUID();
}

/** What the library stores of a refresh token: a SHA-256 digest in hex. */
export function freshDigest(): string {
  return randomBytes(32).toString('hex');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits (under a second) for the start of a wall-clock second: some tokens (JWT `exp`) count whole seconds. */
export async function startOfSecond(): Promise<void> {
  while (Date.now() % 1000 > 100) await sleep(Math.max(1, 1000 - (Date.now() % 1000)));
}

/** A date at millisecond precision (what every store keeps). */
export function nowMs(offsetMs = 0): Date {
  return new Date(Date.now() + offsetMs);
}

/** The indexes of the calls that answered true, so "exactly one won" reads as one assertion. */
export function winners(answers: boolean[]): number[] {
  return answers.flatMap((won, index) => (won ? [index] : []));
}

/** `value`'s millisecond time, or null: dates compare by value in assertions. */
export function timeOf(value: Date | null | undefined): number | null {
  return value instanceof Date ? value.getTime() : (value ?? null);
}
