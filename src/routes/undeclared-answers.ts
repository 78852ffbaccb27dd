/** An answer a library route gave that its declaration does not list. */
export interface UndeclaredAnswer {
  /** `Class.method` of the declaration (the base controller). */
  route: string;
  status: number;
  code: string;
}

/** A few are enough to see the mistake; a long-running process must not grow this list. */
const LIMIT = 100;
const recorded: UndeclaredAnswer[] = [];

/**
 * Notes an answer missing from its route's declaration. The answer itself is sent as it is: the
 * declaration (and with it the OpenAPI document) is what is wrong. The test suite fails on any.
 */
export function recordUndeclaredAnswer(answer: UndeclaredAnswer): void {
  if (recorded.length >= LIMIT) return;
  if (recorded.some((r) => r.route === answer.route && r.status === answer.status && r.code === answer.code)) return;
  recorded.push(answer);
}

/** The undeclared answers recorded since the last call, which forgets them. */
export function takeUndeclaredAnswers(): UndeclaredAnswer[] {
  return recorded.splice(0, recorded.length);
}
