import { expect } from 'chai';
import { randomUUID } from 'crypto';
import request from 'supertest';
import { Authorized, CurrentUser, Get, HttpError, JsonController } from 'routing-controllers';
import { AuthenticationBackend, BearerTransport, JwtStrategy, UserAlreadyExistsError, type UserStore } from '../../src';
import { buildApp, createUser, PASSWORD, SECRET, type TestApp, User } from '../support/app';
import { bearerToken, login } from '../support/http';

/** Users kept in a Map: an app that loads users from elsewhere (fastapi-login's user_loader). */
class MapUserStore implements UserStore<User> {
  readonly users = new Map<string, User>();
  async findById(id: string) {
    return this.users.get(id) ?? null;
  }
  async findByEmail(email: string) {
    return [...this.users.values()].find((u) => u.email === email) ?? null;
  }
  async create(fields: Partial<User>) {
    if (await this.findByEmail(fields.email!)) throw new UserAlreadyExistsError();
    const user = Object.assign(new User(), { isActive: true, isSuperuser: false, isVerified: false, scopes: [] }, fields, { id: randomUUID() });
    this.users.set(user.id, user);
    return user;
  }
  async update(user: User, fields: Partial<User>) {
    const updated = Object.assign(new User(), this.users.get(user.id), fields);
    this.users.set(user.id, updated);
    return updated;
  }
  async delete(user: User) {
    this.users.delete(user.id);
  }
  async replacePasswordHash(userId: string, expectedHash: string, newHash: string) {
    const user = this.users.get(userId);
    if (!user || user.hashedPassword !== expectedHash) return false;
    user.hashedPassword = newHash;
    return true;
  }
}

describe('a custom UserStore (no database at all)', () => {
  it("logs in, authenticates and refuses through the app's own store", async () => {
    const store = new MapUserStore();
    const { Auth } = await import('../../src');
    const auth = Auth.configure<User>({
      userStore: store,
      secret: SECRET,
      backends: [new AuthenticationBackend({ name: 'jwt', transport: new BearerTransport({ tokenUrl: '/' }), strategy: new JwtStrategy({ secret: SECRET }) })],
    });
    const user = await auth.userManager.create({ email: 'Map@Example.com', password: PASSWORD });
    expect(store.users.get(user.id)!.email).to.equal('map@example.com');
    expect(await auth.userManager.authenticate('map@example.com', PASSWORD)).to.include({ id: user.id });
    expect(await auth.userManager.authenticate('map@example.com', 'wrong password')).to.equal(null);
    const token = await auth.createToken(user);
    const action = { request: { headers: { authorization: `Bearer ${token}` }, method: 'GET' }, response: { setHeader() {}, headersSent: false } } as any;
    expect(await auth.currentUserChecker(action)).to.include({ id: user.id });
    store.users.delete(user.id);
    const later = { request: { headers: { authorization: `Bearer ${token}` }, method: 'GET' }, response: { setHeader() {}, headersSent: false } } as any;
    expect(await auth.currentUserChecker(later)).to.equal(null);
  });

  it('refuses a configuration with neither a dataSource + userEntity nor a userStore', async () => {
    const { Auth } = await import('../../src');
    expect(() =>
      Auth.configure({
        secret: SECRET,
        backends: [
          new AuthenticationBackend({ name: 'jwt', transport: new BearerTransport({ tokenUrl: '/' }), strategy: new JwtStrategy({ secret: SECRET }) }),
        ],
      }),
    ).to.throw(/userStore/);
  });
});

class RedirectToLogin extends HttpError {
  constructor() {
    super(303, 'See /login');
  }
  toJSON() {
    return { code: 'LOGIN_REQUIRED', message: 'See /login' };
  }
}

@JsonController('/pages')
class PagesController {
  @Authorized()
  @Get('/dashboard')
  dashboard(@CurrentUser() user: User) {
    return { hello: user.email };
  }
}

describe("onUnauthenticated: the app's own error instead of the 401", () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp({
      extraControllers: [PagesController],
      // Browsers asking for HTML are sent to the login page; JSON clients keep the 401.
      onUnauthenticated: (action) => {
        const accept = String(action.request.headers?.accept ?? action.context?.get?.('accept') ?? '');
        if (!accept.includes('text/html')) return undefined;
        const response = action.context ? action.context.res : action.response;
        response.setHeader('Location', '/login');
        return new RedirectToLogin();
      },
    });
    await createUser(t.auth, { email: 'pages@example.com' });
  });
  after(() => t.close());

  it('redirects an HTML request without credentials', async () => {
    const res = await request(t.app).get('/pages/dashboard').set('Accept', 'text/html,application/xhtml+xml');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login');
  });

  it('keeps the 401 for JSON clients, and lets authenticated requests through', async () => {
    const res = await request(t.app).get('/pages/dashboard').set('Accept', 'application/json');
    expect(res.status).to.equal(401);
    expect(res.body.code).to.equal('UNAUTHORIZED');
    const token = await bearerToken(t.app, 'jwt', 'pages@example.com');
    const ok = await request(t.app).get('/pages/dashboard').set('Accept', 'text/html').set('Authorization', `Bearer ${token}`);
    expect(ok.status).to.equal(200);
  });
});

describe('the superuser pseudo-scope follows the column', () => {
  it("a demoted superuser's earlier JWT loses `superuser` at once (no revocation store needed)", async () => {
    @JsonController('/root-only')
    class RootOnly {
      @Authorized(['superuser'])
      @Get('/')
      get() {
        return { ok: true };
      }
    }
    const app = await buildApp({ extraControllers: [RootOnly] });
    try {
      const root = await createUser(app.auth, { email: 'demoted@example.com', isSuperuser: true });
      const res = await login(app.app, 'jwt', 'demoted@example.com');
      const token = res.body.access_token;
      expect((await request(app.app).get('/root-only').set('Authorization', `Bearer ${token}`)).status).to.equal(200);
      await app.dataSource.getRepository(User).update({ id: root.id }, { isSuperuser: false });
      const after = await request(app.app).get('/root-only').set('Authorization', `Bearer ${token}`);
      expect(after.status).to.equal(403);
      expect(after.body.code).to.equal('INSUFFICIENT_SCOPE');
      expect((await request(app.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(200);
    } finally {
      await app.close();
    }
  });
});
