/**
 * Sessions when their store goes away: refresh, the session list and login answer 503
 * AUTH_BACKEND_UNAVAILABLE within a bounded time (never 500, never a hang, never a session
 * ended by mistake), and the same refresh token works once the store is back.
 * This test stops its OWN redis-server, never the shared one.
 */
import { expect } from 'chai';
import type { RedisClientType } from 'redis';
import { JsonController } from 'routing-controllers';
import request from 'supertest';
import { AuthenticationBackend, BearerTransport, RedisStrategy, SessionsController } from '../../src';
import { buildApp, createUser, PASSWORD, type TestApp, User } from '../support/app';
import { RedisServer } from '../support/services';
import { eventually } from '../support/eventually';
import { connectOutageReadyClient } from '../support/redis-client';

const REQUEST_TIMEOUT_MS = 3000;

describe('faults: the Redis holding sessions goes away', () => {
  let server: RedisServer;
  let client: RedisClientType;
  let t: TestApp;
  let url: string;
  let email: string;

  before(async () => {
    server = await RedisServer.start({ persistent: true });
    client = await connectOutageReadyClient(server.url);
    @JsonController('/auth/sessions')
    class Sessions extends SessionsController<User> {}
    t = await buildApp({
      extraControllers: [Sessions],
      backends: [
        new AuthenticationBackend({
          name: 'redis',
          transport: new BearerTransport({ tokenUrl: '/auth/redis/login' }),
          strategy: new RedisStrategy({ redis: client, lifetimeSeconds: 3600 }),
          refresh: {},
        }),
      ],
    });
    ({ url } = await t.listen());
    email = (await createUser(t.auth, { email: 'sessions-fault@redis.io' })).email;
  });
  after(async () => {
    await t?.close();
    client?.destroy();
    await server?.destroy();
  });

  const login = () => request(url).post('/auth/redis/login').timeout(REQUEST_TIMEOUT_MS).type('form').send({ username: email, password: PASSWORD });
  const refresh = (token: string) =>
    request(url).post('/auth/redis/refresh').timeout(REQUEST_TIMEOUT_MS).type('form').send({ grant_type: 'refresh_token', refresh_token: token });
  const expect503 = (res: request.Response) => {
    expect(res.status, JSON.stringify(res.body)).to.equal(503);
    expect(res.body.code).to.equal('AUTH_BACKEND_UNAVAILABLE');
  };

  it('answers 503 while Redis is down, and the same refresh token works once it is back', async () => {
    const first = await login();
    expect(first.status).to.equal(200);
    await server.stop();
    try {
      await eventually(async () => (await refresh(first.body.refresh_token)).status === 503, 'the client noticing Redis is gone', 5000);
      expect503(await refresh(first.body.refresh_token));
      expect503(await login());
    } finally {
      await server.resume();
    }
    await eventually(async () => (await login()).status === 200, 'Redis came back');
    // Nothing was used up or ended by the outage.
    const renewed = await refresh(first.body.refresh_token);
    expect(renewed.status, JSON.stringify(renewed.body)).to.equal(200);
    const list = await request(url).get('/auth/sessions').set('Authorization', `Bearer ${renewed.body.access_token}`);
    expect(list.status).to.equal(200);
  });

  it('answers 503 within the command timeout when Redis hangs, then recovers', async () => {
    const first = await login();
    expect(first.status).to.equal(200);
    server.pause();
    try {
      expect503(await refresh(first.body.refresh_token));
    } finally {
      server.unpause();
    }
    await eventually(async () => (await login()).status === 200, 'Redis thawed');
    // A refresh that timed out may have rotated on the server: the token is then used, never half-used.
    const retry = await refresh(first.body.refresh_token);
    expect([200, 400]).to.include(retry.status);
    expect(retry.body.code ?? 'ok').to.be.oneOf(['ok', 'REFRESH_TOKEN_INVALID']);
  });
});
