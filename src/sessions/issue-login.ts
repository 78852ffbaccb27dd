/**
 * The login flow moved to src/flows/log-in.ts; these names stay importable from here for code that
 * reached in (the public one, `logUserIn`, comes from the package's index).
 */
export { logUserIn, issueSessionAccessToken, respondWithTokens, refreshCookiePath, type LogInOptions } from '../flows/log-in';
