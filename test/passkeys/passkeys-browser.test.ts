/**
 * Passkeys in a real headless Chromium with a CDP virtual authenticator (CTAP2, internal,
 * resident keys, user verification), through the example page's buttons: register a passkey, log
 * out, sign in with it; the same page on another origin refused; a cloned authenticator whose
 * sign counter is behind refused. A failing test leaves screenshots in test-artifacts/.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'fs';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import type { CDPSession, Page } from 'playwright-core';
import { DEMO_USER, startExample, type RunningExample } from '../../examples/app';
import { Passkey, WebAuthnSecondFactor, type AuthEvent } from '../../src';
import { launchChromium, type HeadlessChromium } from '../support/chromium';

const SECRET = 'passkey-browser-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

/** A page with its own virtual authenticator (CDP `WebAuthn` domain). */
async function withAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/** The text of the page's result box once it contains `expected`. */
async function resultContaining(page: Page, expected: string): Promise<string> {
  await page.locator('#out').filter({ hasText: expected }).waitFor({ timeout: 15000 });
  return (await page.locator('#out').textContent()) ?? '';
}

/** `navigator.credentials.get()` in the page for request options (JSON), answered as AuthenticationResponseJSON. */
function assertInPage(page: Page, options: unknown): Promise<any> {
  return page.evaluate(async (o: any) => {
    const fromB64url = (text: string) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const toB64url = (buffer: ArrayBuffer) =>
      btoa(String.fromCharCode(...new Uint8Array(buffer)))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '');
    const nav = (globalThis as any).navigator;
    const credential = await nav.credentials.get({
      publicKey: { ...o, challenge: fromB64url(o.challenge), allowCredentials: (o.allowCredentials ?? []).map((c: any) => ({ ...c, id: fromB64url(c.id) })) },
    });
    const r = credential.response;
    return {
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: toB64url(r.clientDataJSON),
        authenticatorData: toB64url(r.authenticatorData),
        signature: toB64url(r.signature),
        userHandle: r.userHandle ? toB64url(r.userHandle) : undefined,
      },
    };
  }, options);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

describe('passkeys in a real browser (headless Chromium, CDP virtual authenticator)', function () {
  this.timeout(90000);
  let dir: string;
  let example: RunningExample;
  let chromium: HeadlessChromium;
  let otherOrigin: Server;
  const events: AuthEvent[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rca-passkeys-browser-'));
    example = await startExample({ port: 0, database: join(dir, 'app.sqlite'), secret: SECRET, mailer: { send: () => undefined }, log: () => undefined });
    example.auth.events.on('event', (event: AuthEvent) => events.push(event));
    // The same app on another port: another origin (http://localhost:<other>) under the same RP ID.
    otherOrigin = createServer(example.app);
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
    otherOrigin?.closeAllConnections();
    await new Promise((resolve) => otherOrigin?.close(resolve));
    await example?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let credential: VirtualCredential;

  it('log in with the password, "Add a passkey", log out, "Sign in with a passkey": signed in again, amr hwk + mfa', async () => {
    const page = await chromium.newPage();
    const { cdp, authenticatorId } = await withAuthenticator(page);
    await page.goto(`${example.url}/`);
    expect(await page.evaluate(() => (globalThis as { isSecureContext?: boolean }).isSecureContext), 'http://localhost is a secure context').to.equal(true);
    await page.locator('input[name="password"]').fill(DEMO_USER.password);
    await page.locator('#login button[type="submit"]').click();
    await resultContaining(page, 'GET /items → 200');

    await page.locator('#add-passkey').click();
    const registered = await resultContaining(page, 'POST /auth/passkeys/register → 201');
    expect(registered).to.contain('"name": "This browser"');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).to.have.length(1);
    expect(credentials[0]).to.include({ isResidentCredential: true, rpId: 'localhost' });
    const [stored] = await example.dataSource.getRepository(Passkey).find();
    expect(stored.credentialId).to.equal(credentials[0].credentialId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));

    await page.locator('#logout').click();
    await resultContaining(page, 'Logged out.');
    expect((await page.context().cookies()).find((c) => c.name === 'rcauth')).to.equal(undefined);

    events.length = 0;
    await page.locator('#passkey-login').click();
    const signedIn = await resultContaining(page, 'GET /items → 200');
    expect(signedIn).to.contain(DEMO_USER.email);
    const login = events.find((e) => e.type === 'login.succeeded');
    expect(login).to.include({ backend: 'cookie' });
    const cookie = (await page.context().cookies()).find((c) => c.name === 'rcauth');
    expect(cookie, 'the cookie backend set its session cookie').not.to.equal(undefined);
    const grant = await example.auth.getBackend('cookie').strategy.read(cookie!.value);
    expect(grant).to.deep.include({ amr: ['hwk', 'mfa'] });
    const used = await example.dataSource.getRepository(Passkey).findOneByOrFail({ id: stored.id });
    expect(used.counter).to.be.greaterThan(0);
    expect(used.lastUsedAt).to.be.instanceOf(Date);

    ({
      credentials: [credential],
    } = await cdp.send('WebAuthn.getCredentials', { authenticatorId }));
    await page.close();
  });

  it('the page served from another origin (another port) signs in nowhere: 400 PASSKEY_INVALID', async () => {
    expect(credential, 'the first test registered a passkey').not.to.equal(undefined);
    const port = await listen(otherOrigin);
    const page = await chromium.newPage();
    const { cdp, authenticatorId } = await withAuthenticator(page);
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credential, signCount: credential.signCount + 10 } });
    await chromium.context.clearCookies();
    await page.goto(`http://localhost:${port}/`);
    await resultContaining(page, 'GET /items → 401');
    await page.locator('#passkey-login').click();
    const refused = await resultContaining(page, 'POST /auth/passkeys/login → 400');
    expect(refused).to.contain('PASSKEY_INVALID');
    expect((await page.context().cookies()).find((c) => c.name === 'rcauth')).to.equal(undefined);
    await page.close();
  });

  it('a clone of the authenticator with its sign counter behind: 400 PASSKEY_INVALID (counter went backwards)', async () => {
    const page = await chromium.newPage();
    const { cdp, authenticatorId } = await withAuthenticator(page);
    // signCount 0: the clone's next assertion says 1, not ahead of what the server stored.
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credential, signCount: 0 } });
    await chromium.context.clearCookies();
    await page.goto(`${example.url}/`);
    await resultContaining(page, 'GET /items → 401');
    await page.locator('#passkey-login').click();
    const refused = await resultContaining(page, 'POST /auth/passkeys/login → 400');
    expect(refused).to.contain('PASSKEY_INVALID').and.to.contain('sign counter went backwards');

    // The genuine authenticator, ahead of the stored counter, still signs in.
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: credential.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credential, signCount: credential.signCount + 20 } });
    await page.locator('#passkey-login').click();
    expect(await resultContaining(page, 'GET /items → 200')).to.contain(DEMO_USER.email);
    await page.close();
  });

  it('as a second factor: begin on the server, navigator.credentials.get() in the page, verify: amr hwk, once', async () => {
    const page = await chromium.newPage();
    const { cdp, authenticatorId } = await withAuthenticator(page);
    const [stored] = await example.dataSource.getRepository(Passkey).find();
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credential, signCount: stored.counter + 100 } });
    await page.goto(`${example.url}/`);
    const user = (await example.auth.userManager.getByEmail(DEMO_USER.email))!;
    const factor = new WebAuthnSecondFactor(example.auth.context.passkeys!);
    expect(await factor.isEnrolled(user)).to.equal(true);
    const options = await factor.begin(user);
    expect(options.allowCredentials?.map((c) => c.id)).to.deep.equal([stored.credentialId]);
    const proof = await assertInPage(page, options);
    expect(await factor.verify(user, proof)).to.deep.equal({ amr: ['hwk'] });
    const replayed = await factor.verify(user, proof).then(
      () => 'accepted',
      (error: { code?: string }) => error.code,
    );
    expect(replayed).to.equal('PASSKEY_INVALID');
    await page.close();
  });

  it('the page as a second factor: a password login stops at mfa_required (webauthn offered), "Use a passkey instead" finishes it: amr pwd + hwk', async () => {
    expect(credential, 'the first test registered a passkey').not.to.equal(undefined);
    const page = await chromium.newPage();
    const { cdp, authenticatorId } = await withAuthenticator(page);
    const [stored] = await example.dataSource.getRepository(Passkey).find();
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credential, signCount: stored.counter + 200 } });
    await page.context().clearCookies(); // signed out: the earlier tests' session is not this one
    await page.goto(`${example.url}/`);
    await page.locator('input[name="password"]').fill(DEMO_USER.password);
    await page.locator('#login button[type="submit"]').click();
    const stopped = await resultContaining(page, 'POST /auth/cookie/login → 200');
    expect(JSON.parse(stopped.slice(stopped.indexOf('{')))).to.deep.include({ mfa_required: true, methods: ['webauthn'] });
    expect(
      (await page.context().cookies()).find((c) => c.name === 'rcauth'),
      'nothing issued before the second factor',
    ).to.equal(undefined);

    events.length = 0;
    await page.locator('#passkey-factor').click();
    expect(await resultContaining(page, 'GET /items → 200')).to.contain(DEMO_USER.email);
    expect(events.filter((e) => e.type === 'login.succeeded')).to.have.length(1);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'rcauth');
    expect(cookie, 'the second factor finished the login with the session cookie').not.to.equal(undefined);
    expect(await example.auth.getBackend('cookie').strategy.read(cookie!.value)).to.deep.include({ amr: ['pwd', 'hwk'] });
    await page.close();
  });

  it('user verification missing on a passwordless sign-in (the page asked the authenticator for none): 400 PASSKEY_INVALID', async () => {
    const page = await chromium.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    // An authenticator whose user verification fails: asked for none, it answers with user presence only (UV flag 0).
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: false,
        automaticPresenceSimulation: true,
      },
    });
    const [stored] = await example.dataSource.getRepository(Passkey).find();
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...credential, signCount: stored.counter + 200 } });
    await page.goto(`${example.url}/`);
    const options = await page.evaluate(
      async () => (await (await fetch('/auth/passkeys/login/options', { method: 'POST' })).json()) as Record<string, unknown>,
    );
    expect(options.userVerification).to.equal('required');
    // The page (a tampering client) asks for no verification, naming the credential.
    const assertion = await assertInPage(page, {
      ...options,
      userVerification: 'discouraged',
      allowCredentials: [{ id: stored.credentialId, type: 'public-key' }],
    });
    const flags = Buffer.from(assertion.response.authenticatorData, 'base64url')[32];
    expect(flags & 0x04, 'the authenticator did not verify the user').to.equal(0);
    const answer = await page.evaluate(
      async (response) =>
        (await (
          await fetch('/auth/passkeys/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response }) })
        ).json()) as { code?: string; status?: number },
      assertion,
    );
    expect(answer.code).to.equal('PASSKEY_INVALID');
    await page.close();
  });
});
