import type { AuthenticationBackend } from '../backend';
import type { BaseUser } from '../entities/base-user';
import { MfaNotEnrolledError, MfaTokenInvalidError, ValidationError } from '../errors';
import type { HttpExchange } from '../http/request';
import type { LoginResponseBody } from '../transports/transport';
import { checkIssuingRequest } from '../transports/transport';
import { issueMfaToken, mfaTokenDigest } from '../two-factor/mfa-token';
import type { PendingLogin } from '../two-factor/pending-logins';
import type { TwoFactorSection } from '../two-factor/two-factor-section';
import { grantScopes } from '../users/scopes';
import { type ContextSource, contextOf } from './flow-context';
import { limitAttempt } from './limit-attempt';
import { type LogInOptions, logUserIn, refreshCookiePath } from './log-in';

/** The answer of a first step that needs a second factor (`POST /2fa/verify` finishes it). */
export interface MfaRequiredAnswer {
  mfa_required: true;
  mfa_token: string;
  /** The methods the user has, e.g. `['totp', 'recovery_code']`; a method with `begin` adds its result under its name. */
  methods: string[];
  [method: string]: unknown;
}

/** The answer of a first step for a user the policy makes enrol first (only the TOTP enrolment routes take the token). */
export interface MfaEnrolmentRequiredAnswer {
  mfa_enrolment_required: true;
  mfa_token: string;
}

/**
 * The end of a login's first step (a password, a provider): without `twoFactor`, or for a user
 * with no second factor whom the policy does not make enrol, `logUserIn` at once. Otherwise it
 * issues nothing — no token, cookie, session, `login.succeeded` or `onAfterLogin` — and answers
 * 200 `{ mfa_required, mfa_token, methods }` (or `{ mfa_enrolment_required, mfa_token }`); the
 * pending login is bound to the user, the backend, the scopes and the step's `amr`.
 */
export async function logInAfterFirstFactor<U extends BaseUser>(
  app: ContextSource<U>,
  backend: AuthenticationBackend,
  user: U,
  exchange: HttpExchange,
  scopes: string[],
  options: LogInOptions = {},
): Promise<LoginResponseBody> {
  const context = contextOf(app);
  const twoFactor = context.twoFactor;
  if (!twoFactor) return logUserIn(context, backend, user, exchange, scopes, options);
  const { failures } = context;
  const methods = await failures.storeCall(() => twoFactor.enrolledMethods(user), 'second factor');
  const pendingLogin = (purpose: PendingLogin['purpose']): Omit<PendingLogin, 'expiresAt'> => ({
    purpose,
    userId: user.id,
    backend: backend.name,
    amr: options.amr ?? ['pwd'],
    scopes,
    refreshCookiePath: backend.refresh ? refreshCookiePath(backend, exchange, options.refreshCookiePath) : undefined,
  });
  if (methods.length > 0) {
    const answer: MfaRequiredAnswer = {
      mfa_required: true,
      mfa_token: await failures.storeCall(() => issueMfaToken(twoFactor, pendingLogin('login')), 'second factor'),
      methods: methods.map((m) => m.name),
    };
    for (const method of methods) if (method.begin) answer[method.name] = await method.begin(user, exchange);
    return pendingAnswer(exchange, answer);
  }
  if (await twoFactor.isRequiredFor(user)) {
    const token = await failures.storeCall(() => issueMfaToken(twoFactor, pendingLogin('enrol')), 'second factor');
    return pendingAnswer(exchange, { mfa_enrolment_required: true, mfa_token: token } satisfies MfaEnrolmentRequiredAnswer);
  }
  return logUserIn(context, backend, user, exchange, scopes, options);
}

function pendingAnswer<T extends object>(exchange: HttpExchange, answer: T): T {
  // The token is a credential for 5 minutes: no cache keeps it.
  exchange.rawResponse.setHeader('Cache-Control', 'no-store');
  exchange.setStatus(200);
  return answer;
}

/** The app's second factors; a 400 `MFA_TOKEN_INVALID` for every token when `twoFactor` is off. */
export function twoFactorOf<U extends BaseUser>(app: ContextSource<U>): TwoFactorSection<U> {
  const twoFactor = contextOf(app).twoFactor;
  if (!twoFactor) throw new MfaTokenInvalidError('Second factors are not configured: no mfa_token is valid here.');
  return twoFactor;
}

/** A pending login of this purpose (and, when given, this backend) and its active user; 400 `MFA_TOKEN_INVALID` otherwise. */
export async function pendingLoginOf<U extends BaseUser>(
  app: ContextSource<U>,
  token: unknown,
  purpose: PendingLogin['purpose'],
  onlyBackend?: string,
): Promise<{ digest: string; login: PendingLogin; user: U; backend: AuthenticationBackend }> {
  const context = contextOf(app);
  const twoFactor = twoFactorOf(context);
  const digest = mfaTokenDigest(token);
  const login = digest === undefined ? undefined : await context.failures.storeCall(() => twoFactor.pending.peek(digest), 'second factor');
  if (!digest || !login || login.purpose !== purpose || (onlyBackend !== undefined && login.backend !== onlyBackend)) throw new MfaTokenInvalidError();
  const backend = context.backends.list.find((b) => b.name === login.backend);
  const user = backend && (await context.failures.storeCall(() => context.users.store.findById(login.userId)));
  // A user deactivated (or deleted) while the login waited does not finish it.
  if (!backend || !user || !user.isActive) throw new MfaTokenInvalidError();
  return { digest, login, user, backend };
}

/** Uses the pending login up (atomically: of concurrent requests one gets it); 400 `MFA_TOKEN_INVALID` when another did. */
export async function takePendingLogin<U extends BaseUser>(app: ContextSource<U>, digest: string): Promise<PendingLogin> {
  const context = contextOf(app);
  const twoFactor = twoFactorOf(context);
  const login = await context.failures.storeCall(() => twoFactor.pending.take(digest), 'second factor');
  if (!login) throw new MfaTokenInvalidError();
  return login;
}

/** Counts one second-factor attempt for the user (429 `TOO_MANY_REQUESTS` once the budget is spent). */
export async function countSecondFactorAttempt<U extends BaseUser>(app: ContextSource<U>, exchange: HttpExchange, userId: string): Promise<void> {
  await limitAttempt(contextOf(app), 'secondFactor', exchange, `user:${userId}`);
}

/** Gives the user's second-factor budget back after a success (NIST counts consecutive failures). */
export async function resetSecondFactorAttempts<U extends BaseUser>(app: ContextSource<U>, userId: string): Promise<void> {
  await contextOf(app).rateLimits?.reset('secondFactor', `user:${userId}`);
}

/**
 * `POST /2fa/verify`: finishes a pending login with one method's proof (`fields[method.field]`),
 * through the backend the first step used — `logUserIn`, with `amr` the first step's plus the
 * method's and `auth_time` now. A wrong proof counts in the user's budget and leaves the token
 * usable; a right one uses the token up. `onlyBackend`: refuse tokens of other backends.
 */
export async function finishSecondFactorLogin<U extends BaseUser>(
  app: ContextSource<U>,
  exchange: HttpExchange,
  fields: Record<string, unknown>,
  onlyBackend?: string,
): Promise<LoginResponseBody> {
  const context = contextOf(app);
  const twoFactor = twoFactorOf(context);
  const { digest, login, user, backend } = await pendingLoginOf(context, fields.mfa_token, 'login', onlyBackend);
  // What the finished login will set (cookies) passes the backend's origin check first.
  checkIssuingRequest(backend.transport, exchange);
  const given = twoFactor.methods.filter((m) => fields[m.field] !== undefined && fields[m.field] !== null);
  if (given.length !== 1) {
    const names = twoFactor.methods.map((m) => `\`${m.field}\``).join(', ');
    throw new ValidationError('The request body is invalid.', [{ field: 'mfa_token', errors: [`Give exactly one proof: one of ${names}.`] }]);
  }
  const [method] = given;
  if (!(await context.failures.storeCall(() => method.isEnrolled(user), 'second factor'))) {
    throw new MfaNotEnrolledError(`The account has no ${method.name} second factor.`);
  }
  await countSecondFactorAttempt(context, exchange, user.id);
  let proven: { amr: string[] };
  try {
    proven = await method.verify(user, fields[method.field], exchange);
  } catch (error) {
    context.events.publish({ type: 'mfa.failed', userId: user.id, method: method.name, ip: exchange.ip });
    throw error;
  }
  await takePendingLogin(context, digest);
  await resetSecondFactorAttempts(context, user.id);
  const scopes = grantScopes(await context.users.manager.getScopes(user), login.scopes);
  return logUserIn(context, backend, user, exchange, scopes, {
    amr: [...new Set([...login.amr, ...proven.amr])],
    refreshCookiePath: login.refreshCookiePath,
  });
}
