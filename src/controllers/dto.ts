import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { MAX_PASSWORD_LENGTH } from '../users/password-policy';

/** The OAuth2 password grant's fields (form or JSON). `username` is the email. */
export class LoginCredentials {
  @IsString()
  @MinLength(1)
  @MaxLength(320)
  username!: string;

  // Only the upper bound here: a password below today's minimum may predate the policy.
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_PASSWORD_LENGTH * 4)
  password!: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  scope?: string;
}
