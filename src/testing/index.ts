/**
 * routing-controllers-auth/testing: what an app's tests use. Conformance suites for the pluggable
 * interfaces (run them with mocha against your own implementation), and helpers that make a user
 * and a signed-in client without paying a password hash per test. Not loaded by the main entry
 * point: mocha is needed only by apps that import this.
 */
export {
  describeConformanceCases,
  runConformanceCases,
  type ConformanceCase,
  type ConformanceFixture,
  type ConformanceResult,
  type TestRunner,
} from './conformance';
export { describeStrategyConformance, strategyConformanceCases, type StrategyFixture, type StrategyConformanceOptions } from './strategy-conformance';
export { describeSessionStoreConformance, sessionStoreConformanceCases, type SessionStoreFixture } from './session-store-conformance';
export { describeRevocationStoreConformance, revocationStoreConformanceCases, type RevocationStoreFixture } from './revocation-store-conformance';
export { describeApiKeyStoreConformance, apiKeyStoreConformanceCases, type ApiKeyStoreFixture } from './api-key-store-conformance';
export { describeOAuthStateStoreConformance, oauthStateStoreConformanceCases, type OAuthStateStoreFixture } from './oauth-state-store-conformance';
export { describePendingLoginStoreConformance, pendingLoginStoreConformanceCases, type PendingLoginStoreFixture } from './pending-login-store-conformance';
export { createTestUser, TEST_PASSWORD, type TestUserFields } from './test-users';
export { signedInHeaders, type SignedInHeadersOptions } from './signed-in-headers';
export {
  describeWebAuthnChallengeStoreConformance,
  webAuthnChallengeStoreConformanceCases,
  type WebAuthnChallengeStoreFixture,
} from './webauthn-challenge-store-conformance';
export { describePasskeyStoreConformance, passkeyStoreConformanceCases, type PasskeyStoreFixture } from './passkey-store-conformance';
