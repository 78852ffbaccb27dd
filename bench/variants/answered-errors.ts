import { type ExpressErrorMiddlewareInterface, Middleware } from 'routing-controllers';

/**
 * Ends the error chain once routing-controllers has answered (its Express driver still calls
 * `next(error)`, and Express would log a stack and drop the keep-alive socket on every 401),
 * as any hand-written setup needs; the library ships the same fix as AuthErrorHandler.
 */
@Middleware({ type: 'after' })
export class AnsweredErrors implements ExpressErrorMiddlewareInterface {
  error(error: unknown, _request: unknown, response: { headersSent: boolean }, next: (error?: unknown) => void): void {
    if (!response.headersSent) next(error);
  }
}
