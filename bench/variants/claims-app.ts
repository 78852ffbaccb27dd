import 'reflect-metadata';
import type { RequestListener } from 'http';
import {
  type Action,
  Authorized,
  createExpressServer,
  CurrentUser,
  type ExpressErrorMiddlewareInterface,
  Get,
  JsonController,
  Middleware,
  useContainer,
} from 'routing-controllers';
import { Container } from 'typedi';

/** What a hand-made checker hands to `@CurrentUser()`. */
export interface Claims {
  sub: string;
}

@JsonController('/items')
class ClaimsItems {
  @Authorized()
  @Get('/')
  list(@CurrentUser() user: Claims) {
    return { owner: user.sub };
  }
}

/**
 * Ends the error chain once routing-controllers has answered (its Express driver still calls
 * `next(error)`, and Express would log a stack and drop the keep-alive socket on every 401),
 * as any hand-written setup needs; the library ships the same fix as AuthErrorHandler.
 */
@Middleware({ type: 'after' })
class AnsweredErrors implements ExpressErrorMiddlewareInterface {
  error(error: unknown, _request: unknown, response: { headersSent: boolean }, next: (error?: unknown) => void): void {
    if (!response.headersSent) next(error);
  }
}

/**
 * The app of the hand-made rows, (a′) and (b): `@Authorized()` + `@CurrentUser()` on `GET /items`,
 * with an `authorizationChecker` that takes the Bearer token, asks `readClaims` for its claims
 * (undefined: refused) and keeps them on the request for the `currentUserChecker`.
 */
export function claimsApp(readClaims: (token: string) => Claims | undefined): RequestListener {
  useContainer(Container, { fallbackOnErrors: true });
  return createExpressServer({
    controllers: [ClaimsItems],
    middlewares: [AnsweredErrors],
    authorizationChecker: (action: Action) => {
      const header: string | undefined = action.request.headers.authorization;
      if (!header || !header.startsWith('Bearer ')) return false;
      const claims = readClaims(header.slice(7));
      if (!claims) return false;
      action.request.user = claims;
      return true;
    },
    currentUserChecker: (action: Action) => action.request.user,
  });
}
