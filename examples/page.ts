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
 * `GET /items`, refreshes the session (the refresh cookie), lists its sessions and ends them, logs out. Same-origin `fetch`, so the browser's `Origin` header passes the
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
<!--social-->
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
  async function call(method, path, body) {
    const response = await fetch(path, { method, body, credentials: 'same-origin' });
    const text = await response.text();
    let shown = text;
    let data = null;
    try { data = JSON.parse(text); shown = JSON.stringify(data, null, 2); } catch (_) { /* not JSON (204 has no body) */ }
    out.textContent = method + ' ' + path + ' → ' + response.status + '\\n' + shown;
    return { status: response.status, data };
  }
  document.getElementById('login').addEventListener('submit', async (event) => {
    event.preventDefault();
    // URLSearchParams: the OAuth2 password form (application/x-www-form-urlencoded).
    const response = await call('POST', '/auth/cookie/login', new URLSearchParams(new FormData(event.target)));
    if (response.status === 204) await call('GET', '/items');
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
  document.getElementById('passkey-login').addEventListener('click', async () => {
    const options = await postJson('/auth/passkeys/login/options', {});
    if (options.status !== 200) return;
    const o = options.data;
    let credential;
    try {
      credential = await navigator.credentials.get({ publicKey: { ...o, challenge: fromB64url(o.challenge), allowCredentials: descriptors(o.allowCredentials) } });
    } catch (error) { out.textContent = 'The browser refused: ' + error.name + ': ' + error.message; return; }
    const r = credential.response;
    const login = await postJson('/auth/passkeys/login', { response: {
      id: credential.id, rawId: toB64url(credential.rawId), type: credential.type, authenticatorAttachment: credential.authenticatorAttachment,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toB64url(r.clientDataJSON), authenticatorData: toB64url(r.authenticatorData), signature: toB64url(r.signature),
        userHandle: r.userHandle ? toB64url(r.userHandle) : undefined },
    } });
    if (login.status === 204) await call('GET', '/items');
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
