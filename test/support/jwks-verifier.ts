/**
 * Another service, in its own process: it verifies this library's JWTs the way a resource server
 * would, with `jose`'s `createRemoteJWKSet` against the app's JWKS route over HTTP, knowing nothing
 * of the library. Forked by test/support/remote-verifier.ts; it answers each IPC message:
 * `{ id, token }` → `{ id, ok: true, kid, sub }` or `{ id, ok: false, code }`; `{ id, reload: true }`
 * refetches the set (what an elapsed `max-age` does) → `{ id, ok: true }`.
 *
 * jose is ESM-only: TypeScript compiles this `import()` to `require()`, which Node 20.19+ loads.
 */
import type { JWTVerifyGetKey } from 'jose';

interface Ask {
  id: number;
  token?: string;
  reload?: boolean;
}

async function main(): Promise<void> {
  const [url, audience] = process.argv.slice(2);
  const jose = await import('jose');
  // No cooldown: a new kid is fetched at once (jose's default waits 30 s between fetches).
  const jwks = jose.createRemoteJWKSet(new URL(url), { cooldownDuration: 0 }) as JWTVerifyGetKey & { reload(): Promise<void> };
  process.on('message', (ask: Ask) => {
    void (async () => {
      try {
        if (ask.reload) {
          await jwks.reload();
          process.send!({ id: ask.id, ok: true });
          return;
        }
        const { payload, protectedHeader } = await jose.jwtVerify(ask.token!, jwks, { audience, typ: 'at+jwt' });
        process.send!({ id: ask.id, ok: true, kid: protectedHeader.kid, sub: payload.sub });
      } catch (error) {
        process.send!({ id: ask.id, ok: false, code: (error as { code?: string }).code ?? String(error) });
      }
    })();
  });
  process.send!({ ready: true });
}

void main();
