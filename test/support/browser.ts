/**
 * A small browser for driving redirect flows: fetch with a cookie jar, redirects followed by
 * hand so tests can stop at (and tamper with) any hop. Cookies follow the browser rules the
 * flows rely on: host-wide regardless of port, path-matched, expiry honoured, and `Secure`
 * cookies sent to loopback over http (as browsers treat localhost as a secure context).
 */
export interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: string | undefined;
  expiresAt: number | undefined;
}

export interface BrowserResponse {
  status: number;
  url: string;
  headers: Headers;
  text: string;
  json: any;
  location: string | undefined;
}

export class Browser {
  readonly cookies: StoredCookie[] = [];

  /** Headers sent with every request (e.g. an Authorization header). */
  constructor(public extraHeaders: Record<string, string> = {}) {}

  async get(url: string, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    return this.request('GET', url, undefined, headers);
  }

  async postForm(url: string, form: Record<string, string>): Promise<BrowserResponse> {
    return this.request('POST', url, new URLSearchParams(form).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
  }

  async request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    const cookie = this.cookieHeader(url);
    const response = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: { ...this.extraHeaders, ...headers, ...(cookie ? { cookie } : {}) },
    });
    for (const line of response.headers.getSetCookie()) this.store(url, line);
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const location = response.headers.get('location');
    return { status: response.status, url, headers: response.headers, text, json, location: location ? new URL(location, url).toString() : undefined };
  }

  cookie(name: string): StoredCookie | undefined {
    return this.cookies.find((c) => c.name === name && (c.expiresAt === undefined || c.expiresAt > Date.now()));
  }

  setCookie(cookie: StoredCookie): void {
    this.remove(cookie.name, cookie.host, cookie.path);
    this.cookies.push({ ...cookie });
  }

  cookieHeader(url: string): string {
    const { hostname, pathname } = new URL(url);
    const now = Date.now();
    return this.cookies
      .filter((c) => c.host === hostname && pathMatches(pathname, c.path) && (c.expiresAt === undefined || c.expiresAt > now))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(url: string, line: string): void {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    const { hostname, pathname } = new URL(url);
    const cookie: StoredCookie = {
      name,
      value,
      host: hostname,
      path: pathname.slice(0, pathname.lastIndexOf('/')) || '/',
      secure: false,
      httpOnly: false,
      sameSite: undefined,
      expiresAt: undefined,
    };
    for (const attribute of attributes) {
      const [key, ...rest] = attribute.split('=');
      const attributeValue = rest.join('=');
      switch (key.toLowerCase()) {
        case 'path':
          cookie.path = attributeValue || '/';
          break;
        case 'max-age':
          cookie.expiresAt = Date.now() + Number(attributeValue) * 1000;
          break;
        case 'expires':
          cookie.expiresAt ??= Date.parse(attributeValue);
          break;
        case 'secure':
          cookie.secure = true;
          break;
        case 'httponly':
          cookie.httpOnly = true;
          break;
        case 'samesite':
          cookie.sameSite = attributeValue.toLowerCase();
          break;
      }
    }
    this.remove(cookie.name, cookie.host, cookie.path);
    if (cookie.expiresAt === undefined || cookie.expiresAt > Date.now()) this.cookies.push(cookie);
  }

  private remove(name: string, host: string, path: string): void {
    const index = this.cookies.findIndex((c) => c.name === name && c.host === host && c.path === path);
    if (index !== -1) this.cookies.splice(index, 1);
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}
