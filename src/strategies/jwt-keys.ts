import { createPrivateKey, createPublicKey, createSecretKey, KeyObject } from 'crypto';
import { AuthConfigurationError } from '../errors';
import { assertStrongSecret, SECRET_HINT } from '../security/secret-strength';

export const SYMMETRIC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
export type JwtAlgorithm = (typeof SYMMETRIC_ALGORITHMS)[number] | (typeof ASYMMETRIC_ALGORITHMS)[number];

/** A PEM/DER key, a KeyObject, or a passphrase-protected private key. */
export type KeyInput = string | Buffer | KeyObject;
export type PrivateKeyInput = KeyInput | { privateKey: KeyInput; passphrase?: string };

/** HS secrets shorter than the hash output are brute-forceable offline from any issued token. */
export const MIN_HS_SECRET_BYTES = 32;

const EC_CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

export interface JwtKeys {
  /** Absent for a verify-only strategy. */
  signingKey?: KeyObject;
  verifyKey: KeyObject;
}

export function isSymmetric(algorithm: JwtAlgorithm): boolean {
  return algorithm.startsWith('HS');
}

/**
 * Turns configuration into KeyObjects once (jsonwebtoken verifies ~3× faster with a KeyObject
 * than with a string secret) and refuses a key that does not fit its algorithm, so algorithm
 * confusion cannot be configured in.
 */
export function resolveJwtKeys(algorithm: JwtAlgorithm, secret?: PrivateKeyInput, publicKey?: KeyInput): JwtKeys {
  if (![...SYMMETRIC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS].includes(algorithm)) {
    throw new AuthConfigurationError(`JwtStrategy: unsupported algorithm "${algorithm}".`);
  }
  if (isSymmetric(algorithm)) {
    if (secret === undefined) throw new AuthConfigurationError(`JwtStrategy: ${algorithm} needs a secret.`);
    const key = toSecretKey(secret);
    if ((key.symmetricKeySize ?? 0) < MIN_HS_SECRET_BYTES) {
      throw new AuthConfigurationError(`JwtStrategy: the ${algorithm} secret is ${key.symmetricKeySize} bytes; ${SECRET_HINT}.`);
    }
    // A string is often typed by hand: its length says nothing of its randomness (bytes and keys are taken as made).
    if (typeof secret === 'string') assertStrongSecret(secret, `JwtStrategy: the ${algorithm} secret`);
    return { signingKey: key, verifyKey: key };
  }
  let signingKey: KeyObject | undefined;
  if (secret !== undefined) {
    signingKey = toPrivateKey(secret);
    checkKeyFits(algorithm, signingKey);
  }
  const verifyKey = publicKey !== undefined ? toPublicKey(publicKey) : signingKey ? createPublicKey(signingKey) : undefined;
  if (!verifyKey) throw new AuthConfigurationError(`JwtStrategy: ${algorithm} needs a private key (secret) or a publicKey.`);
  checkKeyFits(algorithm, verifyKey);
  return { signingKey, verifyKey };
}

function toSecretKey(secret: PrivateKeyInput): KeyObject {
  if (secret instanceof KeyObject) {
    if (secret.type !== 'secret') throw new AuthConfigurationError('JwtStrategy: an HS algorithm needs a secret key, not an asymmetric one.');
    return secret;
  }
  if (typeof secret === 'string' || Buffer.isBuffer(secret)) {
    if (typeof secret === 'string' && secret.includes('-----BEGIN')) {
      throw new AuthConfigurationError('JwtStrategy: a PEM key was given with an HS algorithm; set algorithm to RS*/PS*/ES*.');
    }
    return createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
  }
  throw new AuthConfigurationError('JwtStrategy: an HS algorithm needs a string or Buffer secret.');
}

function toPrivateKey(secret: PrivateKeyInput): KeyObject {
  try {
    if (secret instanceof KeyObject) {
      if (secret.type !== 'private') throw new Error('not a private key');
      return secret;
    }
    if (typeof secret === 'string' || Buffer.isBuffer(secret)) return createPrivateKey(secret);
    if (secret.privateKey instanceof KeyObject) return secret.privateKey;
    return createPrivateKey({ key: secret.privateKey, passphrase: secret.passphrase });
  } catch (error: any) {
    throw new AuthConfigurationError(`JwtStrategy: the private key could not be read (${error?.message ?? error}).`);
  }
}

function toPublicKey(key: KeyInput): KeyObject {
  try {
    if (key instanceof KeyObject) return key.type === 'private' ? createPublicKey(key) : key;
    return createPublicKey(key);
  } catch (error: any) {
    throw new AuthConfigurationError(`JwtStrategy: the public key could not be read (${error?.message ?? error}).`);
  }
}

function checkKeyFits(algorithm: JwtAlgorithm, key: KeyObject): void {
  const type = key.asymmetricKeyType;
  const family = algorithm.slice(0, 2);
  const fits =
    (family === 'RS' && type === 'rsa') ||
    (family === 'PS' && (type === 'rsa' || type === 'rsa-pss')) ||
    (family === 'ES' && type === 'ec' && key.asymmetricKeyDetails?.namedCurve === EC_CURVES[algorithm]);
  if (!fits) {
    throw new AuthConfigurationError(`JwtStrategy: a ${type ?? key.type} key does not fit ${algorithm}.`);
  }
  if (type === 'rsa-pss') {
    // An RSA-PSS key is bound to its hash: it must be the algorithm's (jsonwebtoken refuses it otherwise, at signing).
    const bits = algorithm.slice(2);
    const { hashAlgorithm, mgf1HashAlgorithm } = key.asymmetricKeyDetails ?? {};
    if (hashAlgorithm !== `sha${bits}` || mgf1HashAlgorithm !== `sha${bits}`) {
      throw new AuthConfigurationError(`JwtStrategy: this RSA-PSS key is not restricted to sha${bits}, so it cannot sign ${algorithm}; use a plain RSA key.`);
    }
  }
}
