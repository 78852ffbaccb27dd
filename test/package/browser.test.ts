import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'fs';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import type { Page, Response } from 'playwright-core';
import { DEMO_USER, startExample, type RunningExample } from '../../examples/app';
import type { AuthEvent } from '../../src';
import { ARTIFACTS_DIR, launchChromium, type HeadlessChromium } from '../support/chromium';

/**
 * The example app driven by a real headless Chromium (Debian's, no download): Swagger UI's
 * password flow and "Try it out", the cookie login page, and forged requests from other origins.
 * A failing test leaves screenshots of its pages in test-artifacts/ (gitignored).
 */

const SECRET = 'browser-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
/** Where the docs page's screenshot is copied with UPDATE_SCREENSHOTS=1 (committed, shown by docs/openapi.md). */
const DOCS_SCREENSHOT = join(__dirname, '..', '..', '..', 'docs', 'openapi-swagger-ui.png');

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** The response to the next `method` request for exactly `url`. */
function nextResponse(page: Page, method: string, url: string): Promise<Response> {
  return page.waitForResponse((r) => r.url() === url && r.request().method() === method, { timeout: 15000 });
}

/** Expands an operation in Swagger UI, presses "Try it out" and "Execute"; returns the network response and the status the UI shows. */
async function tryItOut(page: Page, operationId: string, url: string): Promise<{ response: Response; shown: string; body: string }> {
  // Swagger UI escapes the dot of the operationId in the element's id.
  const operation = page.locator(`[id="operations-Items-${operationId.replace('.', '\\\\.')}"]`);
  await operation.locator('.opblock-summary').first().click();
  await operation.locator('button.try-out__btn').click();
  const response = nextResponse(page, 'GET', url);
  await operation.locator('button.execute').click();
  const live = operation.locator('.live-responses-table .response').first();
  await live.waitFor({ timeout: 15000 });
  return {
    response: await response,
    shown: ((await live.locator('.response-col_status').textContent()) ?? '').trim(),
    body: (await live.locator('.response-col_description').textContent()) ?? '',
  };
}

describe('example app in a real browser (headless Chromium)', function () {
  this.timeout(90000);
  let dir: string;
  let example: RunningExample;
  let url: string;
  let chromium: HeadlessChromium;
  const events: AuthEvent[] = [];
  /** Every request the app received, as it received it. */
  const receivedByApp: Array<{ method: string; url: string; headers: Record<string, string | string[] | undefined>; body: string }> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rca-browser-'));
    example = await startExample({ port: 0, database: join(dir, 'app.sqlite'), secret: SECRET, mailer: { send: () => undefined }, log: () => undefined });
    example.auth.events.on('event', (event: AuthEvent) => events.push(event));
    // The app's own view of each request and its answer: an opaque (no-cors) response's body is
    // hidden from the page and from the browser's devtools protocol alike.
    example.server.prependListener('request', (req, res) => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body: '' };
      receivedByApp.push(entry);
      const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        if (typeof chunk === 'string') entry.body = chunk;
        else if (Buffer.isBuffer(chunk)) entry.body = chunk.toString('utf8');
        return end(chunk, ...rest);
      }) as typeof res.end;
    });
    // The cookie is host-wide: the page runs on 127.0.0.1 so that "another origin" can be
    // 127.0.0.1 on another port (same site) or localhost (another site).
    url = example.url.replace('localhost', '127.0.0.1');
    chromium = await launchChromium();
  });

  beforeEach(async () => {
    await chromium.context.clearCookies();
    events.length = 0;
    receivedByApp.length = 0;
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
    await example?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('/docs: "Authorize" through the password flow asking for items:read only, then "Try it out": GET /items 200, the items:write route 403', async () => {
    const page = await chromium.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      // The 403 of the items:write route is logged by the browser as a failed load: expected.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    const externalRequests: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(`${url}/`) && !request.url().startsWith('data:')) externalRequests.push(request.url());
    });

    const docs = await page.goto(`${url}/docs`);
    expect(docs?.status()).to.equal(200);
    expect(docs?.headers()['content-security-policy']).to.contain("script-src 'self'");
    await page.locator('.opblock').first().waitFor({ timeout: 20000 });

    await page.locator('.auth-wrapper button.authorize').click();
    const jwt = page.locator('.auth-container').filter({ hasText: 'jwt (OAuth2, password)' });
    await jwt.locator('#oauth_username').fill(DEMO_USER.email);
    await jwt.locator('#oauth_password').fill(DEMO_USER.password);
    await jwt.locator('label[for="items:read-password-checkbox-jwt"]').click();
    const tokenResponse = nextResponse(page, 'POST', `${url}/auth/jwt/login`);
    await jwt.locator('button.authorize').click();
    const token = await tokenResponse;
    // Swagger UI's password flow is the OAuth2 form, as RFC 6749 §4.3.2 has it.
    expect(token.request().headers()['content-type']).to.contain('application/x-www-form-urlencoded');
    const form = new URLSearchParams(token.request().postData() ?? '');
    expect(form.get('grant_type')).to.equal('password');
    expect(form.get('username')).to.equal(DEMO_USER.email);
    expect(form.get('password')).to.equal(DEMO_USER.password);
    expect(form.get('scope')).to.equal('items:read');
    expect(token.status(), await token.text()).to.equal(200);
    await jwt.locator('button', { hasText: 'Logout' }).waitFor(); // Swagger UI holds the token
    await jwt.locator('button.btn-done').click();

    const list = await tryItOut(page, 'ItemsController.list', `${url}/items/`);
    expect(list.response.status()).to.equal(200);
    expect(list.response.request().headers().authorization).to.match(/^Bearer /);
    expect(list.shown).to.equal('200');
    expect(list.body).to.contain(DEMO_USER.email);

    const admin = await tryItOut(page, 'ItemsController.admin', `${url}/items/admin`);
    expect(admin.response.status()).to.equal(403);
    expect(admin.shown).to.equal('403');
    expect(admin.body).to.contain('INSUFFICIENT_SCOPE');

    await page.locator('.information-container').scrollIntoViewIfNeeded();
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const shot = join(ARTIFACTS_DIR, 'docs-swagger-ui.png');
    await page.screenshot({ path: shot, fullPage: false });
    if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(shot, DOCS_SCREENSHOT);

    expect(externalRequests, 'everything comes from the app (no CDN)').to.deep.equal([]);
    expect(consoleErrors, 'no CSP violation or script error').to.deep.equal([]);
  });

  it('the cookie login page: log in, see the protected data, log out; afterwards the data answers 401', async () => {
    const page = await chromium.newPage();
    await page.goto(`${url}/`);
    const out = page.locator('#out');
    await out.filter({ hasText: 'GET /items → 401' }).waitFor(); // no session yet

    await page.locator('input[name="password"]').fill(DEMO_USER.password);
    await page.locator('#login button[type="submit"]').click();
    await out.filter({ hasText: 'GET /items → 200' }).waitFor();
    expect(await out.textContent()).to.contain(`"owner": "${DEMO_USER.email}"`);
    const session = (await chromium.context.cookies(url)).find((c) => c.name === 'rcauth');
    expect(session?.httpOnly).to.equal(true);
    expect(session?.sameSite).to.equal('Lax');
    expect(await page.evaluate('document.cookie'), 'the page cannot read the HttpOnly cookie').not.to.contain('rcauth');

    await page.locator('#logout').click();
    await out.filter({ hasText: 'Logged out.' }).waitFor();
    await page.locator('#items').click();
    await out.filter({ hasText: 'GET /items → 401' }).waitFor();
    expect(await out.textContent()).to.contain('"code": "UNAUTHORIZED"');
    expect(events.filter((e) => e.type === 'logout')).to.have.length(1);
  });

  describe('forged requests from another origin, the user logged in on the app', () => {
    let attacker: Server;
    let attackerPort: number;

    before(async () => {
      // The attacker's page: a credentialed no-cors fetch (a "simple" request: no preflight)
      // to a protected unsafe route at once, and a form to the app's logout (the test submits it).
      attacker = createServer((req, res) => {
        const target = new URL(req.url ?? '/', 'http://x').searchParams.get('target') ?? '';
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end(`<!doctype html><meta charset="utf-8"><title>forged</title>
<form method="post"><input name="x" value="1"></form>
<script>
  const target = ${JSON.stringify(target)};
  document.forms[0].action = target + '/auth/cookie/logout';
  fetch(target + '/items', { method: 'POST', mode: 'no-cors', credentials: 'include', body: new URLSearchParams({ name: 'forged' }) });
</script>`);
      });
      attackerPort = await listen(attacker);
    });

    after(async () => {
      attacker.closeAllConnections();
      await new Promise<void>((resolve) => attacker.close(() => resolve()));
    });

    async function logIn(): Promise<Page> {
      const page = await chromium.newPage();
      await page.goto(`${url}/`);
      await page.locator('input[name="password"]').fill(DEMO_USER.password);
      await page.locator('#login button[type="submit"]').click();
      await page.locator('#out').filter({ hasText: 'GET /items → 200' }).waitFor();
      return page;
    }

    interface Forged {
      response: Response;
      /** The request's headers as the app received them (cookies included). */
      headers: Record<string, string | string[] | undefined>;
      /** The app's answer. */
      body: string;
    }

    /** What the browser sent and the app answered, read before the page navigates away. */
    async function seen(response: Promise<Response>, method: string, path: string): Promise<Forged> {
      const r = await response;
      const received = [...receivedByApp].reverse().find((q) => q.method === method && q.url === path);
      return { response: r, headers: received?.headers ?? {}, body: received?.body ?? '' };
    }

    async function forge(attackerOrigin: string): Promise<{ fetch: Forged; form: Forged; formPage: Page }> {
      const page = await chromium.newPage();
      const fetched = seen(nextResponse(page, 'POST', `${url}/items`), 'POST', '/items');
      await page.goto(`${attackerOrigin}/?target=${encodeURIComponent(url)}`);
      const fetch = await fetched;
      const posted = seen(nextResponse(page, 'POST', `${url}/auth/cookie/logout`), 'POST', '/auth/cookie/logout');
      await page.evaluate('document.forms[0].submit()');
      return { fetch, form: await posted, formPage: page };
    }

    async function sessionAlive(page: Page): Promise<number> {
      return page.evaluate(() => fetch('/items', { credentials: 'same-origin' }).then((r) => r.status));
    }

    it('same site, other origin (http://127.0.0.1:PORT2): the browser sends the SameSite=Lax cookie and the app answers 403 CSRF_FAILED to both', async () => {
      const app = await logIn();
      const { fetch, form, formPage } = await forge(`http://127.0.0.1:${attackerPort}`);

      expect(fetch.headers.cookie, 'same site: the cookie goes along').to.contain('rcauth=');
      expect(fetch.headers.origin).to.equal(`http://127.0.0.1:${attackerPort}`);
      expect(fetch.response.status()).to.equal(403);
      expect(JSON.parse(fetch.body).code).to.equal('CSRF_FAILED');

      expect(form.headers.cookie).to.contain('rcauth=');
      expect(form.headers['sec-fetch-site']).to.equal('same-site');
      expect(form.response.status()).to.equal(403);
      expect(JSON.parse(form.body).code).to.equal('CSRF_FAILED');
      await formPage.waitForLoadState();
      expect(await formPage.locator('body').textContent(), 'the forged form lands on the refusal').to.contain('CSRF_FAILED');

      expect(
        events.filter((e) => e.type === 'logout'),
        'nobody was logged out',
      ).to.deep.equal([]);
      expect(await sessionAlive(app)).to.equal(200);
    });

    it('another site (http://localhost:PORT2): the browser withholds the cookie, neither request succeeds, the session lives on', async () => {
      const app = await logIn();
      const { fetch, form } = await forge(`http://localhost:${attackerPort}`);

      expect(fetch.headers['sec-fetch-site']).to.equal('cross-site');
      expect(fetch.headers.cookie ?? '', 'cross-site: no cookie').not.to.contain('rcauth=');
      expect(fetch.response.status()).to.equal(401);
      expect(JSON.parse(fetch.body).code).to.equal('UNAUTHORIZED');
      expect(form.headers.cookie ?? '').not.to.contain('rcauth=');
      // A browser asking for HTML without a session is sent to the login page (the example's onUnauthenticated).
      expect(form.response.status()).to.equal(303);
      expect(form.response.headers().location).to.equal('/?next=/account');

      expect(
        events.filter((e) => e.type === 'logout'),
        'nobody was logged out',
      ).to.deep.equal([]);
      expect(await sessionAlive(app)).to.equal(200);
    });
  });
});
