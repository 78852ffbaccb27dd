import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A WebAuthn authenticator in software, for HTTP tests that need real registrations and
 * assertions without a browser: P-256 keys from node:crypto, CBOR from the library's own encoder
 * (@simplewebauthn/server/helpers). Each call can be made wrong on purpose (origin, RP ID, user
 * verification, counter, challenge, type), as an attacker or a broken client would.
 */
export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  userHandle: string;
  rpId: string;
  counter: number;
}

export interface CeremonyOverrides {
  origin?: string;
  rpId?: string;
  /** User verified (UV flag). Default true. */
  userVerified?: boolean;
  /** The sign counter to report; default the credential's next one. */
  counter?: number;
  challenge?: string;
  type?: string;
  /** Sign with another credential's key than the one named (a forged signature). */
  signWith?: SoftCredential;
  /** Backup-eligible (BE) and backed up (BS) flags: a synced passkey. */
  synced?: boolean;
  /** The new credential's id (default: 32 random bytes). */
  credentialId?: Buffer;
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

function flags(overrides: CeremonyOverrides, attested: boolean): number {
  let value = FLAG_UP;
  if (overrides.userVerified ?? true) value |= FLAG_UV;
  if (overrides.synced) value |= FLAG_BE | FLAG_BS;
  if (attested) value |= FLAG_AT;
  return value;
}

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter);
  return bytes;
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(readonly origin: string) {}

  /** `navigator.credentials.create()` for these options. */
  create(
    options: PublicKeyCredentialCreationOptionsJSON,
    overrides: CeremonyOverrides = {},
  ): { response: RegistrationResponseJSON; credential: SoftCredential } {
    const rpId = overrides.rpId ?? options.rp.id ?? new URL(this.origin).hostname;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const id = overrides.credentialId ?? randomBytes(32);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const counter = overrides.counter ?? 0;
    const authData = Buffer.concat([sha256(rpId), Buffer.from([flags(overrides, true)]), counterBytes(counter), Buffer.alloc(16), idLength, id, cose]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]) as any,
    );
    const clientData = {
      type: overrides.type ?? 'webauthn.create',
      challenge: overrides.challenge ?? options.challenge,
      origin: overrides.origin ?? this.origin,
      crossOrigin: false,
    };
    const credential: SoftCredential = { id, privateKey, userHandle: options.user.id, rpId, counter };
    this.credentials.push(credential);
    const response: RegistrationResponseJSON = {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      response: { clientDataJSON: b64url(Buffer.from(JSON.stringify(clientData))), attestationObject: b64url(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
    return { response, credential };
  }

  /** `navigator.credentials.get()` for these options, with `credential` (default: the last one made). */
  get(
    options: PublicKeyCredentialRequestOptionsJSON,
    credential = this.credentials[this.credentials.length - 1],
    overrides: CeremonyOverrides = {},
  ): AuthenticationResponseJSON {
    const rpId = overrides.rpId ?? credential.rpId;
    const counter = overrides.counter ?? credential.counter + 1;
    if (overrides.counter === undefined) credential.counter = counter;
    const authData = Buffer.concat([sha256(rpId), Buffer.from([flags(overrides, false)]), counterBytes(counter)]);
    const clientData = Buffer.from(
      JSON.stringify({
        type: overrides.type ?? 'webauthn.get',
        challenge: overrides.challenge ?? options.challenge,
        origin: overrides.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), (overrides.signWith ?? credential).privateKey);
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      response: { clientDataJSON: b64url(clientData), authenticatorData: b64url(authData), signature: b64url(signature), userHandle: credential.userHandle },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
