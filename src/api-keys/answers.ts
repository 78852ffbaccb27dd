import { ErrorCode } from '../errors';
import type { RejectionAnswer } from '../strategies/strategy';

/**
 * The 401 of a refused API key. One answer for every refusal but expiry (a wrong checksum, an unknown
 * or revoked key, a gone or deactivated owner, an address outside its ranges), so it tells a prober
 * nothing; expiry is told apart only to the holder of that exact key, who needs to know to replace it.
 */
export const API_KEY_INVALID_ANSWER: RejectionAnswer = Object.freeze({
  code: ErrorCode.API_KEY_INVALID,
  message: 'The API key is invalid, revoked, or not allowed here.',
});

export const API_KEY_EXPIRED_ANSWER: RejectionAnswer = Object.freeze({
  code: ErrorCode.API_KEY_EXPIRED,
  message: 'The API key has expired: make a new one.',
});
