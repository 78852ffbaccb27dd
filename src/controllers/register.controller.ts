import { HttpCode, Post, Req, Res } from 'routing-controllers';
import { Auth } from '../auth';
import type { BaseUser } from '../entities/base-user';
import { BadRequestError, ErrorCode, InvalidPasswordError, UserAlreadyExistsError } from '../errors';
import { readBody } from '../http/body';
import { exchangeFromParams } from '../http/request';
import { validateBody } from '../http/validate';
import type { UserCreate } from '../users/user-manager';
import { toPublicUser } from './public-user';
import { type DtoClass, givenFields, UserCreateDto } from './user-dto';

/**
 * `POST /register`. Extend it under the route you want:
 *
 * ```ts
 * @JsonController('/auth') class AuthRegister extends RegisterController {}
 * ```
 *
 * To register columns of your own User entity, give it your DTO (see `UserCreateDto`):
 * `protected createDto = MyUserCreate;`. `id`, `isActive`, `isSuperuser`, `isVerified` and
 * `scopes` can never be set through this route, whatever the DTO declares.
 */
export class RegisterController<U extends BaseUser = BaseUser> {
  /** The body's class-validator DTO; override with a subclass of `UserCreateDto` for extra fields. */
  protected createDto: DtoClass<UserCreateDto> = UserCreateDto;

  protected get auth(): Auth<U> {
    return Auth.current<U>();
  }

  /**
   * `POST /register` JSON `{email, password, …extra}` — 201 the new user (never its password
   * hash). 400 `REGISTER_USER_ALREADY_EXISTS` (emails compare case-insensitively, also between
   * concurrent registrations); 400 `REGISTER_INVALID_PASSWORD` with the reason as message.
   */
  @Post('/register')
  @HttpCode(201)
  async register(@Req() request: any, @Res() response: any): Promise<Record<string, unknown>> {
    const exchange = exchangeFromParams(request, response);
    const dto = await validateBody(this.createDto, await readBody(exchange, 'json'));
    await this.auth.limitAttempt('register', exchange, dto.email);
    try {
      const user = await this.auth.userManager.create(givenFields(dto) as UserCreate<U>, { safe: true, request: exchange.request });
      return this.serializeUser(user);
    } catch (error) {
      if (error instanceof UserAlreadyExistsError) {
        throw new BadRequestError(ErrorCode.REGISTER_USER_ALREADY_EXISTS, 'A user with this email already exists.');
      }
      if (error instanceof InvalidPasswordError) throw new BadRequestError(ErrorCode.REGISTER_INVALID_PASSWORD, error.reason);
      throw error;
    }
  }

  /** The response body for a user; override to shape it (it never includes `hashedPassword`). */
  protected serializeUser(user: U): Record<string, unknown> {
    return toPublicUser(user);
  }
}
