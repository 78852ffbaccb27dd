import { BadRequestError, ErrorCode } from '../errors';

/** 400 `REFRESH_TOKEN_INVALID`: one answer for unknown, expired, used, revoked and foreign tokens. */
export function invalidRefreshToken(message = 'The refresh token is invalid, expired or already used.'): BadRequestError {
  return new BadRequestError(ErrorCode.REFRESH_TOKEN_INVALID, message);
}
