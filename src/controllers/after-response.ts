import { UserHookError } from '../errors';
import type { HttpExchange } from '../http/request';

/**
 * Runs `task` once the response has been handed to the network (or the client went away), so
 * nothing the task does — a database lookup, a hook sending an email — changes how long the
 * response takes. That is what keeps `forgot-password` and `request-verify-token` from telling,
 * by their timing, which emails have accounts.
 *
 * The client has its answer already, so a failure cannot reach it: it is logged (the task's
 * own error, which never contains the token) and the returned promise still resolves.
 */
export function runAfterResponse(exchange: HttpExchange, task: () => Promise<void>, label: string): Promise<void> {
  const response = exchange.rawResponse;
  return new Promise<void>((resolve) => {
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      response.off('finish', start);
      response.off('close', start);
      task()
        .catch((error: unknown) => {
          // A failing hook has been logged by the UserManager already.
          if (!(error instanceof UserHookError)) console.error(`routing-controllers-auth: ${label} failed after the response was sent:`, error);
        })
        .finally(resolve);
    };
    if (response.writableFinished || response.destroyed) return start();
    response.once('finish', start);
    response.once('close', start);
  });
}
