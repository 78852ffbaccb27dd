import { Authorized, Post, Req, Res } from 'routing-controllers';
import { Auth } from '../auth';
import type { BaseUser } from '../entities/base-user';
import { BadRequestError, ErrorCode } from '../errors';
import { readBody } from '../http/body';
import { exchangeFromParams } from '../http/request';
import { validateBody } from '../http/validate';
import type { LoginResponseBody } from '../transports/transport';
import { normaliseEmail } from '../users/emails';
import { grantScopes, parseScopeParameter } from '../users/scopes';
import { LoginCredentials, requireUsername } from './dto';
import { LibraryController } from './library-controller';
import { issueLogin, storeCall } from './login-response';

/**
 * Login and logout for one backend. Extend it under the route you want and name the backend:
 *
 * ```ts
 * @JsonController('/auth/jwt')
 * class JwtAuthController extends AuthController { constructor() { super('jwt'); } }
 * ```
 */
@LibraryController()
export class AuthController<U extends BaseUser = BaseUser> {
  /**
   * @param backendName the backend this controller logs in and out of.
   * @param boundAuth the `Auth` to use; default: the one `Auth.configure` registered in typedi
   *   (pass it when one process serves several configured apps).
   */
  constructor(
    protected readonly backendName: string,
    private readonly boundAuth?: Auth<U>,
  ) {}

  protected get auth(): Auth<U> {
    return this.boundAuth ?? Auth.current<U>();
  }

  /**
   * `POST /login` — OAuth2 password form or JSON `{username, password, scope?}`.
   * Bearer: 200 `{access_token, token_type}`; cookie: 204 + `Set-Cookie`.
   * 400 `LOGIN_BAD_CREDENTIALS` alike for an unknown email, a wrong password or an inactive user.
   */
  @Post('/login')
  async login(@Req() request: any, @Res() response: any): Promise<LoginResponseBody> {
    const auth = this.auth;
    const backend = auth.getBackend(this.backendName);
    const exchange = exchangeFromParams(request, response);
    backend.transport.checkLoginRequest?.(exchange);
    const fields = await readBody(exchange, 'json-or-form');
    requireUsername(fields);
    const credentials = await validateBody(LoginCredentials, fields);
    await auth.limitAttempt('login', exchange, credentials.username);

    const user = await auth.userManager.authenticate(credentials.username, credentials.password);
    const failed = (reason: 'bad_credentials' | 'not_verified') =>
      auth.events.publish({ type: 'login.failed', email: normaliseEmail(credentials.username), reason, backend: backend.name, ip: exchange.ip });
    if (!user || !user.isActive) {
      failed('bad_credentials');
      throw new BadRequestError(ErrorCode.LOGIN_BAD_CREDENTIALS, 'Incorrect email or password.');
    }
    if (auth.requireVerification && !user.isVerified) {
      failed('not_verified');
      throw new BadRequestError(ErrorCode.LOGIN_USER_NOT_VERIFIED, 'This account is not verified yet.');
    }
    await auth.rateLimits?.reset('login', credentials.username);
    const scopes = grantScopes(await auth.userManager.getScopes(user), parseScopeParameter(credentials.scope));
    return issueLogin(auth, backend, user, scopes, exchange);
  }

  /** `POST /logout` — 204; destroys the token server-side where the strategy can, clears the cookie. */
  @Authorized()
  @Post('/logout')
  async logout(@Req() request: any, @Res() response: any): Promise<null> {
    const auth = this.auth;
    const backend = auth.getBackend(this.backendName);
    const exchange = exchangeFromParams(request, response);
    const principal = await auth.authenticateWith(this.backendName, exchange);
    if (!principal) throw auth.unauthenticatedError(undefined, { bearerRejected: false });
    await storeCall(auth, 'logout', exchange, () => backend.strategy.destroy(principal.token, principal.grant));
    backend.transport.logoutResponse(exchange);
    auth.events.publish({ type: 'logout', userId: principal.user.id, backend: backend.name, ip: exchange.ip });
    return null;
  }
}
