/** routing-controllers-auth: the public API. Everything a user imports comes from here. */
import { enableRouteInheritance } from './routing/route-inheritance';

// Inherited routes keep their decorators as soon as the library is loaded (routing-controllers#1538).
enableRouteInheritance();

export { Auth, type AuthOptions } from './auth';
export { AuthenticationBackend, type AuthenticationBackendOptions } from './backend';
export type { Principal } from './authenticator';

export type { Transport, LoginResponseBody } from './transports/transport';
export { BearerTransport, type BearerTransportOptions } from './transports/bearer';
export { CookieTransport, type CookieTransportOptions } from './transports/cookie';

export type { Strategy, StrategyContext, TokenGrant, TokenRequest } from './strategies/strategy';
export { JwtStrategy, DEFAULT_JWT_AUDIENCE, type JwtStrategyOptions } from './strategies/jwt';
export type { JwtAlgorithm, KeyInput, PrivateKeyInput } from './strategies/jwt-keys';
export { DatabaseStrategy, type DatabaseStrategyOptions } from './strategies/database';

export { BaseUser } from './entities/base-user';
export { AccessToken } from './entities/access-token';

export { UserManager, PROTECTED_USER_FIELDS, type UserManagerContext, type UserCreate, type UserUpdate, type OperationOptions } from './users/user-manager';
export { type UserStore, TypeOrmUserStore } from './users/user-store';
export { type PasswordHasher, Argon2PasswordHasher } from './users/password';
export { checkPasswordPolicy, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH } from './users/password-policy';
export { SUPERUSER_SCOPE } from './users/scopes';

export { AuthController } from './controllers/auth.controller';

export { AuthErrorHandler } from './routing/error-handler';
export { enableRouteInheritance } from './routing/route-inheritance';

export {
  ErrorCode,
  AuthHttpError,
  UnauthorizedError,
  InsufficientScopeError,
  CsrfError,
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  BackendUnavailableError,
  InvalidPasswordError,
  UserAlreadyExistsError,
  AuthConfigurationError,
} from './errors';
