import { MAX_PASSWORD_LENGTH } from '../users/password-policy';
import type { JsonObject } from './document-types';

/** Schemas of the library's own answers, added to `components.schemas` under these names. */
export const PUBLIC_USER_SCHEMA = 'AuthUser';
export const LOGIN_TOKEN_SCHEMA = 'AuthLoginToken';
export const ACCEPTED_SCHEMA = 'AuthAccepted';
export const REFRESHED_LOGIN_TOKEN_SCHEMA = 'AuthLoginTokenWithRefresh';
export const SESSION_SCHEMA = 'AuthSession';
export const MFA_REQUIRED_SCHEMA = 'AuthMfaRequired';
export const MFA_ENROLMENT_REQUIRED_SCHEMA = 'AuthMfaEnrolmentRequired';
export const TOTP_ENROLMENT_SCHEMA = 'AuthTotpEnrolment';
export const RECOVERY_CODES_SCHEMA = 'AuthRecoveryCodes';
export const PASSKEY_SCHEMA = 'AuthPasskey';
export const API_KEY_SCHEMA = 'ApiKey';
export const CREATED_API_KEY_SCHEMA = 'CreatedApiKey';

const API_KEY_PROPERTIES: Record<string, JsonObject> = {
  id: { type: 'string', format: 'uuid' },
  userId: { type: 'string', description: 'The owner.' },
  name: { type: 'string' },
  start: { type: 'string', description: 'The prefix and first characters of the key, to tell keys apart (e.g. `rca_Ab3x`).' },
  scopes: { type: 'array', items: { type: 'string' }, description: 'What the key may use; on each request only those its owner still has.' },
  allowedIps: { type: 'array', items: { type: 'string' }, nullable: true, description: 'CIDR ranges it may be used from; null: anywhere.' },
  createdAt: { type: 'string', format: 'date-time' },
  expiresAt: { type: 'string', format: 'date-time', nullable: true },
  lastUsedAt: { type: 'string', format: 'date-time', nullable: true, description: 'Written at most once a minute.' },
};
const API_KEY_REQUIRED = ['id', 'userId', 'name', 'start', 'scopes', 'allowedIps', 'createdAt', 'expiresAt', 'lastUsedAt'];

export const LIBRARY_SCHEMAS: Record<string, JsonObject> = {
  [PUBLIC_USER_SCHEMA]: {
    type: 'object',
    description: 'A user as the library answers it: every column but the password hash (an app may add its own).',
    required: ['id', 'email', 'isActive', 'isSuperuser', 'isVerified', 'scopes'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      email: { type: 'string', format: 'email' },
      isActive: { type: 'boolean' },
      isSuperuser: { type: 'boolean' },
      isVerified: { type: 'boolean' },
      scopes: { type: 'array', items: { type: 'string' } },
    },
    additionalProperties: true,
  },
  [LOGIN_TOKEN_SCHEMA]: {
    type: 'object',
    required: ['access_token', 'token_type'],
    properties: {
      access_token: { type: 'string' },
      token_type: { type: 'string', enum: ['bearer'] },
    },
  },
  [REFRESHED_LOGIN_TOKEN_SCHEMA]: {
    type: 'object',
    description: 'A login of a backend with refresh tokens: the access token, its lifetime and a single-use refresh token.',
    required: ['access_token', 'token_type', 'expires_in', 'refresh_token'],
    properties: {
      access_token: { type: 'string' },
      token_type: { type: 'string', enum: ['bearer'] },
      expires_in: { type: 'integer', nullable: true, description: 'Seconds the access token lives.' },
      refresh_token: { type: 'string', description: 'Single-use: POST /refresh answers with the next one.' },
    },
  },
  [SESSION_SCHEMA]: {
    type: 'object',
    description: 'One login of the user (a session with refresh tokens).',
    required: ['id', 'backend', 'createdAt', 'lastUsedAt', 'expiresAt', 'userAgent', 'ip', 'current'],
    properties: {
      id: { type: 'string' },
      backend: { type: 'string' },
      createdAt: { type: 'string', format: 'date-time' },
      lastUsedAt: { type: 'string', format: 'date-time' },
      expiresAt: { type: 'string', format: 'date-time' },
      userAgent: { type: 'string', nullable: true },
      ip: { type: 'string', nullable: true },
      current: { type: 'boolean', description: 'The session of the request itself.' },
    },
  },
  [MFA_REQUIRED_SCHEMA]: {
    type: 'object',
    description: 'The first step of a login passed; the user has a second factor. Nothing was issued: POST /2fa/verify finishes the login.',
    required: ['mfa_required', 'mfa_token', 'methods'],
    properties: {
      mfa_required: { type: 'boolean', enum: [true] },
      mfa_token: { type: 'string', description: 'Single use, 5 minutes, bound to this user and backend.' },
      methods: { type: 'array', items: { type: 'string' }, description: 'The methods the user has, e.g. `totp`, `recovery_code`.' },
    },
    additionalProperties: { description: 'A method that needs a challenge first (e.g. `webauthn`): its options, under its name.' },
  },
  [MFA_ENROLMENT_REQUIRED_SCHEMA]: {
    type: 'object',
    description: 'The first step passed, but this account must enrol a second factor first: the token reaches only POST /2fa/totp and /2fa/totp/confirm.',
    required: ['mfa_enrolment_required', 'mfa_token'],
    properties: {
      mfa_enrolment_required: { type: 'boolean', enum: [true] },
      mfa_token: { type: 'string', description: 'Single use, 5 minutes; give it as `mfa_token` in the enrolment bodies.' },
    },
  },
  [TOTP_ENROLMENT_SCHEMA]: {
    type: 'object',
    description: 'A new TOTP secret, pending until POST /2fa/totp/confirm.',
    required: ['secret', 'otpauthUrl', 'qrSvg'],
    properties: {
      secret: { type: 'string', description: 'Base32, for typing into an authenticator app.' },
      otpauthUrl: { type: 'string', description: 'The otpauth://totp/ URI.' },
      qrSvg: { type: 'string', description: 'The URI as a QR code (an SVG document).' },
    },
  },
  [RECOVERY_CODES_SCHEMA]: {
    type: 'object',
    description: 'Single-use recovery codes, shown this once (only their digests are kept).',
    required: ['recovery_codes'],
    properties: { recovery_codes: { type: 'array', items: { type: 'string' }, minItems: 10, maxItems: 10 } },
  },
  [PASSKEY_SCHEMA]: {
    type: 'object',
    description: "One of the user's passkeys (no key material).",
    required: ['id', 'name', 'deviceType', 'backedUp', 'transports', 'createdAt', 'lastUsedAt'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      name: { type: 'string' },
      deviceType: { type: 'string', enum: ['singleDevice', 'multiDevice'], description: '`multiDevice`: the passkey may be synced to other devices.' },
      backedUp: { type: 'boolean', description: 'The authenticator reported it backed up (synced) at the last use.' },
      transports: { type: 'array', items: { type: 'string' }, nullable: true },
      aaguid: { type: 'string', nullable: true, description: "The authenticator model's AAGUID." },
      createdAt: { type: 'string', format: 'date-time' },
      lastUsedAt: { type: 'string', format: 'date-time', nullable: true },
    },
  },
  [API_KEY_SCHEMA]: {
    type: 'object',
    description: 'An API key as its owner sees it: never the key itself.',
    required: API_KEY_REQUIRED,
    properties: API_KEY_PROPERTIES,
  },
  [CREATED_API_KEY_SCHEMA]: {
    type: 'object',
    description: 'A key just made, with the key itself: shown this once, it is never stored.',
    required: [...API_KEY_REQUIRED, 'key'],
    properties: { ...API_KEY_PROPERTIES, key: { type: 'string', description: 'The API key. Store it now: it cannot be shown again.' } },
  },
  [ACCEPTED_SCHEMA]: {
    type: 'object',
    required: ['message'],
    properties: { message: { type: 'string' } },
  },
};

/** The OAuth2 password grant's fields (RFC 6749 §4.3.2), as a form or as JSON. */
export function loginForm(): JsonObject {
  return {
    type: 'object',
    required: ['username', 'password'],
    properties: {
      grant_type: { type: 'string', enum: ['password'], description: 'Optional; OAuth2 clients send `password`.' },
      username: { type: 'string', minLength: 1, maxLength: 320, description: 'The email.' },
      password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH * 2, format: 'password' },
      scope: { type: 'string', maxLength: 2048, description: "Space-separated scopes to ask for; default all the user's scopes." },
    },
  };
}

/** The OAuth2 refresh grant's fields (RFC 6749 §6), as a form or as JSON. */
export function refreshForm(): JsonObject {
  return {
    type: 'object',
    properties: {
      grant_type: { type: 'string', enum: ['refresh_token'] },
      refresh_token: { type: 'string', maxLength: 4096, description: 'Omit it to use the refresh cookie (cookie backends).' },
      scope: { type: 'string', maxLength: 2048, description: "A subset of the session's scopes." },
    },
  };
}
