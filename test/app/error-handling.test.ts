import { expect } from 'chai';
import http from 'http';
import { Authorized, createExpressServer, Get, JsonController } from 'routing-controllers';
import { buildApp, createUser, type TestApp } from '../support/app';

function get(agent: http.Agent, url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; reusedSocket: boolean }>((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, reusedSocket: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

/** Captures console.error while `work` runs (Express's final handler logs through it). */
async function capturingErrors(work: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  try {
    await work();
  } finally {
    console.error = original;
  }
  return lines;
}

describe('error handling: 401s keep the connection and the logs clean', () => {
  let t: TestApp;
  let url: string;

  before(async () => {
    t = await buildApp();
    await createUser(t.auth, { email: 'keepalive@example.com' });
    ({ url } = await t.listen());
  });
  after(() => t.close());

  it('a keep-alive client sends a second request on the same socket after a 401, and nothing is logged', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const logged = await capturingErrors(async () => {
      const first = await get(agent, `${url}/items`);
      expect(first.status).to.equal(401);
      expect(JSON.parse(first.body)).to.deep.equal({ code: 'UNAUTHORIZED', message: 'Authentication required.' });
      const second = await get(agent, `${url}/items`, { Authorization: 'Bearer garbage' });
      expect(second.status).to.equal(401);
      expect(second.reusedSocket).to.equal(true);
      const third = await get(agent, `${url}/items/whoami`);
      expect(third.status).to.equal(200);
      expect(third.reusedSocket).to.equal(true);
    });
    agent.destroy();
    expect(logged).to.deep.equal([]);
  });

  it('the quick-start shape (no middlewares option) registers the error handler by itself', async () => {
    @JsonController('/quick')
    class QuickController {
      @Authorized()
      @Get('/')
      get() {
        return { ok: true };
      }
    }
    const app = createExpressServer({
      controllers: [QuickController],
      authorizationChecker: t.auth.authorizationChecker,
      currentUserChecker: t.auth.currentUserChecker,
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const base = `http://127.0.0.1:${(server.address() as any).port}`;
      const logged = await capturingErrors(async () => {
        expect((await get(agent, `${base}/quick`)).status).to.equal(401);
        const again = await get(agent, `${base}/quick`);
        expect(again.status).to.equal(401);
        expect(again.reusedSocket).to.equal(true);
      });
      expect(logged).to.deep.equal([]);
    } finally {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('error handling: a store outage answers 503 with Retry-After, quietly', () => {
  it('login and protected routes answer 503 AUTH_BACKEND_UNAVAILABLE + Retry-After, keep the connection, log nothing', async () => {
    const { BackendUnavailableError, TypeOrmUserStore } = await import('../../src');
    const { makeDataSource, User } = await import('../support/app');
    const dataSource = makeDataSource();
    const store = new TypeOrmUserStore(dataSource, User);
    let down = false;
    for (const method of ['findById', 'findByEmail'] as const) {
      const original = store[method].bind(store);
      // A fault we cannot make for real against SQLite: the store reports itself unreachable.
      (store as any)[method] = (arg: string) => (down ? Promise.reject(new BackendUnavailableError()) : original(arg));
    }
    const t = await buildApp({ dataSource, userStore: store });
    try {
      const user = await createUser(t.auth, { email: 'outage@example.com' });
      const token = await t.auth.createToken(user);
      const { url } = await t.listen();
      down = true;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const logged = await capturingErrors(async () => {
        const protectedRoute = await get(agent, `${url}/items`, { Authorization: `Bearer ${token}` });
        expect(protectedRoute.status).to.equal(503);
        expect(JSON.parse(protectedRoute.body).code).to.equal('AUTH_BACKEND_UNAVAILABLE');
        const loginRes = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; reusedSocket: boolean; body: string }>((resolve, reject) => {
          const req = http.request(`${url}/auth/jwt/login`, { method: 'POST', agent, headers: { 'Content-Type': 'application/json' } }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, reusedSocket: req.reusedSocket, body }));
          });
          req.on('error', reject);
          req.end(JSON.stringify({ username: 'outage@example.com', password: 'whatever it is' }));
        });
        expect(loginRes.status).to.equal(503);
        expect(loginRes.headers['retry-after']).to.equal('1');
        expect(JSON.parse(loginRes.body).code).to.equal('AUTH_BACKEND_UNAVAILABLE');
        expect(loginRes.reusedSocket).to.equal(true);
      });
      agent.destroy();
      expect(logged).to.deep.equal([]);
    } finally {
      await t.close();
    }
  });
});
