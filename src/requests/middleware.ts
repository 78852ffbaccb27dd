import type { Authenticator } from '../authenticator';
import type { AppFailures } from '../context/app-failures';
import type { BaseUser } from '../entities/base-user';
import { BackendUnavailableError } from '../errors';
import { exchangeFromExpress, exchangeFromKoa } from '../http/request';
import { principalOf } from './request-guard';

/**
 * Express middleware for code outside controllers: sets `req.user` (null when anonymous) and
 * `req.auth` (the principal). A refused request (CSRF, store down) goes to `next(error)`.
 */
export function expressMiddleware<U extends BaseUser>(
  authenticator: Authenticator<U>,
  failures: AppFailures,
): (req: any, res: any, next: (error?: unknown) => void) => void {
  return (req, res, next) => {
    authenticator.resolve(exchangeFromExpress(req, res)).then(
      (resolution) => {
        if (resolution.refusal instanceof BackendUnavailableError) failures.refused(resolution.refusal);
        if (resolution.refusal) return next(resolution.refusal);
        req.user = resolution.principal?.user ?? null;
        req.auth = resolution.principal;
        next();
      },
      (error) => next(error),
    );
  };
}

/**
 * Koa middleware for code outside controllers: sets `ctx.state.user` (null when anonymous) and
 * `ctx.state.auth` (the principal). A refused request (CSRF, store down) throws its error.
 */
export function koaMiddleware<U extends BaseUser>(
  authenticator: Authenticator<U>,
  failures: AppFailures,
): (ctx: any, next: () => Promise<unknown>) => Promise<void> {
  return async (ctx, next) => {
    const resolution = await authenticator.resolve(exchangeFromKoa(ctx));
    if (resolution.refusal instanceof BackendUnavailableError) failures.refused(resolution.refusal);
    const principal = principalOf(resolution);
    ctx.state.user = principal?.user ?? null;
    ctx.state.auth = principal;
    await next();
  };
}
