import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'fs';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { createExpressServer } from 'routing-controllers';
import request from 'supertest';
import { DEMO_USER, startExample, type RunningExample } from '../../examples/app';
import { exampleControllers } from '../../examples/controllers';
import type { Mail } from '../../examples/mailer';
import { Browser } from '../support/browser';
import { cookieFrom } from '../support/http';
import { signInAt } from '../support/oidc-provider';

const SECRET = 'example-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

function baseUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Two requests over one keep-alive socket; resolves with both responses and whether the socket was reused. */
async function twoRequestsOneSocket(url: string, first: Record<string, string>, second: Record<string, string>) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const send = (headers: Record<string, string>) =>
    new Promise<{ res: IncomingMessage; body: string; reused: boolean }>((resolve, reject) => {
      const req = httpRequest(`${url}/items`, { agent, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ res, body, reused: req.reusedSocket }));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    const a = await send(first);
    const b = await send(second);
    return { a, b };
  } finally {
    agent.destroy();
  }
}

/** The first mail matching `match`, waiting for it: some hooks run after the response is sent. */
async function waitForMail(mails: Mail[], match: (mail: Mail) => boolean): Promise<Mail> {
  for (let waited = 0; waited < 5000; waited += 20) {
    const mail = mails.find(match);
    if (mail) return mail;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no such mail was sent within 5 s');
}

describe('example app (examples/app.ts)', () => {
  let dir: string;
  let example: RunningExample;
  let url: string;
  const lines: string[] = [];
  const mails: Mail[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rca-example-'));
    example = await startExample({
      port: 0,
      database: join(dir, 'app.sqlite'),
      secret: SECRET,
      mailer: { send: (mail) => void mails.push(mail) },
      log: (line) => lines.push(line),
    });
    url = baseUrl(example.server);
  });

  /** What the page's same-origin fetch sends to log in with the cookie backend: a form body and the page's own Origin. */
  const cookieLogin = () =>
    request(url).post('/auth/cookie/login').set('Origin', url).type('form').send({ username: DEMO_USER.email, password: DEMO_USER.password });

  after(async () => {
    await example?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the demo user at start, and no secret warning when a secret is given', () => {
    const text = lines.join('\n');
    expect(text).to.contain(`${DEMO_USER.email} / ${DEMO_USER.password}`);
    expect(text).to.contain('items:write');
    expect(text).not.to.contain('AUTH_SECRET is not set');
  });

  it('serves its OpenAPI document at /openapi.json (valid, one scheme per backend, the declared scopes) and Swagger UI at /docs from its own files', async () => {
    const res = await request(url).get('/openapi.json');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    const { Validator } = require('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(res.body);
    expect(result.valid, JSON.stringify(result.errors)).to.equal(true);
    expect(res.body.components.securitySchemes.jwt.flows.password).to.deep.equal({
      tokenUrl: '/auth/jwt/login',
      scopes: {
        superuser: 'Administer users (every superuser has it).',
        'items:read': 'Read items (every user may be granted it)',
        'items:write': 'Create and change items',
      },
    });
    expect(res.body.components.securitySchemes.cookie).to.deep.include({ type: 'apiKey', in: 'cookie', name: 'rcauth' });
    expect(res.body.paths['/items/admin'].get.security).to.deep.equal([{ jwt: ['items:write'] }, { cookie: [] }]);
    expect(res.body.paths).not.to.have.property('/docs');

    const docs = await request(url).get('/docs');
    expect(docs.status).to.equal(200);
    expect(docs.headers['content-security-policy']).to.contain("script-src 'self'");
    const assets = [...docs.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets).to.have.members([
      '/docs/assets/swagger-ui.css',
      '/docs/assets/favicon-32x32.png',
      '/docs/assets/swagger-ui-bundle.js',
      '/docs/assets/init.js',
    ]);
    for (const asset of assets) expect((await request(url).get(asset)).status, asset).to.equal(200);
    expect((await request(url).get('/docs/assets/index.html')).status, 'only the listed files').to.equal(404);
    expect((await request(url).get('/docs/assets/..%2Fpackage.json')).status).to.equal(404);
  });

  it('serves the HTML page that logs in through the cookie backend', async () => {
    const res = await request(url).get('/');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('text/html; charset=utf-8');
    expect(res.text).to.contain('<!doctype html>');
    expect(res.text).to.contain("'/auth/cookie/login'");
    expect(res.text).to.contain("'/auth/cookie/logout'");
    expect(res.text).to.contain("'/auth/cookie/refresh'");
    expect(res.text).to.contain("'/auth/sessions'");
    expect(res.text).to.contain("'/items'");
    const script = /<script>([\s\S]*)<\/script>/.exec(res.text)?.[1];
    expect(script, 'the page has its script').to.be.a('string');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- only parsed, never called: the page's script is valid JavaScript
    expect(() => new Function(script!), 'the script parses').not.to.throw();
  });

  it('redirects a browser without a session from the account page, keeps the 401 for JSON clients (onUnauthenticated)', async () => {
    const page = await request(url).get('/account').set('Accept', 'text/html,application/xhtml+xml');
    expect(page.status).to.equal(303);
    expect(page.headers.location).to.equal('/?next=/account');
    const json = await request(url).get('/items').set('Accept', 'application/json');
    expect(json.status).to.equal(401);
    expect(json.body.code).to.equal('UNAUTHORIZED');
    const login = await request(url).post('/auth/cookie/login').type('form').send({ username: DEMO_USER.email, password: DEMO_USER.password });
    const signedIn = await request(url).get('/account').set('Accept', 'text/html').set('Cookie', cookieFrom(login)!);
    expect(signedIn.status).to.equal(200);
    expect(signedIn.text).to.contain(`Signed in as ${DEMO_USER.email}`);
  });

  it('refuses the protected route without credentials', async () => {
    const res = await request(url).get('/items');
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal({ code: 'UNAUTHORIZED', message: 'Authentication required.' });
  });

  it('logs the demo user in with the cookie backend as the page does, then out', async () => {
    const origin = url;
    const login = await cookieLogin();
    expect(login.status, JSON.stringify(login.body)).to.equal(204);
    const setCookie = (login.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('rcauth='))!;
    expect(setCookie).to.match(/HttpOnly/i);
    expect(setCookie, 'the example serves plain http, so its cookie is not Secure').not.to.match(/;\s*Secure/i);
    const cookie = cookieFrom(login)!;

    const items = await request(url).get('/items').set('Cookie', cookie);
    expect(items.status).to.equal(200);
    expect(items.body).to.deep.equal({ owner: DEMO_USER.email });

    const logout = await request(url).post('/auth/cookie/logout').set('Origin', origin).set('Cookie', cookie);
    expect(logout.status).to.equal(204);
    const after = await request(url).get('/items').set('Cookie', cookie);
    expect(after.status, 'the session row is deleted at logout').to.equal(401);
  });

  it("gives JWT logins 5-minute access tokens and a refresh token; the page's sessions can be listed, refreshed and ended", async () => {
    const jwtLogin = await request(url).post('/auth/jwt/login').type('form').send({ username: DEMO_USER.email, password: DEMO_USER.password });
    expect(jwtLogin.body.expires_in).to.equal(300);
    const renewed = await request(url).post('/auth/jwt/refresh').type('form').send({ grant_type: 'refresh_token', refresh_token: jwtLogin.body.refresh_token });
    expect(renewed.status, JSON.stringify(renewed.body)).to.equal(200);

    const origin = url;
    const login = await cookieLogin();
    const cookie = cookieFrom(login)!;
    const refreshCookie = cookieFrom(login, 'rcauth_refresh')!;
    expect((login.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('rcauth_refresh='))).to.contain('Path=/auth/cookie/refresh');
    const listed = await request(url).get('/auth/sessions').set('Cookie', cookie);
    expect(listed.status).to.equal(200);
    const mine = listed.body.find((s: any) => s.current);
    expect(mine.backend).to.equal('cookie');
    expect(listed.body.some((s: any) => s.backend === 'jwt' && !s.current)).to.equal(true);

    // The page's refresh button: the browser sends the refresh cookie to its path, same origin.
    const refreshed = await request(url).post('/auth/cookie/refresh').set('Origin', origin).set('Cookie', refreshCookie);
    expect(refreshed.status, JSON.stringify(refreshed.body)).to.equal(204);
    const newCookie = cookieFrom(refreshed)!;
    expect((await request(url).get('/items').set('Cookie', newCookie)).status).to.equal(200);

    // "End all other sessions", then "End" on this one.
    expect((await request(url).delete('/auth/sessions').set('Origin', origin).set('Cookie', newCookie)).status).to.equal(204);
    const left = await request(url).get('/auth/sessions').set('Cookie', newCookie);
    expect(left.body.map((s: any) => s.id)).to.deep.equal([mine.id]);
    expect(
      (await request(url).post('/auth/jwt/refresh').type('form').send({ grant_type: 'refresh_token', refresh_token: renewed.body.refresh_token })).status,
    ).to.equal(400);
    expect((await request(url).delete(`/auth/sessions/${mine.id}`).set('Origin', origin).set('Cookie', newCookie)).status).to.equal(204);
    expect((await request(url).get('/items').set('Cookie', newCookie)).status).to.equal(401);
  });

  it('refuses a cross-site login form (login CSRF)', async () => {
    const res = await request(url)
      .post('/auth/cookie/login')
      .set('Origin', 'http://evil.example')
      .type('form')
      .send({ username: DEMO_USER.email, password: DEMO_USER.password });
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('CSRF_FAILED');
  });

  it('logs the demo user in with the JWT backend; its items:write scope opens /items/admin', async () => {
    const login = await request(url).post('/auth/jwt/login').type('form').send({ username: DEMO_USER.email, password: DEMO_USER.password });
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    expect(login.body.token_type).to.equal('bearer');
    const bearer = `Bearer ${login.body.access_token}`;

    const items = await request(url).get('/items').set('Authorization', bearer);
    expect(items.status).to.equal(200);
    expect(items.body).to.deep.equal({ owner: DEMO_USER.email });
    const admin = await request(url).get('/items/admin').set('Authorization', bearer);
    expect(admin.status).to.equal(200);
    expect(admin.body).to.deep.equal({ ok: true });

    const narrow = await request(url)
      .post('/auth/jwt/login')
      .type('form')
      .send({ username: DEMO_USER.email, password: DEMO_USER.password, scope: 'items:read' });
    const refused = await request(url).get('/items/admin').set('Authorization', `Bearer ${narrow.body.access_token}`);
    expect(refused.status).to.equal(403);
    expect(refused.body.code).to.equal('INSUFFICIENT_SCOPE');
  });

  it('keeps a keep-alive connection usable after a 401 (AuthErrorHandler is mounted)', async () => {
    const token = await example.auth.createToken((await example.auth.userManager.getByEmail(DEMO_USER.email))!, { backend: 'jwt' });
    const { a, b } = await twoRequestsOneSocket(url, {}, { Authorization: `Bearer ${token}` });
    expect(a.res.statusCode).to.equal(401);
    expect(b.res.statusCode).to.equal(200);
    expect(b.reused, 'the second request rode the same socket').to.equal(true);
  });

  it('works in the quick-start shape too: no `middlewares` option registers AuthErrorHandler itself', async () => {
    const app = createExpressServer({
      controllers: exampleControllers,
      authorizationChecker: example.auth.authorizationChecker,
      currentUserChecker: example.auth.currentUserChecker,
    });
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const token = await example.auth.createToken((await example.auth.userManager.getByEmail(DEMO_USER.email))!, { backend: 'jwt' });
      const { a, b } = await twoRequestsOneSocket(baseUrl(server), {}, { Authorization: `Bearer ${token}` });
      expect(a.res.statusCode).to.equal(401);
      expect(JSON.parse(a.body).code).to.equal('UNAUTHORIZED');
      expect(b.res.statusCode).to.equal(200);
      expect(b.reused, 'the second request rode the same socket').to.equal(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('registers, verifies and resets a password with the tokens its UserManager hooks mail', async () => {
    const email = 'newcomer@example.com';
    const register = await request(url).post('/auth/register').send({ email, password: 'a first passphrase 1' });
    expect(register.status, JSON.stringify(register.body)).to.equal(201);
    expect(register.body).to.include({ email, isVerified: false });

    const verifyMail = await waitForMail(mails, (m) => m.to === email && m.subject.startsWith('Verify'));
    const verify = await request(url).post('/auth/verify').send({ token: verifyMail.token });
    expect(verify.status, JSON.stringify(verify.body)).to.equal(200);
    expect(verify.body).to.include({ email, isVerified: true });

    const forgot = await request(url).post('/auth/forgot-password').send({ email });
    expect(forgot.status).to.equal(202);
    const resetMail = await waitForMail(mails, (m) => m.to === email && m.subject.startsWith('Reset'));
    const reset = await request(url).post('/auth/reset-password').send({ token: resetMail.token, password: 'a second passphrase 2' });
    expect(reset.status, JSON.stringify(reset.body)).to.equal(200);

    const old = await request(url).post('/auth/jwt/login').type('form').send({ username: email, password: 'a first passphrase 1' });
    expect(old.status).to.equal(400);
    const login = await request(url).post('/auth/jwt/login').type('form').send({ username: email, password: 'a second passphrase 2' });
    expect(login.status).to.equal(200);
    const me = await request(url).get('/users/me').set('Authorization', `Bearer ${login.body.access_token}`);
    expect(me.status).to.equal(200);
    expect(me.body).to.include({ email, isVerified: true });
    expect(me.body).not.to.have.property('hashedPassword');
  });

  it('restarts on the same SQLite file: warns without a secret and restores the demo password', async () => {
    const demo = (await example.auth.userManager.getByEmail(DEMO_USER.email))!;
    await example.auth.userManager.update(demo, { password: 'a changed passphrase 77' });
    await example.close();

    lines.length = 0;
    example = await startExample({
      port: 0,
      database: join(dir, 'app.sqlite'),
      mailer: { send: (mail) => void mails.push(mail) },
      log: (line) => lines.push(line),
    });
    url = baseUrl(example.server);
    expect(lines.join('\n')).to.contain('WARNING: AUTH_SECRET is not set');

    const login = await request(url).post('/auth/jwt/login').type('form').send({ username: DEMO_USER.email, password: DEMO_USER.password });
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    const count = await example.dataSource.query('SELECT COUNT(*) AS n FROM "user" WHERE email = ?', [DEMO_USER.email]);
    expect(count[0].n, 'the restart reused the account instead of creating another').to.equal(1);
  });
});

describe('example app on PostgreSQL and Redis (DATABASE_URL / REDIS_URL)', () => {
  it('keeps users in PostgreSQL and cookie tokens in Redis, and logs in through both backends', async () => {
    const { createClient } = await import('redis');
    const lines: string[] = [];
    const example = await startExample({
      port: 0,
      secret: SECRET,
      databaseUrl: process.env.TEST_DATABASE_URL,
      redisUrl: process.env.TEST_REDIS_URL,
      mailer: { send: () => undefined },
      log: (line) => lines.push(line),
    });
    const redis = createClient({ url: process.env.TEST_REDIS_URL });
    await redis.connect();
    try {
      expect(lines.join('\n')).to.contain('Storage: users in PostgreSQL, cookie-backend tokens in Redis.');
      expect(example.dataSource.options.type).to.equal('postgres');
      const login = await request(example.app).post('/auth/cookie/login').type('form').send({ username: DEMO_USER.email, password: DEMO_USER.password });
      expect(login.status).to.equal(204);
      const cookie = cookieFrom(login)!;
      const token = decodeURIComponent(cookie.split('=')[1]);
      const { digestToken } = await import('../../src/strategies/opaque-token');
      expect(await redis.exists(`routing-controllers-auth:token:${digestToken(token)}`)).to.equal(1);
      expect((await request(example.app).get('/items').set('Cookie', cookie)).status).to.equal(200);
      const jwt = await request(example.app).post('/auth/jwt/login').type('form').send({ username: DEMO_USER.email, password: DEMO_USER.password });
      expect(jwt.status).to.equal(200);
    } finally {
      redis.destroy();
      await example.close();
    }
  });

  it('with OIDC_DEMO: "Sign in with a local provider" clicks through a real social login against the local OpenID provider', async () => {
    const lines: string[] = [];
    const demoDir = mkdtempSync(join(tmpdir(), 'rca-example-oidc-'));
    const demo = await startExample({
      port: 0,
      database: join(demoDir, 'app.sqlite'),
      secret: SECRET,
      oidcDemo: true,
      mailer: { send: () => undefined },
      log: (line) => lines.push(line),
    });
    try {
      const appUrl = demo.url.replace('localhost', '127.0.0.1');
      const browser = new Browser();
      const page = await browser.get(`${appUrl}/`);
      expect(page.text).to.contain('Sign in with a local provider');
      expect(page.text).to.contain("'/auth/local/authorize'");
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- only parsed, never called: the page's script is valid JavaScript
      expect(() => new Function(/<script>([\s\S]*)<\/script>/.exec(page.text)![1]), 'the script parses').not.to.throw();
      expect(lines.join('\n')).to.match(/Local OpenID provider \(OIDC_DEMO\): http:\/\/localhost:\d+/);

      const authorize = await browser.get(`${appUrl}/auth/local/authorize`);
      expect(authorize.status, authorize.text).to.equal(200);
      const authorizationUrl = authorize.json.authorization_url.replace('localhost', '127.0.0.1');
      const callback = (await signInAt(browser, authorizationUrl, 'Newcomer')).replace('localhost', '127.0.0.1');
      const landed = await browser.get(callback);
      expect(landed.status, landed.text).to.equal(303);
      expect(landed.location).to.equal(`${appUrl}/account`);
      const account = await browser.get(`${appUrl}/account`, { accept: 'text/html' });
      expect(account.status).to.equal(200);
      expect(account.text).to.contain('Signed in as newcomer@oidc-demo.localhost');
      // The social login's refresh cookie is scoped to the cookie backend's POST /refresh, so it reaches it.
      const refreshed = await browser.request('POST', `${appUrl}/auth/cookie/refresh`);
      expect(refreshed.status, refreshed.text).to.equal(204);
    } finally {
      await demo.close();
      rmSync(demoDir, { recursive: true, force: true });
    }
  });
});
