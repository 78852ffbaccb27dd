import { expect } from 'chai';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { Authorized, Body, Get, JsonController, Post } from 'routing-controllers';
import request from 'supertest';
import {
  Auth,
  AuthConfigurationError,
  AuthController,
  AuthenticationBackend,
  BearerTransport,
  CookieTransport,
  DatabaseStrategy,
  ErrorCode,
  GitHubProvider,
  JwtStrategy,
  OAuthController,
  RegisterController,
  ResetPasswordController,
  SessionsController,
  UserCreateDto,
  UsersController,
  VerifyController,
  type OpenApiDocument,
} from '../../src';
import { buildApp, createUser, makeDataSource, PASSWORD, SECRET, User } from '../support/app';

/** The OpenAPI 3 JSON Schema check (the official schemas, through ajv). */
async function validate(document: OpenApiDocument): Promise<{ valid: boolean; errors?: unknown }> {
  const { Validator } = require('@seriousme/openapi-schema-validator');
  return new Validator().validate(document);
}

/** Every `$ref` of the document, with whether it points at something. */
function refs(document: OpenApiDocument): Array<{ ref: string; resolves: boolean }> {
  const found: Array<{ ref: string; resolves: boolean }> = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        const target = value
          .replace(/^#\//, '')
          .split('/')
          .reduce<any>((at, part) => at?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], document);
        found.push({ ref: value, resolves: target !== undefined });
      } else visit(value);
    }
  };
  visit(document);
  return found;
}

/** The `code` enum of an operation's answer with this status. */
function codes(operation: any, status: number): string[] {
  return operation.responses[String(status)].content['application/json'].schema.allOf[1].properties.code.enum;
}

// ---- an app with every kind of route ---------------------------------------------------------

class SignUp extends UserCreateDto {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  displayName?: string;
}

class NoteDto {
  @IsString()
  @MaxLength(500)
  text!: string;
}

/** Not referenced by any route: must not end up in the document. */
export class InternalOnlyDto {
  @IsString()
  secretThing!: string;
}

/** A base class an app's controllers inherit routes from (routing-controllers-openapi alone fails on these). */
abstract class CrudBase {
  @Authorized(['things:write'])
  @Post('/')
  create(@Body() note: NoteDto) {
    return note;
  }

  @Get('/')
  list() {
    return [];
  }
}

@JsonController('/oa/things')
class ThingsController extends CrudBase {}

@JsonController('/oa/public')
class PublicController {
  @Get('/hello')
  hello() {
    return { hello: 'world' };
  }
}

@JsonController('/oa/auth/jwt')
class OaJwtAuth extends AuthController<User> {
  constructor() {
    super('jwt');
  }
}

@JsonController('/oa/auth/cookie')
class OaCookieAuth extends AuthController<User> {
  constructor() {
    super('cookie');
  }
}

@JsonController('/oa/auth')
class OaRegister extends RegisterController<User> {
  protected createDto = SignUp;
}
@JsonController('/oa/auth')
class OaVerify extends VerifyController {}
@JsonController('/oa/auth')
class OaReset extends ResetPasswordController {}
@JsonController('/oa/users')
class OaUsers extends UsersController {}
@JsonController('/oa/auth/sessions')
class OaSessions extends SessionsController<User> {}

const github = new GitHubProvider({ clientId: 'id', clientSecret: 'secret' });
@JsonController('/oa/auth/github')
class OaGitHub extends OAuthController<User> {
  constructor() {
    super(github, 'cookie', { redirectUri: 'http://127.0.0.1:1/oa/auth/github/callback' });
  }
}

@JsonController('/oa/auth/github-redirects')
class OaGitHubRedirects extends OAuthController<User> {
  constructor() {
    super(github, 'cookie', {
      redirectUri: 'http://127.0.0.1:1/oa/auth/github-redirects/callback',
      redirectUrl: '/welcome',
      errorRedirectUrl: '/sign-in',
      tag: 'Social login',
    });
  }
}

const CONTROLLERS = [
  OaJwtAuth,
  OaCookieAuth,
  OaRegister,
  OaVerify,
  OaReset,
  OaUsers,
  OaSessions,
  OaGitHub,
  OaGitHubRedirects,
  ThingsController,
  PublicController,
];
const SCOPES = { 'things:write': 'Create things', 'things:read': 'Read things' };

function configure(scopes: Record<string, string> = SCOPES): Auth<User> {
  return Auth.configure<User>({
    dataSource: makeDataSource(),
    userEntity: User,
    secret: SECRET,
    scopes,
    backends: [
      new AuthenticationBackend({
        name: 'jwt',
        transport: new BearerTransport({ tokenUrl: '/oa/auth/jwt/login' }),
        strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 60 }),
        refresh: { lifetimeSeconds: 3600 },
      }),
      new AuthenticationBackend({
        name: 'cookie',
        transport: new CookieTransport({ cookieName: 'sess' }),
        strategy: new DatabaseStrategy({ lifetimeSeconds: 60 }),
      }),
    ],
  });
}

describe('auth.openApi(): the OpenAPI document', () => {
  let auth: Auth<User>;
  let document: OpenApiDocument;
  const warnings: string[] = [];

  before(() => {
    auth = configure();
    document = auth.openApi({ controllers: CONTROLLERS, info: { title: 'Test API', version: '2.0.0' }, onWarning: (m) => warnings.push(m) });
  });

  it('validates against the OpenAPI 3 schema, and every $ref resolves', async () => {
    const result = await validate(document);
    expect(result.valid, JSON.stringify(result.errors, null, 2)).to.equal(true);
    const unresolved = refs(document).filter((r) => !r.resolves);
    expect(unresolved).to.deep.equal([]);
    expect(refs(document).length).to.be.greaterThan(20);
    const broken: any = structuredClone(document);
    broken.paths['/oa/public/hello'].get.responses = { '200': { content: {} } }; // a response needs a description
    expect((await validate(broken)).valid, 'the validator does reject a broken document').to.equal(false);
  });

  it('describes every route of the given controllers, inherited ones included, and nothing else', () => {
    const operations = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    expect(operations).to.have.members([
      'POST /oa/auth/jwt/login',
      'POST /oa/auth/jwt/refresh',
      'POST /oa/auth/jwt/logout',
      'POST /oa/auth/cookie/login',
      'POST /oa/auth/cookie/refresh',
      'POST /oa/auth/cookie/logout',
      'GET /oa/auth/sessions/',
      'DELETE /oa/auth/sessions/{id}',
      'DELETE /oa/auth/sessions/',
      'POST /oa/auth/register',
      'POST /oa/auth/request-verify-token',
      'POST /oa/auth/verify',
      'POST /oa/auth/forgot-password',
      'POST /oa/auth/reset-password',
      'GET /oa/users/me',
      'PATCH /oa/users/me',
      'GET /oa/users/{id}',
      'PATCH /oa/users/{id}',
      'DELETE /oa/users/{id}',
      'GET /oa/auth/github/authorize',
      'GET /oa/auth/github/callback',
      'GET /oa/auth/github/associate/authorize',
      'GET /oa/auth/github/associate/callback',
      'GET /oa/auth/github-redirects/authorize',
      'GET /oa/auth/github-redirects/callback',
      'GET /oa/auth/github-redirects/associate/authorize',
      'GET /oa/auth/github-redirects/associate/callback',
      'POST /oa/things/',
      'GET /oa/things/',
      'GET /oa/public/hello',
    ]);
    expect(document.info).to.deep.include({ title: 'Test API', version: '2.0.0' });
    expect(warnings, 'every scope is declared').to.deep.equal([]);
  });

  it('has one security scheme per backend: bearer = OAuth2 password flow at its tokenUrl with the declared scopes; cookie = apiKey in its cookie', () => {
    const schemes = document.components!.securitySchemes;
    expect(Object.keys(schemes)).to.deep.equal(['jwt', 'cookie']);
    expect(schemes.jwt.type).to.equal('oauth2');
    expect(schemes.jwt.flows.password.tokenUrl).to.equal('/oa/auth/jwt/login');
    expect(schemes.jwt.flows.password.scopes).to.deep.equal({ superuser: 'Administer users (every superuser has it).', ...SCOPES });
    expect(schemes.cookie).to.deep.include({ type: 'apiKey', in: 'cookie', name: 'sess' });
  });

  it('gives every @Authorized route (inherited too) its security requirement with its scopes, and its 401 / 403 answers', () => {
    const create = document.paths['/oa/things/'].post;
    expect(create.security).to.deep.equal([{ jwt: ['things:write'] }, { cookie: [] }]);
    expect(codes(create, 401)).to.deep.equal(['UNAUTHORIZED']);
    expect(create.responses['401'].headers['WWW-Authenticate'].$ref).to.equal('#/components/headers/WWW-Authenticate');
    expect(codes(create, 403)).to.have.members(['INSUFFICIENT_SCOPE', 'CSRF_FAILED']);
    expect(create.responses['403'].content['application/json'].schema.allOf[0].$ref).to.equal('#/components/schemas/AuthError');
    expect(create.requestBody.content['application/json'].schema.$ref).to.equal('#/components/schemas/NoteDto');
    expect(document.components!.schemas.NoteDto.properties.text).to.deep.include({ type: 'string', maxLength: 500 });

    const me = document.paths['/oa/users/me'].get;
    expect(me.security).to.deep.equal([{ jwt: [] }, { cookie: [] }]);
    expect(me.responses).to.have.property('401');
    expect(me.responses, 'no scope, safe method: no 403').not.to.have.property('403');
    expect(document.paths['/oa/users/{id}'].delete.security).to.deep.equal([{ jwt: ['superuser'] }, { cookie: [] }]);
    expect(codes(document.paths['/oa/users/{id}'].get, 403)).to.deep.equal(['INSUFFICIENT_SCOPE']);
  });

  it('gives routes without @Authorized no security and no 401', () => {
    for (const operation of [document.paths['/oa/things/'].get, document.paths['/oa/public/hello'].get, document.paths['/oa/auth/register'].post]) {
      expect(operation).not.to.have.property('security');
      expect(operation.responses).not.to.have.property('401');
    }
    expect(document, 'no document-wide requirement').not.to.have.property('security');
  });

  it('describes login as the OAuth2 password form and as JSON; bearer answers 200 with the token, cookie 204', () => {
    const login = document.paths['/oa/auth/jwt/login'].post;
    for (const type of ['application/x-www-form-urlencoded', 'application/json']) {
      const schema = login.requestBody.content[type].schema;
      expect(schema.required).to.deep.equal(['username', 'password']);
      expect(schema.properties).to.have.keys('grant_type', 'username', 'password', 'scope');
    }
    expect(login.responses['200'].content['application/json'].schema.$ref, 'a backend with refresh tokens').to.equal(
      '#/components/schemas/AuthLoginTokenWithRefresh',
    );
    expect(document.components!.schemas.AuthLoginTokenWithRefresh.required).to.have.members(['access_token', 'token_type', 'expires_in', 'refresh_token']);
    expect(login.responses).not.to.have.property('204');
    expect(codes(login, 400)).to.have.members(['LOGIN_BAD_CREDENTIALS', 'LOGIN_USER_NOT_VERIFIED', 'VALIDATION_ERROR']);
    expect(login, 'login needs no credential').not.to.have.property('security');

    const cookieLogin = document.paths['/oa/auth/cookie/login'].post;
    expect(cookieLogin.responses['204'].headers).to.have.property('Set-Cookie');
    expect(cookieLogin.responses).not.to.have.property('200');
  });

  it('describes refresh (RFC 6749 §6 form or JSON) where the backend has refresh tokens, and a 404 where it has not; the session routes', () => {
    const refresh = document.paths['/oa/auth/jwt/refresh'].post;
    for (const type of ['application/x-www-form-urlencoded', 'application/json']) {
      expect(refresh.requestBody.content[type].schema.properties).to.have.keys('grant_type', 'refresh_token', 'scope');
    }
    expect(refresh.responses['200'].content['application/json'].schema.$ref).to.equal('#/components/schemas/AuthLoginTokenWithRefresh');
    expect(codes(refresh, 400)).to.have.members(['REFRESH_TOKEN_INVALID', 'VALIDATION_ERROR']);
    expect(refresh).not.to.have.property('security');
    const cookieRefresh = document.paths['/oa/auth/cookie/refresh'].post;
    expect(Object.keys(cookieRefresh.responses)).to.deep.equal(['404']);
    expect(codes(cookieRefresh, 404)).to.deep.equal(['NOT_FOUND']);

    const sessions = document.paths['/oa/auth/sessions/'];
    expect(sessions.get.security).to.deep.equal([{ jwt: [] }, { cookie: [] }]);
    expect(sessions.get.responses['200'].content['application/json'].schema.items.$ref).to.equal('#/components/schemas/AuthSession');
    expect(document.components!.schemas.AuthSession.properties).to.have.keys(
      'id',
      'backend',
      'createdAt',
      'lastUsedAt',
      'expiresAt',
      'userAgent',
      'ip',
      'current',
    );
    expect(sessions.delete.responses).to.have.property('204');
    expect(codes(document.paths['/oa/auth/sessions/{id}'].delete, 404)).to.deep.equal(['NOT_FOUND']);
    expect(codes(document.paths['/oa/auth/sessions/{id}'].delete, 403)).to.deep.equal(['CSRF_FAILED']);
  });

  it("names only the controller's own backend on logout (the only one it logs out of)", () => {
    expect(document.paths['/oa/auth/jwt/logout'].post.security).to.deep.equal([{ jwt: [] }]);
    expect(document.paths['/oa/auth/cookie/logout'].post.security).to.deep.equal([{ cookie: [] }]);
    expect(document.paths['/oa/auth/cookie/logout'].post.responses).to.have.property('204');
  });

  it("describes the user routes' bodies from their DTOs (the app's own included) and every answer with its error codes", () => {
    const register = document.paths['/oa/auth/register'].post;
    expect(register.requestBody.content['application/json'].schema.$ref).to.equal('#/components/schemas/SignUp');
    const signUp = document.components!.schemas.SignUp;
    expect(signUp.properties).to.have.keys('email', 'password', 'displayName');
    expect(signUp.required).to.have.members(['email', 'password']);
    expect(register.responses['201'].content['application/json'].schema.$ref).to.equal('#/components/schemas/AuthUser');
    expect(codes(register, 400)).to.have.members(['REGISTER_USER_ALREADY_EXISTS', 'REGISTER_INVALID_PASSWORD', 'VALIDATION_ERROR']);
    expect(codes(register, 413)).to.deep.equal(['PAYLOAD_TOO_LARGE']);
    expect(codes(register, 415)).to.deep.equal(['UNSUPPORTED_MEDIA_TYPE']);

    expect(document.paths['/oa/auth/request-verify-token'].post.responses).to.have.property('202');
    expect(codes(document.paths['/oa/auth/verify'].post, 400)).to.have.members(['VERIFY_USER_BAD_TOKEN', 'VERIFY_USER_ALREADY_VERIFIED', 'VALIDATION_ERROR']);
    expect(document.components!.schemas.TokenDto.required).to.deep.equal(['token']);
    expect(codes(document.paths['/oa/auth/reset-password'].post, 400)).to.have.members([
      'RESET_PASSWORD_BAD_TOKEN',
      'RESET_PASSWORD_INVALID_PASSWORD',
      'VALIDATION_ERROR',
    ]);
    expect(document.components!.schemas.ResetPasswordDto.required).to.have.members(['token', 'password']);

    const updateMe = document.paths['/oa/users/me'].patch;
    expect(updateMe.requestBody.content['application/json'].schema.allOf.map((s: { $ref: string }) => s.$ref)).to.deep.equal([
      '#/components/schemas/UserUpdateDto',
      '#/components/schemas/CurrentPasswordDto',
    ]);
    expect(codes(updateMe, 400)).to.have.members([
      'UPDATE_USER_EMAIL_ALREADY_EXISTS',
      'UPDATE_USER_INVALID_PASSWORD',
      'CURRENT_PASSWORD_INVALID',
      'VALIDATION_ERROR',
    ]);
    expect(codes(updateMe, 401)).to.have.members(['UNAUTHORIZED', 'REAUTHENTICATION_REQUIRED']);
    expect(codes(updateMe, 403), 'an unsafe route the cookie authenticates').to.deep.equal(['CSRF_FAILED']);
    const updateUser = document.paths['/oa/users/{id}'].patch;
    expect(updateUser.requestBody.content['application/json'].schema.allOf.map((s: any) => s.$ref)).to.deep.equal([
      '#/components/schemas/UserUpdateDto',
      '#/components/schemas/UserAdminFieldsDto',
    ]);
    expect(document.components!.schemas.UserAdminFieldsDto.properties).to.have.keys('isActive', 'isSuperuser', 'isVerified', 'scopes');
    expect(codes(updateUser, 404)).to.deep.equal(['NOT_FOUND']);
    expect(document.paths['/oa/users/{id}'].delete.responses).to.have.property('204');
  });

  it('describes the social-login routes with their codes', () => {
    const callback = document.paths['/oa/auth/github/callback'].get;
    expect(callback.parameters.map((p: any) => p.name)).to.include.members(['code', 'state']);
    expect(codes(callback, 400)).to.include.members(['OAUTH_INVALID_STATE', 'OAUTH_INVALID_CODE', 'OAUTH_USER_ALREADY_EXISTS', 'OAUTH_EMAIL_NOT_AVAILABLE']);
    expect(codes(callback, 502)).to.deep.equal(['OAUTH_PROVIDER_ERROR']);
    expect(callback.responses, 'signs in through the cookie backend').to.have.property('204');
    expect(document.paths['/oa/auth/github/authorize'].get.responses['200'].content['application/json'].schema.required).to.deep.equal(['authorization_url']);
    const associate = document.paths['/oa/auth/github/associate/callback'].get;
    expect(associate.security).to.deep.equal([{ jwt: [] }, { cookie: [] }]);
    expect(codes(associate, 400)).to.include('OAUTH_ACCOUNT_ALREADY_LINKED');
  });

  it('a callback with redirectUrl answers 303 (and no body); with errorRedirectUrl its failures are 303s too', () => {
    const plain = document.paths['/oa/auth/github/callback'].get.responses;
    expect(plain).to.have.property('204').and.not.to.have.property('303'); // no redirectUrl: the backend's own answer
    const callback = document.paths['/oa/auth/github-redirects/callback'].get;
    expect(Object.keys(callback.responses).sort()).to.deep.equal(['303']);
    expect(callback.responses['303'].headers).to.have.property('Location');
    expect(callback.responses['303'].description).to.match(
      /^Signed in: to `\/welcome`\. Failed: to `\/sign-in` with `error` set to the code \(OAUTH_INVALID_STATE, .*OAUTH_PROVIDER_ERROR, AUTH_BACKEND_UNAVAILABLE\)\.$/,
    );
    const associate = document.paths['/oa/auth/github-redirects/associate/callback'].get.responses;
    expect(associate).to.have.property('303');
    expect(associate).not.to.have.any.keys('200', '400', '502');
    expect(associate).to.have.property('401'); // @Authorized answers before the controller: JSON still
  });

  it('tags the library routes by what they do, not by class name: "Bearer JWT", "Cookie database token", "GitHub sign-in", or the `tag` given', () => {
    const tags = (path: string, method = 'post') => document.paths[path][method].tags;
    expect(tags('/oa/auth/jwt/login')).to.deep.equal(['Bearer JWT']);
    expect(tags('/oa/auth/cookie/login')).to.deep.equal(['Cookie database token']);
    expect(tags('/oa/auth/github/authorize', 'get')).to.deep.equal(['GitHub sign-in']);
    expect(tags('/oa/auth/github-redirects/callback', 'get')).to.deep.equal(['Social login']);
    const all = Object.values(document.paths).flatMap((item: any) => Object.values(item).flatMap((op: any) => op.tags ?? []));
    expect(all).not.to.include.members(['Oa Jwt Auth', 'Oa Git Hub']);
  });

  it('uses only real error codes, and keeps only the schemas the document refers to', () => {
    const all = new Set<string>();
    for (const ops of Object.values(document.paths))
      for (const op of Object.values<any>(ops))
        for (const status of Object.keys(op.responses)) if (Number(status) >= 400) for (const code of codes(op, Number(status))) all.add(code);
    expect([...all].filter((c) => !(c in ErrorCode))).to.deep.equal([]);
    expect(all.size).to.be.greaterThan(25);
    expect(document.components!.schemas).not.to.have.property('InternalOnlyDto');
    expect(document.components!.schemas).to.have.property('AuthError');
  });

  it('sets servers and merges the app’s additions last', async () => {
    const merged = auth.openApi({
      controllers: [PublicController],
      servers: [{ url: 'https://api.example.com' }],
      additions: {
        info: { description: 'Ours' },
        tags: [{ name: 'Public', description: 'Anyone' }],
        paths: { '/oa/public/hello': { get: { summary: 'Say hello' } } },
      },
    });
    expect(merged.servers).to.deep.equal([{ url: 'https://api.example.com' }]);
    expect(merged.info).to.deep.equal({ title: 'API', version: '1.0.0', description: 'Ours' });
    expect(merged.tags).to.deep.equal([{ name: 'Public', description: 'Anyone' }]);
    expect(merged.paths['/oa/public/hello'].get.summary).to.equal('Say hello');
    expect(merged.paths['/oa/public/hello'].get.operationId, 'merged, not replaced').to.equal('PublicController.hello');
    expect((await validate(merged)).valid).to.equal(true);
  });
});

describe('auth.openApi(): undeclared scopes', () => {
  it('warns, naming each route and scope, and still offers the scope (marked undeclared)', () => {
    const auth = configure({ 'things:read': 'Read things' });
    const warnings: string[] = [];
    const document = auth.openApi({ controllers: [ThingsController], onWarning: (m) => warnings.push(m) });
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.contain('POST /oa/things/ (ThingsController.create) needs "things:write"');
    expect(warnings[0]).to.contain('Auth.configure({ scopes })');
    expect(document.components!.securitySchemes.jwt.flows.password.scopes['things:write']).to.match(/not declared/i);
  });

  it("throws an AuthConfigurationError naming the route with undeclaredScopes: 'error'", () => {
    const auth = configure({});
    expect(() => auth.openApi({ controllers: [ThingsController], undeclaredScopes: 'error' }))
      .to.throw(AuthConfigurationError)
      .with.property('message')
      .that.contains('ThingsController.create');
  });

  it('refuses a declared scope that is not a valid OAuth2 scope token', () => {
    expect(() => configure({ 'has space': 'x' })).to.throw(AuthConfigurationError, /has space/);
  });
});

describe("login accepts Swagger UI's password-flow request", () => {
  it('grant_type=password&username&password&scope as a form, with client_id and an empty Basic header as Swagger UI sends them', async () => {
    const t = await buildApp({ scopes: { 'items:read': 'Read', 'items:write': 'Write' } });
    try {
      await createUser(t.auth, { email: 'swagger@example.com', scopes: ['items:read', 'items:write'] });
      const login = await request(t.app)
        .post('/auth/jwt/login')
        .set('Authorization', `Basic ${Buffer.from(':').toString('base64')}`)
        .type('form')
        .send({ grant_type: 'password', username: 'swagger@example.com', password: PASSWORD, scope: 'items:read', client_id: '' });
      expect(login.status, JSON.stringify(login.body)).to.equal(200);
      expect(login.body.token_type).to.equal('bearer');
      const bearer = `Bearer ${login.body.access_token}`;
      expect((await request(t.app).get('/items').set('Authorization', bearer)).status).to.equal(200);
      const admin = await request(t.app).get('/items/admin').set('Authorization', bearer);
      expect(admin.status).to.equal(403);
      expect(admin.body.code).to.equal('INSUFFICIENT_SCOPE');
    } finally {
      await t.close();
    }
  });
});
