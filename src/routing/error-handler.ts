import type { ServerResponse } from 'http';
import { ExpressErrorMiddlewareInterface, Middleware } from 'routing-controllers';
import { AuthHttpError } from '../errors';

/**
 * routing-controllers' Express driver answers an error and then still calls `next(error)`, so
 * Express's final handler logs a stack trace and destroys the keep-alive socket — on every 401.
 *
 * This error middleware ends that chain for errors already answered that are client errors
 * (status < 500) or the library's own (e.g. 503 while a store is down), and answers the library's
 * errors as `{code, message}` when the app disabled routing-controllers' default error handler.
 * Other server errors go on to the app's handlers as before.
 *
 * It is registered automatically when the app passes no `middlewares` option to
 * routing-controllers (the quick start); an app that lists its middlewares adds `AuthErrorHandler`.
 */
@Middleware({ type: 'after' })
export class AuthErrorHandler implements ExpressErrorMiddlewareInterface {
  // Typed without Express's types, which the app may not have installed.
  error(
    error: any,
    _request: unknown,
    response: ServerResponse & { status(code: number): { json(body: unknown): void } },
    next: (err?: unknown) => void,
  ): void {
    const status = Number(error?.httpCode ?? error?.status ?? error?.statusCode ?? 500);
    if (response.headersSent) {
      if (status < 500) return; // already answered; nothing left to do for a client error
      // The library's own answers (e.g. 503 while a store is down) are expected, not faults to log;
      // a failed hook was logged by the UserManager already.
      if (error instanceof AuthHttpError) return;
      return next(error);
    }
    if (error instanceof AuthHttpError) {
      for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
      response.status(error.httpCode).json(error.toJSON());
      return;
    }
    next(error);
  }
}
