import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { MAX_TOKEN_LENGTH } from '../strategies/strategy';
import { MAX_PASSWORD_LENGTH } from '../users/password-policy';

/**
 * The request bodies of the user-management routes (class-validator; undeclared fields are
 * dropped, which is what makes mass assignment impossible). Password *length* is not checked
 * here: the password policy answers it with the route's `*_INVALID_PASSWORD` code and reason.
 */

/** The longest email address SMTP allows (RFC 5321: 64 + 1 + 255). */
const MAX_EMAIL_LENGTH = 320;
/** RFC 6749 scope-token: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Validate when the field was given; `null` is not "absent" and fails the field's rules. */
const Given = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/**
 * `POST /register`. Extend it to make your User entity's own columns registrable:
 *
 * ```ts
 * class MyUserCreate extends UserCreateDto {
 *   @IsOptional() @IsString() @MaxLength(100) displayName?: string;
 * }
 * @JsonController('/auth')
 * class AuthRegister extends RegisterController<User> { protected createDto = MyUserCreate; }
 * ```
 */
export class UserCreateDto {
  @IsEmail()
  @MaxLength(MAX_EMAIL_LENGTH)
  email!: string;

  @IsString()
  password!: string;
}

/** `PATCH /users/me` (and the user fields of `PATCH /users/:id`). Extend it like `UserCreateDto`. */
export class UserUpdateDto {
  @Given()
  @IsEmail()
  @MaxLength(MAX_EMAIL_LENGTH)
  email?: string;

  @Given()
  @IsString()
  password?: string;
}

/**
 * `PATCH /users/me`'s proof that the account holder is at the keyboard: a password or email change
 * needs the current password in the same body (a stolen access token alone must not take the account).
 */
export class CurrentPasswordDto {
  @Given()
  @IsString()
  @MaxLength(MAX_PASSWORD_LENGTH)
  currentPassword?: string;
}

/** The privileged columns only a superuser may set, on `PATCH /users/:id`. */
export class UserAdminFieldsDto {
  @Given()
  @IsBoolean()
  isActive?: boolean;

  @Given()
  @IsBoolean()
  isSuperuser?: boolean;

  @Given()
  @IsBoolean()
  isVerified?: boolean;

  @Given()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  @Matches(SCOPE_TOKEN, { each: true, message: 'each scope must be printable ASCII without spaces, quotes or backslashes' })
  scopes?: string[];
}

/** `POST /request-verify-token`, `POST /forgot-password`. */
export class EmailDto {
  @IsEmail()
  @MaxLength(MAX_EMAIL_LENGTH)
  email!: string;
}

/** `POST /verify`. */
export class TokenDto {
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_TOKEN_LENGTH)
  token!: string;
}

/** `POST /reset-password`. */
export class ResetPasswordDto {
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_TOKEN_LENGTH)
  token!: string;

  @IsString()
  password!: string;
}

/** A DTO class the controllers instantiate and validate (no constructor arguments). */
export type DtoClass<T extends object> = new () => T;

/** The DTO's fields that were given: class-validator leaves declared-but-absent ones undefined. */
export function givenFields(dto: object): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(dto)) if (value !== undefined) fields[key] = value;
  return fields;
}
