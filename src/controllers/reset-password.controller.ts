import { HttpCode, Post, Req, Res } from 'routing-controllers';
import type { BaseUser } from '../entities/base-user';
import { exchangeFromParams } from '../http/request';
import { LibraryRoute } from '../routes/route-declaration';
import { routeCall } from '../routes/route-call';
import { accepted, userAnswer } from '../routes/route-docs';
import { EmailDto, ResetPasswordDto } from './user-dto';
import { ErrorCode, InvalidPasswordError, InvalidResetTokenError } from '../errors';
import { AuthRoutes } from './auth-routes';

/** The one answer `forgot-password` gives, whether or not the email has an account. */
export const FORGOT_PASSWORD_ACCEPTED = {
  message: 'If this email belongs to an account, a password reset message is on its way.',
} as const;

/**
 * `POST /forgot-password` and `POST /reset-password`. Extend it under the route you want:
 *
 * ```ts
 * @JsonController('/auth') class AuthReset extends ResetPasswordController {}
 * ```
 *
 * Sending the token is the app's job, in `UserManager.onAfterForgotPassword(user, token, request)`.
 */
export class ResetPasswordController<U extends BaseUser = BaseUser> extends AuthRoutes<U> {
  /**
   * `POST /forgot-password` `{email}` — 202 with the same body for every well-formed email.
   * The lookup and `onAfterForgotPassword` run after the 202 is sent, so neither the answer nor
   * its timing tells whether the email has an account. Inactive users get no token.
   */
  @LibraryRoute({
    body: { accepts: 'json', dtos: () => [EmailDto] },
    rateLimit: { action: 'forgotPassword', account: (dto: EmailDto) => dto.email },
    docs: () => ({
      summary: 'Ask for a password-reset token (sent by the app, e.g. by email)',
      responses: accepted('Always accepted (no account enumeration).'),
    }),
  })
  @Post('/forgot-password')
  @HttpCode(202)
  async forgotPassword(@Req() request: any, @Res() response: any): Promise<typeof FORGOT_PASSWORD_ACCEPTED> {
    const exchange = exchangeFromParams(request, response);
    const [{ email }] = (await routeCall(exchange).body()).dtos as [EmailDto];
    this.forUserOfEmailAfterResponse(exchange, email, (user) => this.auth.userManager.forgotPassword(user, exchange.request), 'forgot-password');
    return FORGOT_PASSWORD_ACCEPTED;
  }

  /**
   * `POST /reset-password` `{token, password}` — 200 the user. Every token of the user is
   * revoked. 400 `RESET_PASSWORD_BAD_TOKEN` (forged, expired, of another kind, or already used:
   * of two concurrent uses exactly one succeeds); 400 `RESET_PASSWORD_INVALID_PASSWORD` with
   * the reason as message.
   */
  @LibraryRoute({
    body: { accepts: 'json', dtos: () => [ResetPasswordDto] },
    rateLimit: { action: 'resetPassword' },
    answers: [
      { error: InvalidResetTokenError, status: 400, code: ErrorCode.RESET_PASSWORD_BAD_TOKEN },
      { error: InvalidPasswordError, status: 400, code: ErrorCode.RESET_PASSWORD_INVALID_PASSWORD },
    ],
    docs: () => ({
      summary: 'Reset the password with a reset token (single-use)',
      responses: { '200': userAnswer('The user; every token it had is revoked.') },
    }),
  })
  @Post('/reset-password')
  async resetPassword(@Req() request: any, @Res() response: any): Promise<Record<string, unknown>> {
    const exchange = exchangeFromParams(request, response);
    const call = routeCall(exchange);
    const [{ token, password }] = (await call.body()).dtos as [ResetPasswordDto];
    await call.countAttempt();
    return this.serializeUser(await this.auth.userManager.resetPassword(token, password, exchange.request));
  }
}
