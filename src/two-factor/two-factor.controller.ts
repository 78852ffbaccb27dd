import { Authorized, CurrentUser, Delete, Get, Post, Req, Res } from 'routing-controllers';
import { Auth } from '../auth';
import type { Principal } from '../authenticator';
import { AuthRoutes } from '../controllers/auth-routes';
import type { BaseUser } from '../entities/base-user';
import { ErrorCode, MfaNotEnrolledError } from '../errors';
import { confirmAccountHolder } from '../flows/confirm-account-holder';
import { logUserIn } from '../flows/log-in';
import {
  countSecondFactorAttempt,
  finishSecondFactorLogin,
  pendingLoginOf,
  resetSecondFactorAttempts,
  takePendingLogin,
  twoFactorOf,
} from '../flows/second-factor-login';
import { exchangeFromParams, type HttpExchange } from '../http/request';
import type { JsonObject } from '../openapi/document-types';
import { RECOVERY_CODES_SCHEMA, TOTP_ENROLMENT_SCHEMA } from '../openapi/library-schemas';
import { routeCall } from '../routes/route-call';
import { LibraryRoute, type RouteContext, type StatusCodes } from '../routes/route-declaration';
import { anyIssuingCsrf, json, loginAnswers } from '../routes/route-docs';
import { checkIssuingRequest, type LoginResponseBody } from '../transports/transport';
import { grantScopes } from '../users/scopes';
import { AccountHolderBody, MfaVerifyBody, TotpConfirmBody, TotpEnrolBody } from './dto';
import type { TotpEnrolment } from './totp-authenticators';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const UNAVAILABLE: StatusCodes = [[503, [ErrorCode.AUTH_BACKEND_UNAVAILABLE]]];
/** The account-holder proof of the signed-in routes (confirmAccountHolder). */
const HOLDER_PROOF: StatusCodes = [
  [400, [ErrorCode.CURRENT_PASSWORD_INVALID]],
  [401, [ErrorCode.UNAUTHORIZED, ErrorCode.REAUTHENTICATION_REQUIRED]],
];

/** `POST /2fa/verify`'s body: the token and one method's proof. */
function verifySchema(context: RouteContext): JsonObject {
  const extraProofs = Object.fromEntries(
    (context.auth.context.twoFactor?.methods ?? [])
      .filter((method) => method.proofSchema !== undefined)
      .map((method) => [
        method.field,
        {
          ...method.proofSchema,
          description: `Method \`${method.name}\`${method.proofSchema?.description ? `: ${String(method.proofSchema.description)}` : ''}`,
        },
      ]),
  );
  return {
    type: 'object',
    required: ['mfa_token'],
    properties: {
      mfa_token: { type: 'string', maxLength: 128, description: 'From the `mfa_required` answer of the first step.' },
      code: { type: 'string', description: 'Method `totp`: the 6-digit code of the authenticator app.' },
      recovery_code: { type: 'string', description: 'Method `recovery_code`: one of the single-use recovery codes.' },
      ...extraProofs,
    },
    description: 'Exactly one proof: `code`, `recovery_code`, or the field of another configured method (e.g. `webauthn`).',
    additionalProperties: true,
  };
}

/** The 400 codes the app's extra methods answer at `POST /2fa/verify` (a passkey's `PASSKEY_INVALID`). */
function methodErrorCodes(context: RouteContext): ErrorCode[] {
  return [...new Set((context.auth.context.twoFactor?.methods ?? []).flatMap((method) => method.errorCodes ?? []))];
}

/** What a finished login answers when the backend is not known in advance (the token names it). */
function anyLoginAnswers(context: RouteContext): JsonObject {
  const backend = context.controller?.backendName;
  return loginAnswers({ ...context, controller: typeof backend === 'string' ? context.controller : undefined });
}

/**
 * Second factors: finish a login at `POST /2fa/verify`, and enrol or remove a TOTP authenticator
 * with its recovery codes. Needs `Auth.configure({ twoFactor })`. Extend it under the route you want:
 *
 * ```ts
 * @JsonController('/auth') class TwoFactor extends TwoFactorController {}
 * ```
 *
 * `/2fa/verify` logs in through the backend the first step used, which the `mfa_token` names; give
 * a `backendName` to accept only that backend's tokens (a controller per backend, like `AuthController`).
 */
export class TwoFactorController<U extends BaseUser = BaseUser> extends AuthRoutes<U> {
  /**
   * @param backendName only this backend's logins are finished here (others: 400 `MFA_TOKEN_INVALID`); default: any.
   * @param boundAuth the `Auth` to use; default: the one `Auth.configure` registered in typedi.
   */
  constructor(
    protected readonly backendName?: string,
    boundAuth?: Auth<U>,
  ) {
    super();
    this.boundAuth = boundAuth;
  }

  /** What `auth.ready()` asks: second factors must be configured, and the backend named must exist. */
  override async readinessProblems(): Promise<string[]> {
    const problems: string[] = [];
    const auth = this.auth;
    if (!auth.context.twoFactor)
      problems.push(`${this.constructor.name} (a TwoFactorController) needs second factors: give Auth.configure a \`twoFactor: { issuer }\`.`);
    if (this.backendName !== undefined && !auth.backends.some((b) => b.name === this.backendName))
      problems.push(`${this.constructor.name} (a TwoFactorController) names the "${this.backendName}" backend, which Auth.configure does not have.`);
    return problems;
  }

  /**
   * `POST /2fa/verify {mfa_token, code | recovery_code | …}` — finishes the login the token stands
   * for: the backend's login answer (cookies, refresh, events, hooks), `amr` the first step's plus
   * the method's. A wrong code leaves the token usable and counts in the user's budget (429).
   */
  @LibraryRoute({
    body: { accepts: 'json-or-form', dtos: () => [MfaVerifyBody], schema: verifySchema },
    rateLimit: { action: 'secondFactor' },
    errors: (context) => [
      [400, [ErrorCode.MFA_TOKEN_INVALID, ErrorCode.MFA_CODE_INVALID, ErrorCode.MFA_NOT_ENROLLED, ...methodErrorCodes(context)]],
      ...anyIssuingCsrf(context),
      ...UNAVAILABLE,
    ],
    docs: (context) => ({
      summary: 'Finish a login with a second factor',
      description:
        "The `mfa_token` of the `mfa_required` answer and one proof. Answers like the first step's login route (the backend the token is bound to). " +
        "A wrong code leaves the token usable for its 5 minutes; wrong codes count in the account's budget (429 once spent).",
      responses: anyLoginAnswers(context),
    }),
  })
  @Post('/2fa/verify')
  async verify(@Req() request: any, @Res() response: any): Promise<LoginResponseBody> {
    const exchange = exchangeFromParams(request, response);
    const { fields } = await routeCall(exchange).body();
    return finishSecondFactorLogin(this.auth, exchange, fields, this.backendName);
  }

  /** `GET /2fa` (authenticated) — which second factors the user has. */
  @LibraryRoute({
    sessionOnly: true,
    errors: () => UNAVAILABLE,
    docs: () => ({
      summary: "The current user's second factors",
      responses: {
        '200': {
          description: 'The methods the user can finish a login with, whether TOTP is enabled or pending, and the recovery codes left.',
          content: json({
            type: 'object',
            required: ['methods', 'totp', 'recovery_codes_remaining'],
            properties: {
              methods: { type: 'array', items: { type: 'string' } },
              totp: { type: 'object', required: ['enabled'], properties: { enabled: { type: 'boolean' } } },
              recovery_codes_remaining: { type: 'integer' },
            },
          }),
        },
      },
    }),
  })
  @Authorized()
  @Get('/2fa')
  async status(@CurrentUser({ required: true }) user: U, @Req() _request?: any, @Res() _response?: any): Promise<Record<string, unknown>> {
    const twoFactor = this.twoFactor;
    const methods = await twoFactor.enrolledMethods(user);
    return {
      methods: methods.map((m) => m.name),
      totp: { enabled: await twoFactor.totp.isEnabled(user.id) },
      recovery_codes_remaining: await twoFactor.recoveryCodes.remaining(user.id),
    };
  }

  /**
   * `POST /2fa/totp` — a new TOTP secret `{secret, otpauthUrl, qrSvg}`, pending until confirmed.
   * Signed in: needs `currentPassword` or a recent sign-in. A login that must enrol gives its
   * `mfa_token` instead.
   */
  @LibraryRoute({
    sessionOnly: true,
    body: { accepts: 'json', required: false, dtos: () => [TotpEnrolBody] },
    rateLimit: { action: 'login' },
    errors: () => [[400, [ErrorCode.MFA_TOKEN_INVALID]], ...HOLDER_PROOF, ...UNAVAILABLE],
    docs: () => ({
      summary: 'Start enrolling a TOTP authenticator',
      description:
        'Signed in: the current password (`currentPassword`, each try counting in the login budget) or a recent sign-in. ' +
        'Or, for a login answered `mfa_enrolment_required`, its `mfa_token` instead of a credential. An enabled authenticator keeps working until the new one is confirmed.',
      responses: { '200': { description: 'The secret, pending until POST /2fa/totp/confirm.', content: json(ref(TOTP_ENROLMENT_SCHEMA)) } },
    }),
  })
  @Post('/2fa/totp')
  async enrolTotp(@Req() request: any, @Res() response: any): Promise<TotpEnrolment> {
    const exchange = exchangeFromParams(request, response);
    const [body] = (await routeCall(exchange).body()).dtos as [TotpEnrolBody];
    const twoFactor = this.twoFactor;
    let user: U;
    if (body.mfa_token !== undefined) user = (await pendingLoginOf(this.auth, body.mfa_token, 'enrol', this.backendName)).user;
    else {
      user = (await this.confirmedHolder(exchange, body.currentPassword)).user;
    }
    exchange.rawResponse.setHeader('Cache-Control', 'no-store');
    return twoFactor.totp.begin(user.id, user.email);
  }

  /**
   * `POST /2fa/totp/confirm {code}` — enables the pending authenticator and answers 10 new
   * single-use recovery codes, shown this once. With the `mfa_token` of a login that had to
   * enrol, the login is finished too: the backend's login answer plus `recovery_codes`.
   */
  @LibraryRoute({
    sessionOnly: true,
    body: { accepts: 'json', dtos: () => [TotpConfirmBody] },
    rateLimit: { action: 'secondFactor' },
    errors: (context) => [
      [400, [ErrorCode.MFA_CODE_INVALID, ErrorCode.MFA_NOT_ENROLLED, ErrorCode.MFA_TOKEN_INVALID]],
      [401, [ErrorCode.UNAUTHORIZED]],
      ...anyIssuingCsrf(context),
      ...UNAVAILABLE,
    ],
    docs: () => ({
      summary: 'Confirm the TOTP authenticator with one of its codes',
      description:
        'Signed in: enables it and answers the recovery codes (replacing any older ones). With the `mfa_token` of a login answered ' +
        "`mfa_enrolment_required`: also finishes that login, answering the backend's login answer (amr pwd + otp) with `recovery_codes` added.",
      responses: { '200': { description: 'The recovery codes (and, for an enrolling login, its login answer).', content: json(ref(RECOVERY_CODES_SCHEMA)) } },
    }),
  })
  @Post('/2fa/totp/confirm')
  async confirmTotp(@Req() request: any, @Res() response: any): Promise<Record<string, unknown>> {
    const auth = this.auth;
    const exchange = exchangeFromParams(request, response);
    const [body] = (await routeCall(exchange).body()).dtos as [TotpConfirmBody];
    const twoFactor = this.twoFactor;
    const pending = body.mfa_token !== undefined ? await pendingLoginOf(auth, body.mfa_token, 'enrol', this.backendName) : undefined;
    if (pending) checkIssuingRequest(pending.backend.transport, exchange);
    const user = pending ? pending.user : (await this.signedIn(exchange)).user;

    await countSecondFactorAttempt(auth, exchange, user.id);
    let replaced: boolean;
    try {
      ({ replaced } = await twoFactor.totp.confirm(user.id, body.code));
    } catch (error) {
      auth.events.publish({ type: 'mfa.failed', userId: user.id, method: 'totp', ip: exchange.ip });
      throw error;
    }
    if (pending) await takePendingLogin(auth, pending.digest);
    await resetSecondFactorAttempts(auth, user.id);
    const recoveryCodes = await twoFactor.recoveryCodes.regenerate(user.id);
    auth.events.publish({ type: 'mfa.enabled', userId: user.id, method: 'totp', replaced });
    exchange.rawResponse.setHeader('Cache-Control', 'no-store');
    if (!pending) return { recovery_codes: recoveryCodes };
    // The code just proved the new factor: the enrolling login is finished with both factors.
    const scopes = grantScopes(await auth.userManager.getScopes(user), pending.login.scopes);
    const login = await logUserIn(auth, pending.backend, user, exchange, scopes, {
      amr: [...new Set([...pending.login.amr, 'otp'])],
      refreshCookiePath: pending.login.refreshCookiePath,
    });
    exchange.setStatus(200);
    return { ...login, recovery_codes: recoveryCodes };
  }

  /**
   * `DELETE /2fa/totp` — 204; TOTP and the recovery codes are gone. Needs `currentPassword` or a
   * recent sign-in; ends the user's other sessions.
   */
  @LibraryRoute({
    sessionOnly: true,
    body: { accepts: 'json', required: false, dtos: () => [AccountHolderBody] },
    rateLimit: { action: 'login' },
    errors: () => [[400, [ErrorCode.MFA_NOT_ENROLLED]], ...HOLDER_PROOF, ...UNAVAILABLE],
    docs: () => ({
      summary: 'Turn TOTP off',
      description: "Removes the authenticator and the recovery codes. Needs `currentPassword` or a recent sign-in; ends the user's other sessions.",
      responses: { '204': { description: 'Turned off.' } },
    }),
  })
  @Delete('/2fa/totp')
  async disableTotp(@Req() request: any, @Res() response: any): Promise<null> {
    const auth = this.auth;
    const exchange = exchangeFromParams(request, response);
    const [body] = (await routeCall(exchange).body()).dtos as [AccountHolderBody];
    const twoFactor = this.twoFactor;
    const principal = await this.confirmedHolder(exchange, body.currentPassword);
    const { user } = principal;
    const wasEnabled = await twoFactor.totp.remove(user.id);
    await twoFactor.recoveryCodes.removeAll(user.id);
    if (!wasEnabled) throw new MfaNotEnrolledError('TOTP is not enabled for this account.');
    auth.events.publish({ type: 'mfa.disabled', userId: user.id, method: 'totp' });
    await auth.revokeAllTokens(user.id, { exceptSessionId: principal.grant.sessionId });
    exchange.setStatus(204);
    return null;
  }

  /**
   * `POST /2fa/recovery-codes` — 10 new recovery codes (the old ones stop working), shown this
   * once. Needs TOTP enabled, and `currentPassword` or a recent sign-in; ends the user's other sessions.
   */
  @LibraryRoute({
    sessionOnly: true,
    body: { accepts: 'json', required: false, dtos: () => [AccountHolderBody] },
    rateLimit: { action: 'login' },
    errors: () => [[400, [ErrorCode.MFA_NOT_ENROLLED]], ...HOLDER_PROOF, ...UNAVAILABLE],
    docs: () => ({
      summary: 'Replace the recovery codes',
      description: "The old codes stop working. Needs TOTP enabled, and `currentPassword` or a recent sign-in; ends the user's other sessions.",
      responses: { '200': { description: 'The new codes, shown this once.', content: json(ref(RECOVERY_CODES_SCHEMA)) } },
    }),
  })
  @Post('/2fa/recovery-codes')
  async regenerateRecoveryCodes(@Req() request: any, @Res() response: any): Promise<{ recovery_codes: string[] }> {
    const auth = this.auth;
    const exchange = exchangeFromParams(request, response);
    const [body] = (await routeCall(exchange).body()).dtos as [AccountHolderBody];
    const twoFactor = this.twoFactor;
    const principal = await this.confirmedHolder(exchange, body.currentPassword);
    const { user } = principal;
    if (!(await twoFactor.totp.isEnabled(user.id))) throw new MfaNotEnrolledError('Recovery codes need TOTP enabled first.');
    const codes = await twoFactor.recoveryCodes.regenerate(user.id);
    auth.events.publish({ type: 'mfa.recovery_codes_regenerated', userId: user.id });
    await auth.revokeAllTokens(user.id, { exceptSessionId: principal.grant.sessionId });
    exchange.rawResponse.setHeader('Cache-Control', 'no-store');
    return { recovery_codes: codes };
  }

  private get twoFactor() {
    return twoFactorOf(this.auth);
  }

  /** The signed-in principal, once it proved the account holder is there (`confirmAccountHolder`: the current password or a recent sign-in). */
  private async confirmedHolder(exchange: HttpExchange, currentPassword: string | undefined): Promise<Principal<U>> {
    const principal = await this.signedIn(exchange);
    await confirmAccountHolder(this.auth, principal, exchange, currentPassword);
    return principal;
  }

  /** The request's principal; 401 without one (these routes also take an `mfa_token`, so they carry no `@Authorized`). */
  private async signedIn(exchange: HttpExchange): Promise<Principal<U>> {
    const principal = await this.auth.principalFor(exchange);
    if (!principal) throw this.auth.unauthenticatedError(undefined, { bearerRejected: Boolean(exchange.header('authorization')) });
    return principal;
  }
}
