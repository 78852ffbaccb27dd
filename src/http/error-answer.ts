import { AuthHttpError, BackendUnavailableError } from '../errors';
import type { AppFailures } from '../context/app-failures';
import { appFailuresFor } from '../context/failure-sink';
import type { HttpExchange } from './request';

const counted = new WeakSet<object>();

/**
 * Prepares the response for `error`, which the framework is about to answer: its headers
 * (`WWW-Authenticate`, `Retry-After`; routing-controllers' drivers send only status and body), and
 * a 503 for a lost database counted once in the outage log of `failures`' app (default: the app the
 * refusal belongs to). Other errors are left alone.
 */
export function prepareErrorAnswer(exchange: HttpExchange, error: unknown, failures?: AppFailures): void {
  if (!(error instanceof AuthHttpError)) return;
  if (error instanceof BackendUnavailableError && !counted.has(error)) {
    counted.add(error);
    // Counted in the outage log of the app the refusal belongs to (see appFailuresFor).
    (failures ?? appFailuresFor(error, undefined, undefined))?.refused(error);
  }
  const response = exchange.rawResponse;
  if (response.headersSent) return;
  for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
}

/** Runs `run` (sync or async), preparing the answer of whatever error it throws (see `prepareErrorAnswer`). */
export function preparingErrorAnswer<T>(exchange: HttpExchange, run: () => T | Promise<T>, failures?: AppFailures): T | Promise<T> {
  let result: T | Promise<T>;
  try {
    result = run();
  } catch (error) {
    prepareErrorAnswer(exchange, error, failures);
    throw error;
  }
  if (result instanceof Promise) {
    return result.catch((error: unknown) => {
      prepareErrorAnswer(exchange, error, failures);
      throw error;
    });
  }
  return result;
}
