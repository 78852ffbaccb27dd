import { HttpCode, Post, Req, Res } from 'routing-controllers';
import type { BaseUser } from '../entities/base-user';
import { readBody } from '../http/body';
import { exchangeFromParams } from '../http/request';
import { validateBody } from '../http/validate';
import { EmailDto, ResetPasswordDto } from './user-dto';
import { BadRequestError, ErrorCode, InvalidPasswordError, InvalidResetTokenError } from '../errors';
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
  @Post('/forgot-password')
  @HttpCode(202)
  async forgotPassword(@Req() request: any, @Res() response: any): Promise<typeof FORGOT_PASSWORD_ACCEPTED> {
    const exchange = exchangeFromParams(request, response);
    const { email } = await validateBody(EmailDto, await readBody(exchange, 'json'));
    await this.auth.limitAttempt('forgotPassword', exchange, email);
    this.forUserOfEmailAfterResponse(exchange, email, (user) => this.auth.userManager.forgotPassword(user, exchange.request), 'forgot-password');
    return FORGOT_PASSWORD_ACCEPTED;
  }

  /**
   * `POST /reset-password` `{token, password}` — 200 the user. Every token of the user is
   * revoked. 400 `RESET_PASSWORD_BAD_TOKEN` (forged, expired, of another kind, or already used:
   * of two concurrent uses exactly one succeeds); 400 `RESET_PASSWORD_INVALID_PASSWORD` with
   * the reason as message.
   */
  @Post('/reset-password')
  async resetPassword(@Req() request: any, @Res() response: any): Promise<Record<string, unknown>> {
    const exchange = exchangeFromParams(request, response);
    const { token, password } = await validateBody(ResetPasswordDto, await readBody(exchange, 'json'));
    await this.auth.limitAttempt('resetPassword', exchange);
    try {
      return this.serializeUser(await this.auth.userManager.resetPassword(token, password, exchange.request));
    } catch (error) {
      if (error instanceof InvalidResetTokenError) throw new BadRequestError(ErrorCode.RESET_PASSWORD_BAD_TOKEN, error.message);
      if (error instanceof InvalidPasswordError) throw new BadRequestError(ErrorCode.RESET_PASSWORD_INVALID_PASSWORD, error.reason);
      throw error;
    }
  }
}
