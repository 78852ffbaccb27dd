/** The routes that are limited; each has a per-client-IP and a per-account budget. */
export type RateLimitedAction =
  'login' | 'refresh' | 'register' | 'forgotPassword' | 'resetPassword' | 'requestVerify' | 'verify' | 'secondFactor' | 'passkeyLogin';
