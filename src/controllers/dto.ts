import { Equals, IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { ValidationError } from '../errors';
import { MAX_PASSWORD_LENGTH } from '../users/password-policy';

/** The OAuth2 password grant's fields (form or JSON). `username` is the email. */
export class LoginCredentials {
  @IsString()
  @MinLength(1)
  @MaxLength(320)
  username!: string;

  // Only the upper bound here (a password below today's minimum may predate the policy), in
  // UTF-16 units: 1024 code points take at most 2048. Longer never reaches the hasher.
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_PASSWORD_LENGTH * 2)
  password!: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  scope?: string;
}

/**
 * A login body without `username` gets one error that says what to send, rather than three about
 * the missing field's type and length; a body that sent `email` instead is told so.
 */
export function requireUsername(fields: Record<string, unknown>): void {
  if (fields.username !== undefined && fields.username !== null && fields.username !== '') return;
  const hint = 'email' in fields ? ' This route takes `username`, not `email`.' : '';
  throw new ValidationError('The request body is invalid.', [{ field: 'username', errors: [`username is required (the email address).${hint}`] }]);
}

/** RFC 6749 §6 refresh request (form or JSON). The cookie transport may carry the token in its refresh cookie instead. */
export class RefreshRequest {
  @ValidateIf((o: RefreshRequest) => o.refresh_token !== undefined || o.grant_type !== undefined)
  @Equals('refresh_token', { message: 'grant_type must be "refresh_token".' })
  grant_type?: string;

  @IsOptional()
  @IsString()
  @MaxLength(4096)
  refresh_token?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  scope?: string;
}
