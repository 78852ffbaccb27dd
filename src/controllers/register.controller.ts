import { Post, Req, Res } from 'routing-controllers';
import type { BaseUser } from '../entities/base-user';
import { ErrorCode, InvalidPasswordError, UserAlreadyExistsError } from '../errors';
import { exchangeFromParams, type HttpExchange } from '../http/request';
import { LibraryRoute } from '../routes/route-declaration';
import { routeCall } from '../routes/route-call';
import { accepted, userAnswer } from '../routes/route-docs';
import { normaliseEmail } from '../users/emails';
import type { UserCreate } from '../users/user-manager';
import { type DtoClass, givenFields, UserCreateDto } from './user-dto';
import { AuthRoutes } from './auth-routes';

/** The one answer of an enumeration-safe registration, for new and existing emails alike. */
export const REGISTER_ACCEPTED = {
  message: 'If this email can be registered, the account is being created; check your inbox.',
} as const;

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
export class RegisterController<U extends BaseUser = BaseUser> extends AuthRoutes<U> {
  /** The body's class-validator DTO; override with a subclass of `UserCreateDto` for extra fields. */
  protected createDto: DtoClass<UserCreateDto> = UserCreateDto;

  /**
   * `POST /register` JSON `{email, password, …extra}` — 201 the new user (never its password
   * hash). 400 `REGISTER_USER_ALREADY_EXISTS` (emails compare case-insensitively, also between
   * concurrent registrations); 400 `REGISTER_INVALID_PASSWORD` with the reason as message.
   */
  @LibraryRoute({
    body: { accepts: 'json', dtos: (controller) => [controller?.createDto ?? UserCreateDto] },
    rateLimit: { action: 'register', account: (dto: UserCreateDto) => dto.email },
    answers: [
      // Enumeration-safe registration creates the account after answering: a taken email never shows.
      {
        error: UserAlreadyExistsError,
        status: 400,
        code: ErrorCode.REGISTER_USER_ALREADY_EXISTS,
        when: (context) => !context.auth.enumerationSafeRegistration,
      },
      { error: InvalidPasswordError, status: 400, code: ErrorCode.REGISTER_INVALID_PASSWORD },
    ],
    docs: (context) => ({
      summary: 'Register a user',
      description: '`id`, `isActive`, `isSuperuser`, `isVerified` and `scopes` cannot be set here.',
      responses: context.auth.enumerationSafeRegistration
        ? accepted('Accepted alike for new and existing emails (no account enumeration).')
        : { '201': userAnswer('The new user.') },
    }),
  })
  @Post('/register')
  async register(@Req() request: any, @Res() response: any): Promise<Record<string, unknown>> {
    const exchange = exchangeFromParams(request, response);
    const [dto] = (await routeCall(exchange).body()).dtos as [UserCreateDto];
    if (this.auth.enumerationSafeRegistration) return this.registerWithoutTelling(exchange, givenFields(dto) as UserCreate<U>);
    const user = await this.auth.userManager.create(givenFields(dto) as UserCreate<U>, { safe: true, request: exchange.request });
    exchange.setStatus(201);
    return this.serializeUser(user);
  }

  /**
   * The enumeration-safe mode: the password policy is checked up front (it does not depend on
   * the account), then 202 for everyone; the account is created, or the owner of an existing one
   * told, once the response is sent, so neither the answer nor its timing says which happened.
   */
  private async registerWithoutTelling(exchange: HttpExchange, fields: UserCreate<U>): Promise<Record<string, unknown>> {
    const manager = this.auth.userManager;
    await manager.checkPassword(fields.password, { ...fields, email: normaliseEmail(fields.email) } as unknown as Partial<U>);
    void this.afterResponse(
      exchange,
      async () => {
        try {
          await manager.create(fields, { safe: true, request: exchange.request });
        } catch (error) {
          if (!(error instanceof UserAlreadyExistsError)) throw error;
          const existing = await manager.getByEmail(fields.email);
          if (existing) await manager.onRegisterExistingEmail(existing, exchange.request);
        }
      },
      'register',
    );
    exchange.setStatus(202);
    return { ...REGISTER_ACCEPTED };
  }
}
