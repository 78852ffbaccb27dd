/**
 * The passkey routes in the OpenAPI document: every route, its body, its success answer and its
 * error codes, in a document that validates against the OpenAPI 3 schema.
 */
import { expect } from 'chai';
import { JsonController } from 'routing-controllers';
import { DataSource } from 'typeorm';
import { Auth, AuthenticationBackend, BearerTransport, CookieTransport, DatabaseStrategy, PasskeyController, type OpenApiDocument } from '../../src';
import { User } from '../support/app';

const SECRET = 'passkeys-openapi-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

function codes(operation: any, status: number): string[] {
  const schema = operation.responses[String(status)].content['application/json'].schema;
  return schema.allOf[1].properties.code.enum;
}

describe('passkeys in the OpenAPI document', () => {
  let document: OpenApiDocument;

  before(() => {
    const auth = new Auth<User>({
      dataSource: new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [User] }),
      userEntity: User,
      secret: SECRET,
      backends: [
        new AuthenticationBackend({
          name: 'jwt',
          transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
          strategy: new DatabaseStrategy({ lifetimeSeconds: 60 }),
        }),
        new AuthenticationBackend({ name: 'cookie', transport: new CookieTransport(), strategy: new DatabaseStrategy({ lifetimeSeconds: 60 }) }),
      ],
      passkeys: { rpID: 'example.com', rpName: 'Example', origins: ['https://example.com'] },
    });
    @JsonController('/oa-passkeys')
    class DocumentedPasskeys extends PasskeyController<User> {
      constructor() {
        super('cookie', auth);
      }
    }
    document = auth.openApi({ controllers: [DocumentedPasskeys], info: { title: 'Passkeys', version: '1.0.0' } });
  });

  it('validates against the OpenAPI 3 schema', async () => {
    const { Validator } = require('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(document);
    expect(result.valid, JSON.stringify(result.errors, null, 2)).to.equal(true);
  });

  it('shows every route, tagged "Passkeys", the authenticated ones with their security', () => {
    const operations = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((method) => `${method.toUpperCase()} ${path}`));
    expect(operations.sort()).to.deep.equal(
      [
        'POST /oa-passkeys/register/options',
        'POST /oa-passkeys/register',
        'GET /oa-passkeys/',
        'PATCH /oa-passkeys/{id}',
        'DELETE /oa-passkeys/{id}',
        'POST /oa-passkeys/login/options',
        'POST /oa-passkeys/login',
      ].sort(),
    );
    for (const ops of Object.values(document.paths)) for (const op of Object.values(ops as Record<string, any>)) expect(op.tags).to.deep.equal(['Passkeys']);
    expect(document.paths['/oa-passkeys/register/options'].post.security).to.deep.equal([{ jwt: [] }, { cookie: [] }]);
    expect(document.paths['/oa-passkeys/login'].post.security ?? []).to.deep.equal([]);
  });

  it("lists each route's codes", () => {
    const paths = document.paths as Record<string, any>;
    expect(codes(paths['/oa-passkeys/register/options'].post, 400)).to.include.members(['CURRENT_PASSWORD_INVALID', 'VALIDATION_ERROR']);
    expect(codes(paths['/oa-passkeys/register/options'].post, 401)).to.include.members(['UNAUTHORIZED', 'REAUTHENTICATION_REQUIRED']);
    expect(codes(paths['/oa-passkeys/register'].post, 400)).to.include.members(['PASSKEY_INVALID', 'VALIDATION_ERROR']);
    expect(paths['/oa-passkeys/register'].post.responses['201'].content['application/json'].schema.$ref).to.equal('#/components/schemas/AuthPasskey');
    expect(codes(paths['/oa-passkeys/{id}'].patch, 404)).to.deep.equal(['NOT_FOUND']);
    expect(codes(paths['/oa-passkeys/{id}'].delete, 404)).to.deep.equal(['NOT_FOUND']);
    expect(codes(paths['/oa-passkeys/{id}'].delete, 400)).to.include('CURRENT_PASSWORD_INVALID');
    const login = paths['/oa-passkeys/login'].post;
    expect(codes(login, 400)).to.include.members(['PASSKEY_INVALID', 'LOGIN_USER_NOT_VERIFIED', 'VALIDATION_ERROR']);
    expect(codes(login, 403)).to.deep.equal(['CSRF_FAILED']);
    expect(codes(login, 429)).to.deep.equal(['TOO_MANY_REQUESTS']);
    expect(login.responses, 'signs in through the cookie backend').to.have.property('204');
    expect(codes(paths['/oa-passkeys/login/options'].post, 429)).to.deep.equal(['TOO_MANY_REQUESTS']);
    const schema: any = document.components?.schemas?.AuthPasskey;
    expect(schema.properties).not.to.have.property('publicKey');
    expect(schema.properties).not.to.have.property('credentialId');
  });
});
