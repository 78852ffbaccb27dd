/**
 * The two-factor routes in the OpenAPI document: every route with its body and codes, the login
 * routes with their `mfa_required` answer, and a document that validates.
 */
import { expect } from 'chai';
import { randomUUID } from 'crypto';
import { Authorized, Get, JsonController } from 'routing-controllers';
import request from 'supertest';
import { AuthController, type OpenApiDocument } from '../../src';
import { buildApp, createUser, type TestApp } from '../support/app';
import { bearerToken } from '../support/http';
import { twoFactorRoutes } from '../support/two-factor';

@JsonController('/strong')
class Strong {
  @Authorized({ factors: 2 })
  @Get('/')
  strong() {
    return { ok: true };
  }
}

function codes(operation: any, status: number): string[] {
  return operation.responses[String(status)].content['application/json'].schema.allOf[1].properties.code.enum;
}

describe('two-factor routes in the OpenAPI document', function () {
  this.timeout(30_000);
  let t: TestApp;
  let document: OpenApiDocument;

  before(async () => {
    t = await buildApp({
      twoFactor: { issuer: 'RCA Test' },
      rateLimits: {},
      extraControllers: (auth) => [twoFactorRoutes(auth), Strong],
    });
    const auth = t.auth;
    @JsonController('/auth/jwt')
    class JwtLogin extends AuthController {
      constructor() {
        super('jwt', auth);
      }
    }
    @JsonController('/auth/cookie')
    class CookieLogin extends AuthController {
      constructor() {
        super('cookie', auth);
      }
    }
    document = t.auth.openApi({ controllers: [JwtLogin, CookieLogin, twoFactorRoutes(t.auth), Strong] });
  });
  after(() => t?.close());

  it('validates against the OpenAPI 3 schema', async () => {
    const { Validator } = require('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(document);
    expect(result.valid, JSON.stringify(result.errors)).to.equal(true);
  });

  it('lists every route with its codes', () => {
    const paths = document.paths as any;
    const verify = paths['/auth/2fa/verify'].post;
    expect(codes(verify, 400)).to.include.members(['MFA_TOKEN_INVALID', 'MFA_CODE_INVALID', 'MFA_NOT_ENROLLED', 'VALIDATION_ERROR']);
    expect(codes(verify, 429)).to.deep.equal(['TOO_MANY_REQUESTS']);
    expect(verify.requestBody.content['application/json'].schema.required).to.deep.equal(['mfa_token']);
    expect(Object.keys(verify.responses)).to.include.members(['200', '204']);

    const enrol = paths['/auth/2fa/totp'].post;
    expect(enrol.responses['200'].content['application/json'].schema.$ref).to.equal('#/components/schemas/AuthTotpEnrolment');
    expect(codes(enrol, 400)).to.include.members(['MFA_TOKEN_INVALID', 'CURRENT_PASSWORD_INVALID']);
    expect(codes(enrol, 401)).to.include.members(['UNAUTHORIZED', 'REAUTHENTICATION_REQUIRED']);

    const confirm = paths['/auth/2fa/totp/confirm'].post;
    expect(codes(confirm, 400)).to.include.members(['MFA_CODE_INVALID', 'MFA_NOT_ENROLLED', 'MFA_TOKEN_INVALID']);
    expect(codes(confirm, 429)).to.deep.equal(['TOO_MANY_REQUESTS']);

    const disable = paths['/auth/2fa/totp'].delete;
    expect(disable.responses['204']).to.be.an('object');
    expect(codes(disable, 400)).to.include.members(['MFA_NOT_ENROLLED', 'CURRENT_PASSWORD_INVALID']);
    const regenerate = paths['/auth/2fa/recovery-codes'].post;
    expect(regenerate.responses['200'].content['application/json'].schema.$ref).to.equal('#/components/schemas/AuthRecoveryCodes');
    expect(paths['/auth/2fa'].get.responses['200']).to.be.an('object');
  });

  it('the login routes say they may answer mfa_required; a factors: 2 route answers REAUTHENTICATION_REQUIRED', () => {
    const paths = document.paths as any;
    const bearer = paths['/auth/jwt/login'].post.responses['200'].content['application/json'].schema.oneOf.map((s: any) => s.$ref);
    expect(bearer).to.deep.equal([
      '#/components/schemas/AuthLoginToken',
      '#/components/schemas/AuthMfaRequired',
      '#/components/schemas/AuthMfaEnrolmentRequired',
    ]);
    const cookie = paths['/auth/cookie/login'].post.responses;
    expect(cookie['204']).to.be.an('object');
    expect(cookie['200'].content['application/json'].schema.oneOf.map((s: any) => s.$ref)).to.deep.equal([
      '#/components/schemas/AuthMfaRequired',
      '#/components/schemas/AuthMfaEnrolmentRequired',
    ]);
    expect(document.components!.schemas).to.include.keys(['AuthMfaRequired', 'AuthMfaEnrolmentRequired', 'AuthTotpEnrolment', 'AuthRecoveryCodes']);
    expect(codes((document.paths as any)['/strong/'].get, 401)).to.include('REAUTHENTICATION_REQUIRED');
    expect((document.paths as any)['/strong/'].get['x-factors']).to.equal(2);
  });

  it('what the routes answer is what they declare (the undeclared-answers recorder fails the run otherwise)', async () => {
    const email = `oa-${randomUUID()}@example.com`;
    await createUser(t.auth, { email });
    const token = await bearerToken(t.app, 'jwt', email);
    expect((await request(t.app).post('/auth/2fa/totp/confirm').set('Authorization', `Bearer ${token}`).send({ code: '123456' })).body.code).to.equal(
      'MFA_NOT_ENROLLED',
    );
    expect(
      (
        await request(t.app)
          .post('/auth/2fa/verify')
          .send({ mfa_token: 'A'.repeat(43), code: '123456' })
      ).body.code,
    ).to.equal('MFA_TOKEN_INVALID');
    expect((await request(t.app).delete('/auth/2fa/totp').set('Authorization', `Bearer ${token}`).send({})).body.code).to.equal('MFA_NOT_ENROLLED');
  });
});
