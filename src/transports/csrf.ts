import { CsrfError } from '../errors';
import type { HttpExchange } from '../http/request';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.origin === 'null' ? undefined : parsed.origin;
  } catch {
    return undefined;
  }
}

/**
 * The cookie's CSRF rule: a browser request is refused when `Sec-Fetch-Site` is `cross-site`,
 * or when its `Origin` (else its `Referer`) is neither the app's own origin nor trusted.
 * A request with none of the three headers comes from a non-browser client and passes.
 */
export function checkSameOrigin(exchange: HttpExchange, trustedOrigins: ReadonlySet<string>): void {
  const fetchSite = exchange.header('sec-fetch-site');
  if (fetchSite !== undefined && fetchSite.toLowerCase() === 'cross-site') throw new CsrfError();

  const origin = exchange.header('origin');
  const referer = exchange.header('referer');
  const claimed = origin !== undefined ? origin : referer;
  if (claimed === undefined) return;

  // `Origin: null` (sandboxed frames, some redirects) and unparsable values are foreign.
  const claimedOrigin = originOf(claimed);
  if (claimedOrigin === undefined) throw new CsrfError();
  if (trustedOrigins.has(claimedOrigin)) return;
  const host = exchange.host;
  const ownOrigin = host ? originOf(`${exchange.protocol}://${host}`) : undefined;
  if (ownOrigin === undefined || claimedOrigin !== ownOrigin) throw new CsrfError();
}

/** Normalises configured origins (`https://app.example.com/` → `https://app.example.com`). */
export function normaliseOrigins(origins: readonly string[]): Set<string> {
  return new Set(
    origins.map((o) => {
      const normalised = originOf(o);
      if (!normalised) throw new Error(`trustedOrigins: "${o}" is not an origin (scheme://host[:port]).`);
      return normalised;
    }),
  );
}
