import { expect } from 'chai';
import * as OTPAuth from 'otpauth';
import { JsonController } from 'routing-controllers';
import request from 'supertest';
import { TwoFactorController, type Auth } from '../../src';
import type { User } from './app';

/** A code of the authenticator with this base32 secret, `steps` time steps from now (RFC 6238, 30 s). */
export function totpCode(secret: string, steps = 0): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + steps * 30_000 });
}

/** `TwoFactorController` mounted at `route`, bound to `auth`; `backend` restricts `/2fa/verify` to that backend's tokens. */
export function twoFactorRoutes(auth: Auth<User>, route = '/auth', backend?: string): Function {
  @JsonController(route)
  class TwoFactorRoutes extends TwoFactorController<User> {
    constructor() {
      super(backend, auth);
    }
  }
  return TwoFactorRoutes;
}

/** Enrols TOTP for the bearer `token`'s user (a recent sign-in) and answers the secret and recovery codes. */
export async function enrolTotp(app: any, token: string, route = '/auth'): Promise<{ secret: string; recoveryCodes: string[] }> {
  const begin = await request(app).post(`${route}/2fa/totp`).set('Authorization', `Bearer ${token}`).send({});
  expect(begin.status, JSON.stringify(begin.body)).to.equal(200);
  const secret = begin.body.secret as string;
  const confirm = await request(app)
    .post(`${route}/2fa/totp/confirm`)
    .set('Authorization', `Bearer ${token}`)
    // A code of the previous step: the current and the next one are left for the test's logins.
    .send({ code: totpCode(secret, -1) });
  expect(confirm.status, JSON.stringify(confirm.body)).to.equal(200);
  return { secret, recoveryCodes: confirm.body.recovery_codes };
}

/** The password step of a login through `/auth/<backend>/login`, expected to stop for a second factor: its `mfa_token`. */
export async function mfaToken(app: any, backend: string, email: string, password: string): Promise<string> {
  const res = await request(app).post(`/auth/${backend}/login`).type('form').send({ username: email, password });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  expect(res.body.mfa_required, JSON.stringify(res.body)).to.equal(true);
  return res.body.mfa_token;
}

/** The payload of a JWT (not verified: the tests read what the server wrote). */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}
