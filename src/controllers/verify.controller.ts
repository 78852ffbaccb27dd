import { HttpCode, Post, Req, Res } from 'routing-controllers';
import type { BaseUser } from '../entities/base-user';
import { exchangeFromParams } from '../http/request';
import { LibraryRoute } from '../routes/route-declaration';
import { routeCall } from '../routes/route-call';
import { accepted, userAnswer } from '../routes/route-docs';
import { EmailDto, TokenDto } from './user-dto';
import { ErrorCode, InvalidVerifyTokenError, UserAlreadyVerifiedError } from '../errors';
import { AuthRoutes } from './auth-routes';

/** The one answer `request-verify-token` gives, whether or not the email has an account. */
export const REQUEST_VERIFY_ACCEPTED = {
  message: 'If this email belongs to an account awaiting verification, a verification message is on its way.',
} as const;

/**
 * `POST /request-verify-token` and `POST /verify`. Extend it under the route you want:
 *
 * ```ts
 * @JsonController('/auth') class AuthVerify extends VerifyController {}
 * ```
 *
 * Sending the token is the app's job, in `UserManager.onAfterRequestVerify(user, token, request)`.
 */
export class VerifyController<U extends BaseUser = BaseUser> extends AuthRoutes<U> {
  /**
   * `POST /request-verify-token` `{email}` — 202 with the same body for every well-formed email.
   * The lookup and `onAfterRequestVerify` run after the 202 is sent, so neither the answer nor
   * its timing tells whether the email has an account. Inactive and already verified users
   * get no token.
   */
  @LibraryRoute({
    body: { accepts: 'json', dtos: () => [EmailDto] },
    rateLimit: { action: 'requestVerify', account: (dto: EmailDto) => dto.email },
    docs: () => ({
      summary: 'Ask for a verification token (sent by the app, e.g. by email)',
      responses: accepted('Always accepted (no account enumeration).'),
    }),
  })
  @Post('/request-verify-token')
  @HttpCode(202)
  async requestVerifyToken(@Req() request: any, @Res() response: any): Promise<typeof REQUEST_VERIFY_ACCEPTED> {
    const exchange = exchangeFromParams(request, response);
    const [{ email }] = (await routeCall(exchange).body()).dtos as [EmailDto];
    this.forUserOfEmailAfterResponse(exchange, email, (user) => this.auth.userManager.requestVerify(user, exchange.request), 'request-verify-token');
    return REQUEST_VERIFY_ACCEPTED;
  }

  /**
   * `POST /verify` `{token}` — 200 the user, now verified. 400 `VERIFY_USER_BAD_TOKEN` (forged,
   * expired, of another kind, or for an email the user no longer has); 400
   * `VERIFY_USER_ALREADY_VERIFIED`.
   */
  @LibraryRoute({
    body: { accepts: 'json', dtos: () => [TokenDto] },
    rateLimit: { action: 'verify' },
    answers: [
      { error: InvalidVerifyTokenError, status: 400, code: ErrorCode.VERIFY_USER_BAD_TOKEN },
      { error: UserAlreadyVerifiedError, status: 400, code: ErrorCode.VERIFY_USER_ALREADY_VERIFIED },
    ],
    docs: () => ({ summary: 'Verify a user with its token', responses: { '200': userAnswer('The user, now verified.') } }),
  })
  @Post('/verify')
  async verify(@Req() request: any, @Res() response: any): Promise<Record<string, unknown>> {
    const exchange = exchangeFromParams(request, response);
    const call = routeCall(exchange);
    const [{ token }] = (await call.body()).dtos as [TokenDto];
    await call.countAttempt();
    return this.serializeUser(await this.auth.userManager.verify(token, exchange.request));
  }
}
