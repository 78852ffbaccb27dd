import { expect } from 'chai';
import { createServer, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { Page } from 'playwright-core';
import { JsonController } from 'routing-controllers';
import { DataSource } from 'typeorm';
import {
  AccessToken,
  AuthenticationBackend,
  AuthSession,
  CookieTransport,
  DatabaseStrategy,
  JwtRevocation,
  OAuthAccount,
  OAuthController,
  OpenIdProvider,
  RecoveryCode,
  RefreshToken,
  TwoFactorController,
  TwoFactorSecret,
} from '../../src';
import { buildApp, createUser, PASSWORD, type TestApp, User } from '../support/app';
import { Browser } from '../support/browser';
import { launchChromium, type HeadlessChromium } from '../support/chromium';
import { signInAt, TestOpenIdProvider } from '../support/oidc-provider';
import { totpCode } from '../support/two-factor';

/**
 * Login CSRF (refresh, social sign-in, the second-factor step) and cookie prefixes in a real headless Chromium. The app is at http://localhost
 * (Chromium keeps Secure cookies there over http), the attacker's page at http://127.0.0.2 (another
 * site), the OpenID provider at http://127.0.0.1 (another site, as real providers are).
 */

const CLIENT = { clientId: 'rcauth-browser', clientSecret: 'rcauth-browser-secret-0123456789' };

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

async function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('login CSRF and __Host- cookies in a real browser (headless Chromium)', function () {
  this.timeout(90000);
  let t: TestApp;
  let appUrl = '';
  let idp: TestOpenIdProvider;
  let attacker: Server;
  let attackerUrl = '';
  let chromium: HeadlessChromium;
  /** Requests the app received (path, headers) and the status it answered. */
  const received: Array<{ method: string; url: string; headers: IncomingHttpHeaders; status?: number }> = [];
  /** The TOTP secret of the attacker's own account with a second factor. */
  let attackerTotpSecret = '';

  before(async () => {
    idp = await TestOpenIdProvider.listen({});
    @JsonController('/auth/oidc')
    class SocialLogin extends OAuthController<User> {
      constructor() {
        super(new OpenIdProvider({ name: 'local', issuer: idp.issuer, ...CLIENT, allowInsecureRequests: true }), 'c', {
          redirectUri: `${appUrl}/auth/oidc/callback`,
          redirectUrl: `${appUrl}/items/whoami`,
          auth: t.auth,
        });
      }
    }
    @JsonController('/auth')
    class TwoFactor extends TwoFactorController<User> {
      constructor() {
        super(undefined, t.auth);
      }
    }
    t = await buildApp({
      dataSource: new DataSource({
        type: 'better-sqlite3',
        database: ':memory:',
        entities: [User, AccessToken, JwtRevocation, AuthSession, RefreshToken, OAuthAccount, TwoFactorSecret, RecoveryCode],
        synchronize: true,
      }),
      extraControllers: [SocialLogin, TwoFactor],
      twoFactor: { issuer: 'csrf test' },
      backends: [
        new AuthenticationBackend({
          name: 'c',
          transport: new CookieTransport({ cookieMaxAge: 3600 }),
          strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
          refresh: { lifetimeSeconds: 24 * 3600, cookiePath: '/auth/c/refresh' },
        }),
        new AuthenticationBackend({
          name: 'hc',
          transport: new CookieTransport({ cookieName: '__Host-rc', cookieMaxAge: 3600 }),
          strategy: new DatabaseStrategy({ lifetimeSeconds: 3600 }),
          refresh: { lifetimeSeconds: 24 * 3600 },
        }),
      ],
    });
    const { url, server } = await t.listen();
    appUrl = url.replace('127.0.0.1', 'localhost');
    server.prependListener('request', (req, res) => {
      const entry: (typeof received)[number] = { method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } };
      received.push(entry);
      res.on('finish', () => (entry.status = res.statusCode));
    });
    idp.serve([{ ...CLIENT, redirectUris: [`${appUrl}/auth/oidc/callback`] }]);
    await createUser(t.auth, { email: 'attacker@example.com' });
    await createUser(t.auth, { email: 'owner@example.com' });
    const withFactor = await createUser(t.auth, { email: 'mfa-attacker@example.com' });
    attackerTotpSecret = (await t.auth.context.twoFactor!.totp.begin(withFactor.id, withFactor.email)).secret;
    await t.auth.context.twoFactor!.totp.confirm(withFactor.id, totpCode(attackerTotpSecret, -1));

    // The attacker's page: a form that posts itself at once to the URL and fields in its query.
    attacker = createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const fields = JSON.parse(query.get('fields') ?? '{}') as Record<string, string>;
      const inputs = Object.entries(fields)
        .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
        .join('');
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><meta charset="utf-8"><title>cats</title>
<form method="post" action="${query.get('action')}">${inputs}</form><script>document.forms[0].submit()</script>`);
    });
    attackerUrl = `http://127.0.0.2:${await listen(attacker, '127.0.0.2')}`;
    chromium = await launchChromium();
  });

  beforeEach(async () => {
    await chromium.context.clearCookies();
    received.length = 0;
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      const saved = await chromium.screenshotAll(this.currentTest.fullTitle());
      if (saved.length > 0) console.log(`    screenshots: ${saved.join(', ')}`);
    }
    for (const page of chromium.context.pages()) await page.close();
  });

  after(async () => {
    await chromium?.close();
    await closeServer(attacker);
    await t?.close();
    await idp?.close();
  });

  /** A page on the app's own origin (a JSON route will do), for same-origin fetches. */
  async function appPage(): Promise<Page> {
    const page = await chromium.newPage();
    await page.goto(`${appUrl}/items/whoami`);
    return page;
  }

  async function sameOriginPost(page: Page, path: string, form: Record<string, string> = {}): Promise<number> {
    return page.evaluate(([p, f]) => fetch(p, { method: 'POST', body: new URLSearchParams(f), credentials: 'same-origin' }).then((r) => r.status), [
      path,
      form,
    ] as const);
  }

  async function browserCookies() {
    return chromium.context.cookies(appUrl);
  }

  /** The attacker's own refresh token, from a login of theirs outside the victim's browser. */
  async function attackerRefreshToken(): Promise<string> {
    const res = await fetch(`${appUrl}/auth/c/login`, { method: 'POST', body: new URLSearchParams({ username: 'attacker@example.com', password: PASSWORD }) });
    expect(res.status).to.equal(204);
    const line = res.headers.getSetCookie().find((c) => c.startsWith('rcauth_refresh='))!;
    return line.split(';')[0].slice('rcauth_refresh='.length);
  }

  it("a cross-site page auto-submitting the attacker's refresh token in a form body to /refresh: 403 CSRF_FAILED, the victim's browser gets no rcauth cookie", async () => {
    const token = await attackerRefreshToken();
    const page = await chromium.newPage();
    const answered = page.waitForResponse((r) => r.url() === `${appUrl}/auth/c/refresh`, { timeout: 15000 });
    const fields = JSON.stringify({ grant_type: 'refresh_token', refresh_token: token });
    await page.goto(`${attackerUrl}/?action=${encodeURIComponent(`${appUrl}/auth/c/refresh`)}&fields=${encodeURIComponent(fields)}`);
    const response = await answered;
    expect(response.status()).to.equal(403);
    await page.waitForLoadState();
    expect(await page.locator('body').textContent()).to.contain('CSRF_FAILED');

    const sent = received.find((r) => r.method === 'POST' && r.url === '/auth/c/refresh')!;
    expect(sent.headers['sec-fetch-site'], 'what Chromium says of the forged post').to.equal('cross-site');
    expect(sent.headers.origin).to.equal(attackerUrl);
    const names = (await browserCookies()).map((c) => c.name);
    expect(names).not.to.include('rcauth');
    expect(names).not.to.include('rcauth_refresh');
  });

  it("a cross-site page auto-submitting the attacker's mfa_token and TOTP code to /2fa/verify: 403 CSRF_FAILED, no rcauth cookie, token and code unused", async () => {
    // The attacker's password step, outside the victim's browser: it stops for the second factor.
    const first = await fetch(`${appUrl}/auth/c/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'mfa-attacker@example.com', password: PASSWORD }),
    });
    expect(first.status).to.equal(200);
    const { mfa_token: mfaToken } = (await first.json()) as { mfa_token: string };
    const code = totpCode(attackerTotpSecret);

    const page = await chromium.newPage();
    const answered = page.waitForResponse((r) => r.url() === `${appUrl}/auth/2fa/verify`, { timeout: 15000 });
    const fields = JSON.stringify({ mfa_token: mfaToken, code });
    await page.goto(`${attackerUrl}/?action=${encodeURIComponent(`${appUrl}/auth/2fa/verify`)}&fields=${encodeURIComponent(fields)}`);
    expect((await answered).status()).to.equal(403);
    await page.waitForLoadState();
    expect(await page.locator('body').textContent()).to.contain('CSRF_FAILED');
    expect(received.find((r) => r.method === 'POST' && r.url === '/auth/2fa/verify')!.headers['sec-fetch-site']).to.equal('cross-site');
    expect((await browserCookies()).map((c) => c.name)).not.to.include('rcauth');

    // Refused before anything was checked or used: the attacker's own client still finishes with them.
    const own = await fetch(`${appUrl}/auth/2fa/verify`, { method: 'POST', body: new URLSearchParams({ mfa_token: mfaToken, code }) });
    expect(own.status).to.equal(204);
    expect(own.headers.getSetCookie().some((c) => c.startsWith('rcauth='))).to.equal(true);
  });

  it('the same-origin refresh still works in the browser: log in, refresh with the refresh cookie (204, a new session cookie)', async () => {
    const page = await appPage();
    expect(await sameOriginPost(page, '/auth/c/login', { username: 'owner@example.com', password: PASSWORD })).to.equal(204);
    const before = (await browserCookies()).find((c) => c.name === 'rcauth')!.value;
    expect(await sameOriginPost(page, '/auth/c/refresh')).to.equal(204);
    const sent = received.find((r) => r.url === '/auth/c/refresh')!;
    expect(sent.headers.cookie).to.contain('rcauth_refresh=');
    expect(sent.headers['sec-fetch-site']).to.equal('same-origin');
    const after = (await browserCookies()).find((c) => c.name === 'rcauth')!.value;
    expect(after).not.to.equal(before);
  });

  it('a __Host- cookie backend with refresh: the browser stores __Host-rc (Path=/) and __Secure-rc_refresh (its route), and refreshing works', async () => {
    const page = await appPage();
    expect(await sameOriginPost(page, '/auth/hc/login', { username: 'owner@example.com', password: PASSWORD })).to.equal(204);
    const stored = await chromium.context.cookies(`${appUrl}/auth/hc/refresh`);
    const session = stored.find((c) => c.name === '__Host-rc')!;
    const refresh = stored.find((c) => c.name === '__Secure-rc_refresh')!;
    expect(session).to.include({ path: '/', secure: true, httpOnly: true });
    expect(refresh).to.include({ path: '/auth/hc/refresh', secure: true, httpOnly: true, sameSite: 'Strict' });

    expect(await sameOriginPost(page, '/auth/hc/refresh')).to.equal(204);
    const sent = received.find((r) => r.url === '/auth/hc/refresh')!;
    expect(sent.headers.cookie, 'the browser sent the refresh cookie back').to.contain(`__Secure-rc_refresh=${refresh.value}`);
    const rotated = (await chromium.context.cookies(`${appUrl}/auth/hc/refresh`)).find((c) => c.name === '__Secure-rc_refresh')!;
    expect(rotated.value).not.to.equal(refresh.value);
    expect(await page.evaluate(() => fetch('/items/whoami').then((r) => r.json()))).to.deep.equal({ email: 'owner@example.com' });
  });

  it('social sign-in: the provider’s redirect to the callback arrives Sec-Fetch-Site cross-site, and the browser-bound state signs the user in', async () => {
    idp.accounts.set('social-owner', { email: 'social-owner@example.com', emailVerified: true });
    const page = await appPage();
    const { authorization_url } = (await page.evaluate(() => fetch('/auth/oidc/authorize').then((r) => r.json()))) as { authorization_url: string };
    await page.goto(authorization_url);
    await page.locator('input[name="login"]').fill('social-owner');
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]').click(); // consent
    await page.waitForURL(`${appUrl}/items/whoami`, { timeout: 15000 });
    expect(await page.locator('body').textContent()).to.contain('social-owner@example.com');

    const callback = received.find((r) => r.url.startsWith('/auth/oidc/callback?'))!;
    expect(callback.headers['sec-fetch-site'], 'what real Chromium sends after the provider’s redirect').to.equal('cross-site');
    expect(callback.status).to.equal(303);
  });

  it("the attacker's own callback URL (valid code and state) opened in the victim's browser: 400 OAUTH_INVALID_STATE, no rcauth cookie", async () => {
    idp.accounts.set('social-attacker', { email: 'social-attacker@example.com', emailVerified: true });
    const attackerBrowser = new Browser();
    const start = await attackerBrowser.get(`${appUrl}/auth/oidc/authorize`);
    const callbackUrl = await signInAt(attackerBrowser, start.json.authorization_url, 'social-attacker');
    expect(callbackUrl.startsWith(`${appUrl}/auth/oidc/callback?`)).to.equal(true);

    const page = await chromium.newPage();
    await page.goto(`${attackerUrl}/?action=about:blank`);
    const answered = page.waitForResponse((r) => r.url() === callbackUrl, { timeout: 15000 });
    await page.evaluate(`location.href = ${JSON.stringify(callbackUrl)}`);
    const response = await answered;
    expect(response.status()).to.equal(400);
    expect(await response.text()).to.contain('OAUTH_INVALID_STATE');
    expect((await browserCookies()).map((c) => c.name)).not.to.include('rcauth');
  });
});
