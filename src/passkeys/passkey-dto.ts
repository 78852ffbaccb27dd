import { IsObject, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** A passkey's label: what the user sees in the list. */
const MAX_NAME_LENGTH = 100;

/** `POST /passkeys/register`: what `navigator.credentials.create()` answered (as JSON), and a label. */
export class PasskeyRegistrationDto {
  /** The `RegistrationResponseJSON` (e.g. `credential.toJSON()`, or @simplewebauthn/browser's `startRegistration()`). */
  @IsObject()
  response!: Record<string, unknown>;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_NAME_LENGTH)
  name?: string;
}

/** `POST /passkeys/login`: what `navigator.credentials.get()` answered (as JSON). */
export class PasskeyAssertionDto {
  /** The `AuthenticationResponseJSON` (e.g. `credential.toJSON()`, or @simplewebauthn/browser's `startAuthentication()`). */
  @IsObject()
  response!: Record<string, unknown>;
}

/** `PATCH /passkeys/:id`. */
export class PasskeyRenameDto {
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_NAME_LENGTH)
  name!: string;
}
