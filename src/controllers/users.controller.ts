import { Authorized, CurrentUser, Delete, Get, Param, Patch, Req, Res } from 'routing-controllers';
import type { BaseUser } from '../entities/base-user';
import type { Principal } from '../authenticator';
import { BadRequestError, CurrentPasswordInvalidError, ErrorCode, InvalidPasswordError, NotFoundError, UserAlreadyExistsError } from '../errors';
import { readBody } from '../http/body';
import { exchangeFromParams, type HttpExchange } from '../http/request';
import { validateBody } from '../http/validate';
import { SUPERUSER_SCOPE } from '../users/scopes';
import type { UserUpdate } from '../users/user-manager';
import { normaliseEmail } from '../users/emails';
import { CurrentPasswordDto, type DtoClass, givenFields, UserAdminFieldsDto, UserUpdateDto } from './user-dto';
import { AuthRoutes } from './auth-routes';

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
  @Authorized()
  @Get('/me')
  me(@CurrentUser({ required: true }) user: U): Record<string, unknown> {
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
  @Authorized()
  @Patch('/me')
  async updateMe(@CurrentUser({ required: true }) user: U, @Req() request: any, @Res() response: any): Promise<Record<string, unknown>> {
    const exchange = exchangeFromParams(request, response);
    const body = await readBody(exchange, 'json');
    const fields = givenFields(await validateBody(this.updateDto, body));
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
    const auth = this.auth;
    if (!auth.userManager.hasUsablePassword(user)) {
      auth.requireRecentSignIn(principal);
      return;
    }
    await auth.limitAttempt('login', exchange, user.email);
    if (currentPassword === undefined) throw new CurrentPasswordInvalidError('Changing the password or the email needs `currentPassword`.');
    if (!(await auth.userManager.verifyPassword(user, currentPassword))) throw new CurrentPasswordInvalidError('The current password is wrong.');
    await auth.rateLimits?.reset('login', user.email);
  }

  /** `GET /:id` (superuser) — 200 the user; 404 `NOT_FOUND` for unknown and malformed ids. */
  @Authorized([SUPERUSER_SCOPE])
  @Get('/:id')
  async getUser(@Param('id') id: string): Promise<Record<string, unknown>> {
    return this.serializeUser(await this.findOr404(id));
  }

  /**
   * `PATCH /:id` (superuser) — 200 the updated user. Also sets `isActive`, `isSuperuser`,
   * `isVerified` and `scopes`; deactivating a user or taking rights away revokes their tokens.
   */
  @Authorized([SUPERUSER_SCOPE])
  @Patch('/:id')
  async updateUser(@Param('id') id: string, @Req() request: any, @Res() response: any): Promise<Record<string, unknown>> {
    const exchange = exchangeFromParams(request, response);
    const user = await this.findOr404(id);
    const body = await readBody(exchange, 'json');
    // Two DTOs over one body: an app that extends the user fields need not redeclare these.
    const fields = {
      ...givenFields(await validateBody(this.updateDto, body)),
      ...givenFields(await validateBody(this.adminFieldsDto, body)),
    };
    return this.serializeUser(await this.applyUpdate(user, fields, false, exchange.request));
  }

  /** `DELETE /:id` (superuser) — 204; the user's tokens stop working at once. */
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

  private async applyUpdate(user: U, fields: Record<string, unknown>, safe: boolean, request: unknown, currentSessionId?: string): Promise<U> {
    try {
      return await this.auth.userManager.update(user, fields as UserUpdate<U>, { safe, request, currentSessionId });
    } catch (error) {
      if (error instanceof UserAlreadyExistsError) {
        throw new BadRequestError(ErrorCode.UPDATE_USER_EMAIL_ALREADY_EXISTS, 'A user with this email already exists.');
      }
      if (error instanceof InvalidPasswordError) throw new BadRequestError(ErrorCode.UPDATE_USER_INVALID_PASSWORD, error.reason);
      throw error;
    }
  }
}

/** True when the update sets a password or moves the account to another email address. */
function changesCredentials(user: BaseUser, fields: Record<string, unknown>): boolean {
  if (fields.password !== undefined) return true;
  return typeof fields.email === 'string' && normaliseEmail(fields.email) !== user.email;
}
