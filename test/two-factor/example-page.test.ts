/**
 * The example page's "Set up 2FA" in a real headless Chromium: enrol TOTP (the QR code shown, the
 * recovery codes listed), log out, and log in again through the code prompt.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startExample, type RunningExample } from '../../examples/app';
import { launchChromium, type HeadlessChromium } from '../support/chromium';
import { totpCode } from '../support/two-factor';

const SECRET = 'example-2fa-browser-secret-0123456789-abcdefghijkl';
const EMAIL = 'two-factor@example.com';
const PASSWORD = 'a long passphrase for the 2FA page';

describe('example page: "Set up 2FA" in a real browser (headless Chromium)', function () {
  this.timeout(90_000);
  let dir: string;
  let example: RunningExample;
  let chromium: HeadlessChromium;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rca-2fa-page-'));
    example = await startExample({ port: 0, database: join(dir, 'app.sqlite'), secret: SECRET, mailer: { send: () => undefined }, log: () => undefined });
    await example.auth.userManager.create({ email: EMAIL, password: PASSWORD, scopes: ['items:read'] }, { safe: false });
    url = example.url.replace('localhost', '127.0.0.1');
    chromium = await launchChromium();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      const saved = await chromium.screenshotAll(this.currentTest.fullTitle());
      if (saved.length > 0) console.log(`    screenshots: ${saved.join(', ')}`);
    }
  });
  after(async () => {
    await chromium?.close();
    await example?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrols TOTP with the QR code, shows 10 recovery codes, and the next login asks for the code', async () => {
    const page = await chromium.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${url}/`);
    const out = page.locator('#out');
    await page.locator('input[name="username"]').fill(EMAIL);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.locator('#login button[type="submit"]').click();
    await out.filter({ hasText: 'GET /items → 200' }).waitFor();

    await page.locator('#setup-2fa').click();
    await page.locator('#enrol').waitFor({ state: 'visible' });
    const secret = (await page.locator('#totp-secret').textContent())!;
    expect(secret).to.match(/^[A-Z2-7]{32}$/);
    // The QR code is an image the browser decoded (an SVG data URL), not markup in the page.
    const qr = page.locator('#qr');
    expect(await qr.getAttribute('src')).to.match(/^data:image\/svg\+xml/);
    await page.waitForFunction("document.getElementById('qr').naturalWidth > 0");
    expect(await page.locator('#enrol svg').count()).to.equal(0);

    await page.locator('#confirm-2fa input[name="code"]').fill(totpCode(secret, -1));
    await page.locator('#confirm-2fa button[type="submit"]').click();
    await page.locator('#recovery').waitFor({ state: 'visible' });
    const codes = await page.locator('#recovery-codes li').allTextContents();
    expect(codes).to.have.length(10);
    for (const code of codes) expect(code).to.match(/^[0-9a-z]{5}-[0-9a-z]{5}$/);

    await page.locator('#logout').click();
    await out.filter({ hasText: 'Logged out.' }).waitFor();
    await page.locator('#login button[type="submit"]').click();
    await page.locator('#second-factor').waitFor({ state: 'visible' });
    expect(await out.textContent()).to.contain('"mfa_required": true');
    expect((await chromium.context.cookies(url)).filter((c) => c.name === 'rcauth')).to.deep.equal([]);
    await page.locator('#second-factor input[name="code"]').fill(totpCode(secret, 0));
    await page.locator('#second-factor button[type="submit"]').click();
    await out.filter({ hasText: 'GET /items → 200' }).waitFor();
    expect((await chromium.context.cookies(url)).some((c) => c.name === 'rcauth')).to.equal(true);
    expect(pageErrors).to.deep.equal([]);
  });
});
