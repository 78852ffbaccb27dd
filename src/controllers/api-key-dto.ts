import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { MAX_ALLOWED_IPS } from '../api-keys/ip-ranges';
import { MAX_PASSWORD_LENGTH } from '../users/password-policy';

/** `POST /api-keys`: what the key is for, what it may do, until when and from where. */
export class CreateApiKeyDto {
  @IsString()
  @Length(1, 100)
  name!: string;

  /** A subset of the owner's scopes (else 400 `API_KEY_SCOPE_NOT_ALLOWED`); empty: it passes `@Authorized()` only. */
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  scopes!: string[];

  /** Whole days until it expires; absent or null: never (unless the app sets a maximum). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expiresInDays?: number | null;

  /** CIDR ranges (IPv4 or IPv6) or addresses it may be used from; absent or empty: anywhere. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ALLOWED_IPS)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  allowedIps?: string[] | null;

  /** The current password; without it, a recent sign-in must do (else 401 `REAUTHENTICATION_REQUIRED`). */
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PASSWORD_LENGTH * 2)
  currentPassword?: string;
}
