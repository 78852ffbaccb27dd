import { AuthConfigurationError } from './errors';

/** One hour: the default lifetime of access tokens, their cookie, and reset / verify tokens. */
export const DEFAULT_LIFETIME_SECONDS = 3600;

/**
 * A lifetime option, validated once at configuration: a positive, finite number of seconds (default
 * one hour), or `null` where "never expires" is allowed. Anything else (0, -1, NaN, Infinity, a
 * string) is refused with the option's name, instead of making tokens that are born expired.
 */
export function lifetimeOption(value: unknown, option: string, allowNull: boolean): number | null {
  if (value === undefined) return DEFAULT_LIFETIME_SECONDS;
  if (value === null && allowNull) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new AuthConfigurationError(`${option} must be a positive number of seconds${allowNull ? ', or null for no expiry' : ''}.`);
  }
  return value;
}
