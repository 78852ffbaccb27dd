import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { Authorized, CurrentUser, Delete, Get, Param, Patch, Post, Req, Res } from 'routing-controllers';
import { Auth } from '../auth';
import type { Principal } from '../authenticator';
import type { AuthenticationBackend } from '../backend';
import { AuthRoutes } from '../controllers/auth-routes';
import { CurrentPasswordDto } from '../controllers/user-dto';
import type { BaseUser } from '../entities/base-user';
import type { Passkey } from '../entities/passkey';
import { AuthConfigurationError, ErrorCode, NotFoundError, UserNotVerifiedError } from '../errors';
import { confirmAccountHolder } from '../flows/confirm-account-holder';
import { logUserIn } from '../flows/log-in';
import { exchangeFromParams, type HttpExchange } from '../http/request';
import { PASSKEY_SCHEMA } from '../openapi/library-schemas';
import { routeCall } from '../routes/route-call';
import { LibraryRoute, type StatusCodes } from '../routes/route-declaration';
import { issuingCsrf, json, loginAnswers } from '../routes/route-docs';
import { checkIssuingRequest, type LoginResponseBody } from '../transports/transport';
import { grantScopes } from '../users/scopes';
import { PasskeyAssertionDto, PasskeyRegistrationDto, PasskeyRenameDto } from './passkey-dto';
import type { Passkeys } from './passkeys';

/** A passkey as its user sees it: no key material, no credential id. */
export interface PasskeyView {
  id: string;
  name: string;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  transports: string[] | null;
  aaguid: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/**
 * RFC 8176 `amr` of a passwordless sign-in: the key (`hwk`, or `swk` for a synced one) and `mfa`,
 * since user verification is required: the authenticator checked a PIN or biometrics, a second factor.
 */
export function passwordlessAmr(keyAmr: 'hwk' | 'swk'): string[] {
  return [keyAmr, 'mfa'];
}

/** The proof of the account holder that changes of the user's passkeys need. */
const ACCOUNT_HOLDER: StatusCodes = [
  [400, [ErrorCode.CURRENT_PASSWORD_INVALID]],
  [401, [ErrorCode.REAUTHENTICATION_REQUIRED]],
];
const ACCOUNT_HOLDER_WORDS =
  "Needs `currentPassword` (each try counts in the account's login budget) or a sign-in within `recentSignInMaxAgeSeconds` (else 401 `REAUTHENTICATION_REQUIRED`).";
const CREATION_OPTIONS = {
  description:
    'PublicKeyCredentialCreationOptionsJSON: give it to `navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })`.',
  content: json({ type: 'object', additionalProperties: true }),
};
const REQUEST_OPTIONS = {
  description:
    'PublicKeyCredentialRequestOptionsJSON: give it to `navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) })`.',
  content: json({ type: 'object', additionalProperties: true }),
};
const PASSKEY_ANSWER = (description: string) => ({ description, content: json({ $ref: `#/components/schemas/${PASSKEY_SCHEMA}` }) });

/**
 * Passkeys (WebAuthn): the user's own (register, list, rename, delete) and passwordless sign-in
 * through one backend. Needs `Auth.configure({ passkeys })`. Extend it under the route you want
 * and name the backend the sign-in answers with:
 *
 * ```ts
 * @JsonController('/passkeys')
 * class Passkeys extends PasskeyController { constructor() { super('cookie'); } }
 * ```
 *
 * Every challenge is single use, lives 5 minutes and is kept server-side; every response is
 * checked against the configured `rpID` and `origins`. Every refusal is 400 `PASSKEY_INVALID`.
 */
export class PasskeyController<U extends BaseUser = BaseUser> extends AuthRoutes<U> {
  /** The OpenAPI tag of this controller's routes. */
  protected readonly tag: string;

  /**
   * @param backendName the backend a passwordless sign-in logs in with (the same answer as its `POST /login`).
   * @param boundAuth the `Auth` to use; default: the one `Auth.configure` registered in typedi.
   * @param options `tag`: the OpenAPI tag of its routes (default "Passkeys").
   */
  constructor(
    protected readonly backendName: string,
    boundAuth?: Auth<U>,
    options: { tag?: string } = {},
  ) {
    super();
    this.boundAuth = boundAuth;
    this.tag = options.tag ?? 'Passkeys';
  }

  /** What `auth.ready()` asks: passkeys configured and the backend there. One message per problem. */
  override async readinessProblems(): Promise<string[]> {
    const problems: string[] = [];
    for (const check of [() => this.passkeys, () => this.backend]) {
      try {
        check();
      } catch (error) {
        if (!(error instanceof AuthConfigurationError)) throw error;
        problems.push(error.message);
      }
    }
    return problems;
  }

  /** The app's WebAuthn ceremonies. */
  protected get passkeys(): Passkeys {
    const passkeys = this.auth.context.passkeys;
    if (!passkeys)
      throw new AuthConfigurationError(`${this.constructor.name} (a PasskeyController) needs Auth.configure({ passkeys: { rpID, rpName, origins } }).`);
    return passkeys;
  }

  /** The backend a passwordless sign-in logs in with. */
  protected get backend(): AuthenticationBackend {
    const auth = this.auth;
    const backend = auth.backends.find((b) => b.name === this.backendName);
    if (!backend) {
      throw new AuthConfigurationError(
        `${this.constructor.name} (a PasskeyController) logs in with the "${this.backendName}" backend, which Auth.configure does not have (its backends: ${auth.backends.map((b) => `"${b.name}"`).join(', ')}).`,
      );
    }
    // The refresh cookie is scoped to the AuthController's /refresh route, which this controller
    // cannot know: derived from its own path, it would never reach POST /refresh.
    if (backend.refresh && backend.transport.setsCookies && backend.refresh.cookiePath === undefined) {
      throw new AuthConfigurationError(
        `${this.constructor.name} (a PasskeyController): the "${backend.name}" backend has refresh tokens in a cookie; give it \`refresh: { cookiePath }\` (its AuthController's route + "/refresh", e.g. "/auth/${backend.name}/refresh") so a passkey sign-in's refresh cookie reaches POST /refresh.`,
      );
    }
    return backend;
  }

  /**
   * `POST /register/options` (authenticated) — 200 `PublicKeyCredentialCreationOptionsJSON` for a
   * new passkey of the current user. This is where the account holder is proven (`currentPassword`
   * or a recent sign-in): the challenge it hands out, bound to the user for 5 minutes, carries that
   * proof to `POST /register`.
   */
  @LibraryRoute({
    sessionOnly: true,
    body: { accepts: 'json', required: false, dtos: () => [CurrentPasswordDto] },
    rateLimit: { action: 'login' },
    errors: () => ACCOUNT_HOLDER,
    docs: () => ({
      summary: 'Start adding a passkey',
      description: `Options for \`navigator.credentials.create()\`: a discoverable credential with user verification, the user's passkeys excluded. ${ACCOUNT_HOLDER_WORDS}`,
      responses: { '200': CREATION_OPTIONS },
    }),
  })
  @Authorized()
  @Post('/register/options')
  async registrationOptions(
    @CurrentUser({ required: true }) user: U,
    @Req() request: any,
    @Res() response: any,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const exchange = exchangeFromParams(request, response);
    const passkeys = this.passkeys;
    const [{ currentPassword }] = (await routeCall(exchange).body()).dtos as [CurrentPasswordDto];
    await this.confirmAccountHolder(user, currentPassword, await this.principal(exchange), exchange);
    return passkeys.registrationOptions(user);
  }

  /**
   * `POST /register` (authenticated) `{response, name?}` — 201 the new passkey. 400
   * `PASSKEY_INVALID` when the response does not verify against a registration challenge handed
   * to this user (or the passkey is registered already).
   */
  @LibraryRoute({
    sessionOnly: true,
    body: { accepts: 'json', dtos: () => [PasskeyRegistrationDto] },
    errors: () => [[400, [ErrorCode.PASSKEY_INVALID]]],
    docs: () => ({
      summary: 'Add a passkey',
      description:
        'The `RegistrationResponseJSON` of `navigator.credentials.create()` for options from `POST /register/options` (within 5 minutes, once), and a name.',
      responses: { '201': PASSKEY_ANSWER('The new passkey.') },
    }),
  })
  @Authorized()
  @Post('/register')
  async register(@CurrentUser({ required: true }) user: U, @Req() request: any, @Res() response: any): Promise<PasskeyView> {
    const exchange = exchangeFromParams(request, response);
    const passkeys = this.passkeys;
    const [dto] = (await routeCall(exchange).body()).dtos as [PasskeyRegistrationDto];
    const passkey = await passkeys.register(user, dto.response, dto.name ?? 'Passkey', exchange.ip);
    exchange.setStatus(201);
    return this.serializePasskey(passkey);
  }

  /** `GET /` (authenticated) — 200 the current user's passkeys, oldest first. */
  @LibraryRoute({
    sessionOnly: true,
    docs: () => ({
      summary: "The current user's passkeys",
      responses: { '200': { description: 'Oldest first.', content: json({ type: 'array', items: { $ref: `#/components/schemas/${PASSKEY_SCHEMA}` } }) } },
    }),
  })
  @Authorized()
  @Get('/')
  // The request and response are for the route's helper (the answer's headers).
  async list(@CurrentUser({ required: true }) user: U, @Req() _request?: any, @Res() _response?: any): Promise<PasskeyView[]> {
    return (await this.passkeys.store.listForUser(user.id)).map((passkey) => this.serializePasskey(passkey));
  }

  /** `PATCH /:id` (authenticated) `{name, currentPassword?}` — 200 the renamed passkey; 404 `NOT_FOUND` for an id that is not one of the user's. */
  @LibraryRoute({
    sessionOnly: true,
    body: { accepts: 'json', dtos: () => [PasskeyRenameDto, CurrentPasswordDto] },
    rateLimit: { action: 'login' },
    errors: () => [...ACCOUNT_HOLDER, [404, [ErrorCode.NOT_FOUND]]],
    docs: () => ({ summary: 'Rename a passkey', description: ACCOUNT_HOLDER_WORDS, responses: { '200': PASSKEY_ANSWER('The renamed passkey.') } }),
  })
  @Authorized()
  @Patch('/:id')
  async rename(@CurrentUser({ required: true }) user: U, @Param('id') id: string, @Req() request: any, @Res() response: any): Promise<PasskeyView> {
    const exchange = exchangeFromParams(request, response);
    const passkeys = this.passkeys;
    const [{ name }, { currentPassword }] = (await routeCall(exchange).body()).dtos as [PasskeyRenameDto, CurrentPasswordDto];
    await this.confirmAccountHolder(user, currentPassword, await this.principal(exchange), exchange);
    const renamed = await passkeys.store.rename(user.id, id, name);
    if (!renamed) throw new NotFoundError('No passkey of yours has this id.');
    return this.serializePasskey(renamed);
  }

  /** `DELETE /:id` (authenticated) `{currentPassword?}` — 204; 404 `NOT_FOUND` for an id that is not one of the user's. */
  @LibraryRoute({
    sessionOnly: true,
    body: { accepts: 'json', required: false, dtos: () => [CurrentPasswordDto] },
    rateLimit: { action: 'login' },
    errors: () => [...ACCOUNT_HOLDER, [404, [ErrorCode.NOT_FOUND]]],
    docs: () => ({ summary: 'Delete a passkey', description: ACCOUNT_HOLDER_WORDS, responses: { '204': { description: 'Deleted: it signs in no more.' } } }),
  })
  @Authorized()
  @Delete('/:id')
  async remove(@CurrentUser({ required: true }) user: U, @Param('id') id: string, @Req() request: any, @Res() response: any): Promise<null> {
    const exchange = exchangeFromParams(request, response);
    const passkeys = this.passkeys;
    const [{ currentPassword }] = (await routeCall(exchange).body()).dtos as [CurrentPasswordDto];
    await this.confirmAccountHolder(user, currentPassword, await this.principal(exchange), exchange);
    if (!(await passkeys.store.remove(user.id, id))) throw new NotFoundError('No passkey of yours has this id.');
    passkeys.removed(user.id, id, exchange.ip);
    return null;
  }

  /**
   * `POST /login/options` — 200 `PublicKeyCredentialRequestOptionsJSON` for a passwordless sign-in:
   * no username, empty `allowCredentials`, user verification required. Counts in the client's
   * `passkeyLogin` budget.
   */
  @LibraryRoute({
    rateLimit: { action: 'passkeyLogin' },
    errors: () => [[503, [ErrorCode.AUTH_BACKEND_UNAVAILABLE]]],
    docs: () => ({
      summary: 'Start signing in with a passkey',
      description: 'Options for `navigator.credentials.get()` with discoverable credentials: no username needed.',
      responses: { '200': REQUEST_OPTIONS },
    }),
  })
  @Post('/login/options')
  async loginOptions(@Req() request: any, @Res() response: any): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const exchange = exchangeFromParams(request, response);
    const passkeys = this.passkeys;
    await routeCall(exchange).countAttempt();
    return passkeys.loginOptions();
  }

  /**
   * `POST /login` `{response}` — the backend's login answer (as its `POST /login`), the sign-in's
   * `amr` `['hwk' | 'swk', 'mfa']`. 400 `PASSKEY_INVALID` for any response that does not verify
   * (and for an inactive user); 400 `LOGIN_USER_NOT_VERIFIED` with `requireVerification`.
   */
  @LibraryRoute({
    body: { accepts: 'json', dtos: () => [PasskeyAssertionDto] },
    rateLimit: { action: 'passkeyLogin' },
    errors: (context) => [
      [400, [ErrorCode.PASSKEY_INVALID, ErrorCode.LOGIN_USER_NOT_VERIFIED]],
      ...issuingCsrf(context),
      [503, [ErrorCode.AUTH_BACKEND_UNAVAILABLE]],
    ],
    docs: (context) => ({
      summary: 'Sign in with a passkey',
      description:
        "The `AuthenticationResponseJSON` of `navigator.credentials.get()` for options from `POST /login/options` (within 5 minutes, once). Answers like the backend's `POST /login`; the sign-in counts as two factors (`amr` includes `mfa`): user verification is required.",
      responses: loginAnswers(context),
    }),
  })
  @Post('/login')
  async login(@Req() request: any, @Res() response: any): Promise<LoginResponseBody> {
    const auth = this.auth;
    const backend = this.backend;
    const passkeys = this.passkeys;
    const exchange = exchangeFromParams(request, response);
    checkIssuingRequest(backend.transport, exchange);
    const call = routeCall(exchange);
    await call.countAttempt();
    const [dto] = (await call.body()).dtos as [PasskeyAssertionDto];
    const verified = await passkeys.verifyAssertion(dto.response, { purpose: 'login', ip: exchange.ip });
    const user = await auth.context.failures.storeCall(() => auth.userStore.findById(verified.passkey.userId));
    // An inactive (or deleted) user is refused like a passkey that does not verify: the answer tells nothing of the account.
    if (!user || !user.isActive) throw passkeys.refuseInactiveUser(verified.passkey.userId, exchange.ip);
    if (auth.requireVerification && !user.isVerified) throw new UserNotVerifiedError();
    const scopes = grantScopes(await auth.userManager.getScopes(user), undefined);
    return logUserIn(auth, backend, user, exchange, scopes, { amr: passwordlessAmr(verified.keyAmr) });
  }

  /** The answer for a passkey; override to shape it. */
  protected serializePasskey(passkey: Passkey): PasskeyView {
    const { id, name, deviceType, backedUp, transports, aaguid, createdAt, lastUsedAt } = passkey;
    return { id, name, deviceType, backedUp, transports, aaguid, createdAt, lastUsedAt };
  }

  /**
   * A stolen access token alone must not add or remove a way into the account: the current
   * password, or a recent sign-in (`confirmAccountHolder`).
   */
  protected async confirmAccountHolder(user: U, currentPassword: string | undefined, principal: Principal<U>, exchange: HttpExchange): Promise<void> {
    await confirmAccountHolder(this.auth, { ...principal, user }, exchange, currentPassword);
  }

  private async principal(exchange: HttpExchange): Promise<Principal<U>> {
    const principal = await this.auth.principalFor(exchange);
    if (!principal) throw this.auth.unauthenticatedError(undefined, { bearerRejected: false });
    return principal;
  }
}
