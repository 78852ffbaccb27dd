import { Authorized, CurrentUser, Delete, Get, Param, Patch, Req, Res } from 'routing-controllers';
import type { BaseUser } from '../entities/base-user';
import type { Principal } from '../authenticator';
import { ErrorCode, InvalidPasswordError, NotFoundError, UserAlreadyExistsError } from '../errors';
import { exchangeFromParams, type HttpExchange } from '../http/request';
import { validateBody } from '../http/validate';
import { LibraryRoute, type DomainErrorAnswer } from '../routes/route-declaration';
import { routeCall } from '../routes/route-call';
import { confirmAccountHolder } from '../flows/confirm-account-holder';
import { userAnswer } from '../routes/route-docs';
import { SUPERUSER_SCOPE } from '../users/scopes';
import type { UserUpdate } from '../users/user-manager';
import { normaliseEmail } from '../users/emails';
import { CurrentPasswordDto, type DtoClass, givenFields, UserAdminFieldsDto, UserUpdateDto } from './user-dto';
import { AuthRoutes } from './auth-routes';

/** What an update of a user answers for the user manager's refusals. */
const UPDATE_ANSWERS: DomainErrorAnswer[] = [
  { error: UserAlreadyExistsError, status: 400, code: ErrorCode.UPDATE_USER_EMAIL_ALREADY_EXISTS },
  { error: InvalidPasswordError, status: 400, code: ErrorCode.UPDATE_USER_INVALID_PASSWORD },
];

/**
 * The current user's profile and superuser administration of users. Extend it under the route
 * you want:
 *
 * ```ts
 * @JsonController('/users') class Users extends UsersController {}
 * ```
 *
 * To make columns of your own User entity editable, give it your DTO (see `UserUpdateDto`):
 * `protected updateDto = MyUserUpdate;` — it serves `PATCH /me` and `PATCH /:id` alike.
 */
export class UsersController<U extends BaseUser = BaseUser> extends AuthRoutes<U> {
  /** The user fields of `PATCH /me` and `PATCH /:id`; override with a subclass of `UserUpdateDto`. */
  protected updateDto: DtoClass<UserUpdateDto> = UserUpdateDto;
  /** The privileged fields a superuser may also set on `PATCH /:id`. */
  protected adminFieldsDto: DtoClass<UserAdminFieldsDto> = UserAdminFieldsDto;

  /** `GET /me` — 200 the authenticated user. 401 without valid credentials. */
  @LibraryRoute({ docs: () => ({ summary: 'The current user', responses: { '200': userAnswer('The current user.') } }) })
  @Authorized()
  @Get('/me')
  // The request and response are for the route's helper (the answer's headers); the handler needs neither.
  me(@CurrentUser({ required: true }) user: U, @Req() _request?: any, @Res() _response?: any): Record<string, unknown> {
    return this.serializeUser(user);
  }

  /**
   * `PATCH /me` — 200 the updated user. A new email resets `isVerified`; a new password is
   * checked by the policy and revokes every token of the user (this one too: log in again),
   * except that a request made within a session (refresh tokens) keeps that session: every
   * other one ends.
   * `isActive`, `isSuperuser`, `isVerified` and `scopes` are ignored. 400
   * `UPDATE_USER_EMAIL_ALREADY_EXISTS`, `UPDATE_USER_INVALID_PASSWORD` (reason as message).
   */
  @LibraryRoute({
    body: { accepts: 'json', dtos: (controller) => [controller?.updateDto ?? UserUpdateDto], documentedDtos: () => [CurrentPasswordDto] },
    // Counted by confirmAccountHolder, for a change of credentials only: the account's login budget.
    rateLimit: { action: 'login' },
    answers: UPDATE_ANSWERS,
    errors: () => [
      [400, [ErrorCode.CURRENT_PASSWORD_INVALID]],
      [401, [ErrorCode.REAUTHENTICATION_REQUIRED]],
    ],
    docs: () => ({
      summary: 'Update the current user',
      description:
        'A new email resets `isVerified`; a new password revokes every token of the user. `isActive`, `isSuperuser`, `isVerified` and `scopes` are ignored. ' +
        "Changing the password or the email needs `currentPassword` (each try counts in the account's login budget); an account without a password of its own needs a recent sign-in instead (else 401 `REAUTHENTICATION_REQUIRED`).",
      responses: { '200': userAnswer('The updated user.') },
    }),
  })
  @Authorized()
  @Patch('/me')
  async updateMe(@CurrentUser({ required: true }) user: U, @Req() request: any, @Res() response: any): Promise<Record<string, unknown>> {
    const exchange = exchangeFromParams(request, response);
    const { fields: body, dtos } = await routeCall(exchange).body();
    const fields = givenFields(dtos[0]);
    const principal = await this.auth.principalFor(exchange);
    if (!principal) throw this.auth.unauthenticatedError(undefined, { bearerRejected: false });
    if (changesCredentials(user, fields)) {
      const { currentPassword } = await validateBody(CurrentPasswordDto, body);
      await this.confirmAccountHolder(user, currentPassword, principal, exchange);
    }
    return this.serializeUser(await this.applyUpdate(user, fields, true, exchange.request, principal.grant.sessionId));
  }

  /**
   * A stolen access token alone must not change the password or the email (either hands the
   * account over for good). The current password proves the holder is at the keyboard; each
   * attempt counts in the account's login budget, so this is no way around login's rate limit.
   * An account without a password of its own (social sign-in) proves it by a recent sign-in.
   */
  protected async confirmAccountHolder(user: U, currentPassword: string | undefined, principal: Principal<U>, exchange: HttpExchange): Promise<void> {
    await confirmAccountHolder(this.auth, { ...principal, user }, exchange, currentPassword, { passwordRequired: true });
  }

  /** `GET /:id` (superuser) — 200 the user; 404 `NOT_FOUND` for unknown and malformed ids. */
  @LibraryRoute({
    errors: () => [[404, [ErrorCode.NOT_FOUND]]],
    docs: () => ({ summary: 'A user (superuser)', responses: { '200': userAnswer('The user.') } }),
  })
  @Authorized([SUPERUSER_SCOPE])
  @Get('/:id')
  // The request and response are for the route's helper (the answer's headers); the handler needs neither.
  async getUser(@Param('id') id: string, @Req() _request?: any, @Res() _response?: any): Promise<Record<string, unknown>> {
    return this.serializeUser(await this.findOr404(id));
  }

  /**
   * `PATCH /:id` (superuser) — 200 the updated user. Also sets `isActive`, `isSuperuser`,
   * `isVerified` and `scopes`; deactivating a user or taking rights away revokes their tokens.
   */
  @LibraryRoute({
    // Two DTOs over one body: an app that extends the user fields need not redeclare these.
    body: {
      accepts: 'json',
      dtos: (controller) => [controller?.updateDto ?? UserUpdateDto, controller?.adminFieldsDto ?? UserAdminFieldsDto],
    },
    answers: UPDATE_ANSWERS,
    errors: () => [[404, [ErrorCode.NOT_FOUND]]],
    docs: () => ({
      summary: 'Update a user (superuser)',
      description: "Also sets `isActive`, `isSuperuser`, `isVerified` and `scopes`; taking rights away revokes the user's tokens.",
      responses: { '200': userAnswer('The updated user.') },
    }),
  })
  @Authorized([SUPERUSER_SCOPE])
  @Patch('/:id')
  async updateUser(@Param('id') id: string, @Req() request: any, @Res() response: any): Promise<Record<string, unknown>> {
    const exchange = exchangeFromParams(request, response);
    const user = await this.findOr404(id);
    const { dtos } = await routeCall(exchange).body();
    const fields = Object.assign({}, ...dtos.map(givenFields)) as Record<string, unknown>;
    return this.serializeUser(await this.applyUpdate(user, fields, false, exchange.request));
  }

  /** `DELETE /:id` (superuser) — 204; the user's tokens stop working at once. */
  @LibraryRoute({
    errors: () => [[404, [ErrorCode.NOT_FOUND]]],
    docs: () => ({ summary: 'Delete a user (superuser)', responses: { '204': { description: 'Deleted; its tokens stop working at once.' } } }),
  })
  @Authorized([SUPERUSER_SCOPE])
  @Delete('/:id')
  async deleteUser(@Param('id') id: string, @Req() request: any, @Res() response: any): Promise<null> {
    const exchange = exchangeFromParams(request, response);
    const user = await this.findOr404(id);
    await this.auth.userManager.delete(user, { request: exchange.request });
    return null;
  }

  private async findOr404(id: string): Promise<U> {
    const user = await this.auth.userManager.get(id);
    if (!user) throw new NotFoundError('No user has this id.');
    return user;
  }

  /** The user manager's refusals (a taken email, a refused password) become the route's declared answers. */
  private async applyUpdate(user: U, fields: Record<string, unknown>, safe: boolean, request: unknown, currentSessionId?: string): Promise<U> {
    return this.auth.userManager.update(user, fields as UserUpdate<U>, { safe, request, currentSessionId });
  }
}

/** True when the update sets a password or moves the account to another email address. */
function changesCredentials(user: BaseUser, fields: Record<string, unknown>): boolean {
  if (fields.password !== undefined) return true;
  return typeof fields.email === 'string' && normaliseEmail(fields.email) !== user.email;
}
