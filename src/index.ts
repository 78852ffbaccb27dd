/** routing-controllers-auth: the public API. Everything a user imports comes from here. */
import { installRoutingPatches } from './routing/patches';

// As soon as the library is loaded (see patches.ts for what and why).
installRoutingPatches();

export { Auth, type AuthOptions, type ReadyOptions } from './auth';
export type { AuthContext, UsersSection, TokensSection, BackendsSection, StepUpSection, RequestsSection } from './context/auth-context';
export type { AppFailures } from './context/app-failures';
export type { PluginContext, Pluggable } from './lifecycle';
export type { OpenApiOptions } from './openapi/build-document';
export type { OpenApiDocument } from './openapi/document-types';
export { SWAGGER_UI_CSP, type SwaggerUiOptions } from './openapi/swagger-ui';
export {
  AuthenticationBackend,
  DEFAULT_REFRESH_LIFETIME_SECONDS,
  type AuthenticationBackendOptions,
  type RefreshOptions,
  type RefreshSettings,
} from './backend';
export type { Principal } from './authenticator';

export type { Transport, LoginResponseBody, RefreshHandout, ChallengeParams } from './transports/transport';
export { BearerTransport, type BearerTransportOptions } from './transports/bearer';
export { CookieTransport, type CookieTransportOptions } from './transports/cookie';
export { ApiKeyTransport, type ApiKeyTransportOptions } from './transports/api-key';

export type {
  Strategy,
  StrategyContext,
  TokenGrant,
  TokenRejection,
  TokenRequest,
  GrantWithUser,
  TokenAndUserReader,
  TokenReadRequest,
  RejectionAnswer,
} from './strategies/strategy';
export {
  AuthEvents,
  type AuthEvent,
  type AuthEventType,
  type TokenRejectionReason,
  type OAuthUnlinkReason,
  type PasskeyRejectionReason,
} from './security/events';
export { JwtStrategy, DEFAULT_JWT_AUDIENCE, type JwtStrategyOptions, type JwtVerificationKey } from './strategies/jwt';
export { type JwkSet, type PublicJwk } from './strategies/jwk';
export { DEFAULT_JWKS_MAX_AGE_SECONDS, DEFAULT_JWKS_PATH, type JwksOptions } from './jwks/jwks-controller';
export type { RevocationStore, IssuedToken } from './strategies/revocation/revocation-store';
export { DatabaseRevocationStore } from './strategies/revocation/database';
export { RedisRevocationStore, type RedisRevocationStoreOptions, type RedisRevocationClient } from './strategies/revocation/redis';
export type { JwtAlgorithm, KeyInput, PrivateKeyInput } from './strategies/jwt-keys';
export { DatabaseStrategy, type DatabaseStrategyOptions } from './strategies/database';
export { RedisStrategy, DEFAULT_REDIS_KEY_PREFIX, type RedisStrategyOptions, type RedisClientLike, type RedisMultiLike } from './strategies/redis';
export type { RedisCommands, RedisMulti } from './redis/commands';
export { ApiKeyStrategy, type ApiKeyStrategyOptions, type ApiKeyRateLimit, type NewApiKeyRequest, type CreatedApiKey } from './strategies/api-key';
export type { ApiKeyStore, ApiKeyInfo, StoredApiKey, ApiKeyWithOwner } from './api-keys/api-key-store';
export { TypeOrmApiKeyStore } from './api-keys/typeorm-api-key-store';
export { RedisApiKeyStore, type RedisApiKeyStoreOptions, type ApiKeyRedisClient } from './api-keys/redis-api-key-store';
export { DEFAULT_API_KEY_PREFIX } from './api-keys/key-format';

export { BaseUser } from './entities/base-user';
export { AccessToken } from './entities/access-token';
export { JwtRevocation } from './entities/jwt-revocation';
export { AuthSession } from './entities/auth-session';
export { RefreshToken } from './entities/refresh-token';
export { ApiKey } from './entities/api-key';

export type { SessionStore, SessionInfo, SessionState, NewSession } from './sessions/session-store';
export { TypeOrmSessionStore } from './sessions/typeorm-session-store';
export { RedisSessionStore, DEFAULT_REDIS_SESSION_PREFIX, type RedisSessionStoreOptions, type RedisSessionClient } from './sessions/redis-session-store';
export { Sessions } from './sessions/sessions';
export { logUserIn, type LogInOptions } from './flows/log-in';
export { logInAfterFirstFactor, finishSecondFactorLogin, type MfaRequiredAnswer, type MfaEnrolmentRequiredAnswer } from './flows/second-factor-login';
export { confirmAccountHolder, type ConfirmAccountHolderOptions } from './flows/confirm-account-holder';

export type { SecondFactorMethod } from './two-factor/second-factor';
export type { TwoFactorOptions } from './two-factor/two-factor-options';
export type { TwoFactorSection } from './two-factor/two-factor-section';
export { PENDING_LOGIN_LIFETIME_SECONDS } from './two-factor/two-factor-section';
export { TwoFactorController } from './two-factor/two-factor.controller';
export { TwoFactorSecret } from './entities/two-factor-secret';
export { RecoveryCode } from './entities/recovery-code';
export { RECOVERY_CODE_COUNT } from './two-factor/recovery-codes';
export type { TotpEnrolment } from './two-factor/totp-authenticators';
export {
  type PendingLogin,
  type PendingLoginStore,
  MemoryPendingLoginStore,
  type MemoryPendingLoginStoreOptions,
  RedisPendingLoginStore,
  type RedisPendingLoginStoreOptions,
  type RedisPendingLoginClient,
} from './two-factor/pending-logins';
export { factorCount } from './security/factors';

export {
  UserManager,
  PROTECTED_USER_FIELDS,
  type UserManagerContext,
  type UserCreate,
  type UserUpdate,
  type UserChanges,
  type OperationOptions,
} from './users/user-manager';
export { type UserStore, type UserTable, TypeOrmUserStore } from './users/user-store';
export { type PasswordHasher, type Argon2HasherOptions, Argon2PasswordHasher } from './users/password';
export { checkPasswordPolicy, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH } from './users/password-policy';
export { SUPERUSER_SCOPE, grantScopes, parseScopeParameter } from './users/scopes';

export { AuthController } from './controllers/auth.controller';
export { RegisterController, REGISTER_ACCEPTED } from './controllers/register.controller';
export { VerifyController, REQUEST_VERIFY_ACCEPTED } from './controllers/verify.controller';
export { ResetPasswordController, FORGOT_PASSWORD_ACCEPTED } from './controllers/reset-password.controller';
export { UsersController } from './controllers/users.controller';
export { SessionsController, type SessionView } from './controllers/sessions.controller';
export { ApiKeysController, type ApiKeyView } from './controllers/api-keys.controller';
export { CreateApiKeyDto } from './controllers/api-key-dto';
export {
  UserCreateDto,
  UserUpdateDto,
  UserAdminFieldsDto,
  CurrentPasswordDto,
  EmailDto,
  TokenDto,
  ResetPasswordDto,
  type DtoClass,
} from './controllers/user-dto';
export type { AuthorizedOptions } from './security/access-requirement';
export { toPublicUser } from './controllers/public-user';
export { type HttpExchange, exchangeFromParams } from './http/request';

export { AuthErrorHandler } from './routing/error-handler';
export { RateLimits, DEFAULT_RATE_LIMITS, type RateLimitOptions, type RateLimitedAction, type ActionLimits, type Limit } from './security/rate-limits';
export { enableRouteInheritance } from './routing/route-inheritance';

export {
  ErrorCode,
  AuthHttpError,
  UnauthorizedError,
  InsufficientScopeError,
  CsrfError,
  ReauthenticationRequiredError,
  MoreFactorsRequiredError,
  MfaCodeInvalidError,
  MfaTokenInvalidError,
  MfaNotEnrolledError,
  CurrentPasswordInvalidError,
  SessionRequiredError,
  ApiKeyScopeNotAllowedError,
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  BackendUnavailableError,
  TooManyRequestsError,
  InvalidPasswordError,
  UserAlreadyExistsError,
  UserHookError,
  AuthConfigurationError,
  AuthDomainError,
  InvalidVerifyTokenError,
  UserAlreadyVerifiedError,
  InvalidResetTokenError,
  InternalAuthError,
  MisconfiguredError,
  OAuthProviderError,
  PasskeyInvalidError,
  UserNotVerifiedError,
} from './errors';
export { isStoreOutage, StoreUnreachableError } from './stores/outage';

export { OAuthController, type OAuthControllerOptions } from './oauth/oauth.controller';
export type { OAuthProvider, OAuthProfile, AuthorizationRequest, AuthorizationCallback } from './oauth/provider';
export { OpenIdProvider, type OpenIdProviderOptions } from './oauth/openid-provider';
export { GitHubProvider, type GitHubProviderOptions } from './oauth/github-provider';
export { OAuthAccount } from './entities/oauth-account';
export { type OAuthAccountStore, type OAuthAccountLink, TypeOrmOAuthAccountStore } from './oauth/account-store';
export type { OAuthAccountStores } from './oauth/account-stores';
export {
  type OAuthStateStore,
  type OAuthStateRecord,
  MemoryOAuthStateStore,
  type MemoryOAuthStateStoreOptions,
  RedisOAuthStateStore,
  type RedisOAuthStateStoreOptions,
  type RedisOAuthStateClient,
} from './oauth/state-store';
export { OAUTH_STATE_LIFETIME_SECONDS } from './oauth/flow';

export { Passkey } from './entities/passkey';
export { type PasskeyOptions, type PasskeySettings } from './passkeys/passkey-options';
export { Passkeys, type VerifiedAssertion, type AssertionExpectation } from './passkeys/passkeys';
export { type PasskeyStore, type NewPasskey, type PasskeyUse, TypeOrmPasskeyStore } from './passkeys/passkey-store';
export {
  type WebAuthnChallengeStore,
  type WebAuthnChallengeRecord,
  type WebAuthnChallengePurpose,
  MemoryWebAuthnChallengeStore,
  type MemoryWebAuthnChallengeStoreOptions,
  RedisWebAuthnChallengeStore,
  type RedisWebAuthnChallengeStoreOptions,
  type RedisWebAuthnChallengeClient,
  WEBAUTHN_CHALLENGE_LIFETIME_SECONDS,
} from './passkeys/challenge-store';
export { PasskeyController, type PasskeyView, passwordlessAmr } from './passkeys/passkey.controller';
export { PasskeyRegistrationDto, PasskeyAssertionDto, PasskeyRenameDto } from './passkeys/passkey-dto';
export { WebAuthnSecondFactor } from './passkeys/webauthn-second-factor';
