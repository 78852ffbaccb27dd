import { AuthHttpError, BadRequestError, ErrorCode, OAuthProviderError } from '../errors';

/**
 * The answer for a failed provider call. A code the provider refuses (`invalid_grant`: used
 * before, expired, or not issued with this PKCE verifier) is the caller's 400; an ID token whose
 * `nonce` is not the one kept for this flow was minted for another flow (400 `OAUTH_INVALID_STATE`);
 * everything else — network errors, timeouts, bad signatures, malformed answers — is the
 * provider's 502, whose body and details are never passed on.
 */
export function providerFailure(error: unknown): AuthHttpError {
  if (error instanceof AuthHttpError) return error;
  if (oauthErrorOf(error) === 'invalid_grant') {
    return new BadRequestError(ErrorCode.OAUTH_INVALID_CODE, 'The authorization code is invalid, expired or already used.');
  }
  if (comparedClaimOf(error) === 'nonce') {
    return new BadRequestError(ErrorCode.OAUTH_INVALID_STATE, 'The sign-in response does not belong to this sign-in.');
  }
  return new OAuthProviderError();
}

/** The OAuth `error` of a token endpoint's error response (openid-client's ResponseBodyError). */
function oauthErrorOf(error: unknown): string | undefined {
  const value = (error as { error?: unknown } | null)?.error;
  return typeof value === 'string' ? value : undefined;
}

/** The claim an ID token check compared, found along openid-client's chain of causes. */
function comparedClaimOf(error: unknown): string | undefined {
  let current: any = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current.claim === 'string') return current.claim;
    current = current.cause;
  }
  return undefined;
}
