import { Token } from 'typedi';

export interface PageOptions {
  /** Shows "Sign in with a local provider" (the example runs one with `OIDC_DEMO=1`). */
  socialLogin: boolean;
}

/** The typedi token the page controller reads its options from. */
export const PAGE_OPTIONS = new Token<PageOptions>('routing-controllers-auth-example:page');

const SOCIAL_LOGIN = `<p><button type="button" id="social">Sign in with a local provider</button>
(a local OpenID provider: type any name at its login page; a verified email is made up for it)</p>`;

const SOCIAL_LOGIN_SCRIPT = `
  document.getElementById('social').addEventListener('click', async () => {
    // The app answers with the provider's URL and sets an HttpOnly state cookie; the callback
    // signs in through the cookie backend and redirects to /account.
    const response = await fetch('/auth/local/authorize', { credentials: 'same-origin' });
    const body = await response.json();
    if (response.status === 200) location.assign(body.authorization_url);
    else out.textContent = 'GET /auth/local/authorize → ' + response.status + '\\n' + JSON.stringify(body, null, 2);
  });`;

/**
 * The example's one HTML page: logs in through the cookie backend, calls the protected
 * `GET /items`, refreshes the session (the refresh cookie), lists its sessions and ends them, sets up
 * TOTP ("Set up 2FA": the QR code and the recovery codes) and finishes a login with a code, logs out.
 * Same-origin `fetch`, so the browser's `Origin` header passes the
 * cookie transport's CSRF check. Output is written with `textContent`, never as HTML.
 */
export function examplePage(options: PageOptions): string {
  return PAGE.replace('<!--social-->', options.socialLogin ? SOCIAL_LOGIN : '').replace('//social', options.socialLogin ? SOCIAL_LOGIN_SCRIPT : '');
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>routing-controllers-auth example</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  label { display: block; margin: .5rem 0; }
  input { font: inherit; width: 100%; box-sizing: border-box; }
  button { font: inherit; margin: .5rem .5rem 0 0; }
  pre { background: #f4f4f4; padding: 1rem; white-space: pre-wrap; word-break: break-all; }
  #sessions li { margin: .25rem 0; }
  #qr { width: 12rem; height: 12rem; display: block; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<h1>routing-controllers-auth example</h1>
<p>Log in with the demo user printed in the terminal. The session is an <code>HttpOnly</code> cookie
(<code>POST /auth/cookie/login</code>); this page cannot read it, only use it.
The API's interactive docs are at <a href="/docs">/docs</a>.</p>
<form id="login">
  <label>Email <input name="username" type="email" autocomplete="username" value="demo@example.com" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
  <button type="button" id="items">GET /items</button>
  <button type="button" id="admin">GET /items/admin</button>
  <button type="button" id="refresh">Refresh the session</button>
  <button type="button" id="logout">Log out</button>
</form>
<form id="second-factor" hidden>
  <p>This account has a second factor: enter the code of your authenticator app (or a recovery code).</p>
  <label>Code <input name="code" autocomplete="one-time-code" inputmode="text" required></label>
  <button type="submit">Verify</button>
  <button type="button" id="passkey-factor" hidden>Use a passkey instead</button>
</form>
<!--social-->
<h2>Two-factor authentication</h2>
<p>Add a TOTP authenticator app (any RFC 6238 app) as a second factor. It needs a recent login, or the password in the form above.</p>
<button type="button" id="setup-2fa">Set up 2FA</button>
<div id="enrol" hidden>
  <p>Scan this code with the app (or type the secret <code id="totp-secret"></code>), then enter the code it shows.</p>
  <img id="qr" alt="QR code of the authenticator secret">
  <form id="confirm-2fa">
    <label>Code from the app <input name="code" autocomplete="one-time-code" inputmode="numeric" required></label>
    <button type="submit">Confirm</button>
  </form>
</div>
<div id="recovery" hidden>
  <p>2FA is on. Keep these single-use recovery codes somewhere safe: they are shown only now.</p>
  <ul id="recovery-codes"></ul>
</div>
<h2>Passkeys</h2>
<p>Log in, then add a passkey (this device's authenticator, or a phone); after logging out, sign in with it:
no email, no password (<code>/auth/passkeys</code>, WebAuthn). Open this page at <code>http://localhost</code>:
passkeys are bound to that name.</p>
<button type="button" id="add-passkey">Add a passkey</button>
<button type="button" id="passkey-login">Sign in with a passkey</button>
<button type="button" id="list-passkeys">List my passkeys</button>
<h2>Sessions</h2>
<p>Each login is a session with a refresh token (<code>POST /auth/cookie/refresh</code> rotates it).
Log in from another browser to see two; end any of them here.</p>
<button type="button" id="list-sessions">List my sessions</button>
<button type="button" id="end-others">End all other sessions</button>
<ul id="sessions"></ul>
<h2>Result</h2>
<pre id="out">…</pre>
<script>
  const out = document.getElementById('out');
  async function call(method, path, body, headers) {
    const response = await fetch(path, { method, body, headers, credentials: 'same-origin' });
    const text = await response.text();
    let shown = text;
    let data = null;
    try { data = JSON.parse(text); shown = JSON.stringify(data, null, 2); } catch (_) { /* not JSON (204 has no body) */ }
    out.textContent = method + ' ' + path + ' → ' + response.status + '\\n' + shown;
    return { status: response.status, data };
  }
  const json = (body) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  async function post(path, body) {
    const init = json(body);
    return call(init.method, path, init.body, init.headers);
  }
  let mfaToken = null;
  let passkeyFactorOptions = null;
  const secondFactor = document.getElementById('second-factor');
  document.getElementById('login').addEventListener('submit', async (event) => {
    event.preventDefault();
    // URLSearchParams: the OAuth2 password form (application/x-www-form-urlencoded).
    const response = await call('POST', '/auth/cookie/login', new URLSearchParams(new FormData(event.target)));
    if (response.status === 204) await call('GET', '/items');
    // A second factor is on: nothing was issued yet; POST /auth/2fa/verify finishes the login.
    if (response.status === 200 && response.data && response.data.mfa_required) {
      mfaToken = response.data.mfa_token;
      // A passkey is one of the user's factors: the answer carries its request options.
      passkeyFactorOptions = response.data.methods.includes('webauthn') ? response.data.webauthn : null;
      document.getElementById('passkey-factor').hidden = passkeyFactorOptions === null;
      secondFactor.hidden = false;
    }
  });
  secondFactor.addEventListener('submit', async (event) => {
    event.preventDefault();
    const given = new FormData(event.target).get('code').trim();
    // Six digits: a TOTP code; anything else: a recovery code.
    const proof = /^[0-9]{6}$/.test(given) ? { code: given } : { recovery_code: given };
    const response = await post('/auth/2fa/verify', Object.assign({ mfa_token: mfaToken }, proof));
    if (response.status === 204) {
      secondFactor.hidden = true;
      await call('GET', '/items');
    }
  });
  document.getElementById('setup-2fa').addEventListener('click', async () => {
    const password = document.querySelector('#login [name=password]').value;
    const response = await post('/auth/2fa/totp', password ? { currentPassword: password } : {});
    if (response.status !== 200) return;
    // An <img> of the SVG: the picture is shown, never run as part of the page.
    document.getElementById('qr').src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(response.data.qrSvg);
    document.getElementById('totp-secret').textContent = response.data.secret;
    document.getElementById('enrol').hidden = false;
  });
  document.getElementById('confirm-2fa').addEventListener('submit', async (event) => {
    event.preventDefault();
    const response = await post('/auth/2fa/totp/confirm', { code: new FormData(event.target).get('code').trim() });
    if (response.status !== 200) return;
    document.getElementById('enrol').hidden = true;
    const codes = document.getElementById('recovery-codes');
    codes.replaceChildren(...response.data.recovery_codes.map((code) => {
      const item = document.createElement('li');
      item.textContent = code;
      return item;
    }));
    document.getElementById('recovery').hidden = false;
  });
  document.getElementById('items').addEventListener('click', () => call('GET', '/items'));
  document.getElementById('refresh').addEventListener('click', () => call('POST', '/auth/cookie/refresh'));
  const list = document.getElementById('sessions');
  async function listSessions() {
    const response = await call('GET', '/auth/sessions');
    list.replaceChildren();
    if (response.status !== 200) return;
    for (const session of response.data) {
      const item = document.createElement('li');
      item.textContent = session.backend + ' · ' + (session.userAgent || 'unknown client') + ' · ' + (session.ip || '?') +
        ' · since ' + new Date(session.createdAt).toLocaleString() + (session.current ? ' (this one)' : '') + ' ';
      const end = document.createElement('button');
      end.type = 'button';
      end.textContent = 'End';
      end.addEventListener('click', async () => {
        await call('DELETE', '/auth/sessions/' + encodeURIComponent(session.id));
        await listSessions();
      });
      item.append(end);
      list.append(item);
    }
  }
  document.getElementById('list-sessions').addEventListener('click', listSessions);
  document.getElementById('end-others').addEventListener('click', async () => {
    await call('DELETE', '/auth/sessions');
    await listSessions();
  });
  document.getElementById('admin').addEventListener('click', () => call('GET', '/items/admin'));
  document.getElementById('logout').addEventListener('click', async () => {
    const response = await call('POST', '/auth/cookie/logout');
    if (response.status === 204) out.textContent += '\\nLogged out.';
  });
  // WebAuthn speaks ArrayBuffers; the API speaks JSON with base64url: converted here, by hand,
  // so the page needs no library (browsers' parse…FromJSON / toJSON are not everywhere yet).
  const fromB64url = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const toB64url = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const postJson = (path, body) => call('POST', path, new Blob([JSON.stringify(body)], { type: 'application/json' }));
  const descriptors = (list) => (list || []).map((c) => ({ ...c, id: fromB64url(c.id) }));
  document.getElementById('add-passkey').addEventListener('click', async () => {
    const options = await postJson('/auth/passkeys/register/options', {});
    if (options.status !== 200) return;
    const o = options.data;
    let credential;
    try {
      credential = await navigator.credentials.create({ publicKey: {
        ...o, challenge: fromB64url(o.challenge), user: { ...o.user, id: fromB64url(o.user.id) }, excludeCredentials: descriptors(o.excludeCredentials),
      } });
    } catch (error) { out.textContent = 'The browser refused: ' + error.name + ': ' + error.message; return; }
    const r = credential.response;
    await postJson('/auth/passkeys/register', { name: 'This browser', response: {
      id: credential.id, rawId: toB64url(credential.rawId), type: credential.type, authenticatorAttachment: credential.authenticatorAttachment,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toB64url(r.clientDataJSON), attestationObject: toB64url(r.attestationObject), transports: r.getTransports ? r.getTransports() : [] },
    } });
  });
  /** navigator.credentials.get() with the server's request options; the assertion as JSON, or null when the browser refused. */
  async function assertion(o) {
    let credential;
    try {
      credential = await navigator.credentials.get({ publicKey: { ...o, challenge: fromB64url(o.challenge), allowCredentials: descriptors(o.allowCredentials) } });
    } catch (error) { out.textContent = 'The browser refused: ' + error.name + ': ' + error.message; return null; }
    const r = credential.response;
    return {
      id: credential.id, rawId: toB64url(credential.rawId), type: credential.type, authenticatorAttachment: credential.authenticatorAttachment,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toB64url(r.clientDataJSON), authenticatorData: toB64url(r.authenticatorData), signature: toB64url(r.signature),
        userHandle: r.userHandle ? toB64url(r.userHandle) : undefined },
    };
  }
  document.getElementById('passkey-login').addEventListener('click', async () => {
    const options = await postJson('/auth/passkeys/login/options', {});
    if (options.status !== 200) return;
    const response = await assertion(options.data);
    if (!response) return;
    const login = await postJson('/auth/passkeys/login', { response });
    if (login.status === 204) await call('GET', '/items');
  });
  document.getElementById('passkey-factor').addEventListener('click', async () => {
    const webauthn = await assertion(passkeyFactorOptions);
    if (!webauthn) return;
    const response = await postJson('/auth/2fa/verify', { mfa_token: mfaToken, webauthn });
    if (response.status === 204) {
      secondFactor.hidden = true;
      await call('GET', '/items');
    }
  });
  document.getElementById('list-passkeys').addEventListener('click', () => call('GET', '/auth/passkeys'));
  //social
  call('GET', '/items'); // 200 when a session cookie is still valid, 401 otherwise
</script>
</body>
</html>
`;

/** The page without social login. */
export const EXAMPLE_PAGE = examplePage({ socialLogin: false });
