import { IsOptional, IsString, MaxLength } from 'class-validator';
import { MAX_PASSWORD_LENGTH } from '../users/password-policy';

/** No `mfa_token` of ours is longer (43 characters); longer is refused before any lookup. */
const MAX_TOKEN_LENGTH = 128;

/** `POST /2fa/verify`: the pending login's token; the proof is in the method's own field (`code`, `recovery_code`, …). */
export class MfaVerifyBody {
  @IsString()
  @MaxLength(MAX_TOKEN_LENGTH)
  mfa_token!: string;
}

/** `POST /2fa/totp`: signed in (`currentPassword`, or a recent sign-in), or the `mfa_token` of a login that must enrol. */
export class TotpEnrolBody {
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PASSWORD_LENGTH * 2)
  currentPassword?: string;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_TOKEN_LENGTH)
  mfa_token?: string;
}

/** `POST /2fa/totp/confirm`: a code of the new authenticator. */
export class TotpConfirmBody {
  @IsString()
  @MaxLength(64)
  code!: string;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_TOKEN_LENGTH)
  mfa_token?: string;
}

/** `DELETE /2fa/totp`, `POST /2fa/recovery-codes`: the current password, or none when the sign-in is recent. */
export class AccountHolderBody {
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PASSWORD_LENGTH * 2)
  currentPassword?: string;
}
