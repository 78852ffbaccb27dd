/**
 * Stores going away while requests flow. Requests that need the lost store get 503
 * AUTH_BACKEND_UNAVAILABLE within a bounded time — no hang, no 500, no crash — requests that do
 * not need it keep working, and once the store is back the same app serves again.
 *
 * These tests stop their OWN redis-server and PostgreSQL, never the shared test services.
 */
import { expect } from 'chai';
import type { RedisClientType } from 'redis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AccessToken, AuthenticationBackend, BearerTransport, DatabaseStrategy, JwtStrategy, RedisStrategy } from '../../src';
import { buildApp, createUser, PASSWORD, SECRET, User, type TestApp } from '../support/app';
import { PostgresServer, RedisServer } from '../support/services';
import { eventually } from '../support/eventually';
import { connectOutageReadyClient } from '../support/redis-client';

/** No request may take longer than this: a hang fails the test instead of stalling it. */
const REQUEST_TIMEOUT_MS = 3000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function jwtBackend(): AuthenticationBackend {
  return new AuthenticationBackend({
    name: 'jwt',
    transport: new BearerTransport({ tokenUrl: '/auth/jwt/login' }),
    strategy: new JwtStrategy({ secret: SECRET, lifetimeSeconds: 3600 }),
  });
}

/**
 * Sends requests back to back until stopped and records every status: the traffic that is in
 * flight while the store goes down and comes back.
 */
function trafficLoop(send: () => Promise<{ status: number }>): { stop: () => Promise<number[]> } {
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        statuses.push((await send()).status);
      } catch (error) {
        statuses.push(-1); // timeout or connection failure: what must never happen
      }
      await sleep(10); // a steady flow, not a flood
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return statuses;
    },
  };
}

function expect503(res: request.Response): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(503);
  expect(res.body).to.deep.equal({ code: 'AUTH_BACKEND_UNAVAILABLE', message: res.body.message });
}

describe('faults: Redis goes away while requests flow', () => {
  let server: RedisServer;
  let client: RedisClientType;
  let t: TestApp;
  let url: string;
  let email: string;
  let redisToken: string;
  let jwtToken: string;

  before(async () => {
    // Persistent, so the token issued before the outage is still there after it.
    server = await RedisServer.start({ persistent: true });
    client = await connectOutageReadyClient(server.url);
    t = await buildApp({
      backends: [
        jwtBackend(),
        new AuthenticationBackend({
          name: 'redis',
          transport: new BearerTransport({ tokenUrl: '/auth/redis/login' }),
          strategy: new RedisStrategy({ redis: client, lifetimeSeconds: 3600 }),
        }),
      ],
    });
    ({ url } = await t.listen());
    email = (await createUser(t.auth, { email: 'fault@redis.io' })).email;
    redisToken = (await login('redis')).body.access_token;
    jwtToken = (await login('jwt')).body.access_token;
  });
  after(async () => {
    await t?.close();
    client?.destroy();
    await server?.destroy();
  });

  const login = (backend: string) =>
    request(url).post(`/auth/${backend}/login`).timeout(REQUEST_TIMEOUT_MS).type('form').send({ username: email, password: PASSWORD });
  const items = (token: string) => request(url).get('/items').timeout(REQUEST_TIMEOUT_MS).set('Authorization', `Bearer ${token}`);

  it('serves the Redis token while Redis is up', async () => {
    expect((await items(redisToken)).status).to.equal(200);
  });

  it('answers 503 AUTH_BACKEND_UNAVAILABLE while Redis is down, JWT keeps working, and recovers without a restart', async () => {
    const traffic = trafficLoop(() => items(redisToken));
    await sleep(100);
    await server.stop();

    await eventually(async () => (await items(redisToken)).status === 503, 'the client noticing Redis is gone', 5000);
    const refused = await items(redisToken);
    expect503(refused);
    expect(refused.headers['retry-after']).to.equal('1');
    expect503(await login('redis'));
    const burst = await Promise.all(Array.from({ length: 20 }, () => items(redisToken)));
    for (const res of burst) expect503(res);
    // What does not need Redis is unaffected.
    expect((await items(jwtToken)).status).to.equal(200);
    expect((await login('jwt')).status).to.equal(200);
    expect((await items('garbage')).status).to.equal(401);
    expect((await request(url).get('/items').timeout(REQUEST_TIMEOUT_MS)).status).to.equal(401);

    await server.resume();
    await eventually(async () => (await items(redisToken)).status === 200, 'Redis came back');
    // A request the loop sent just before the reconnect may answer 503 after the check above: let the
    // loop send a few after it, so its last status is one sent once the store was back.
    await sleep(200);
    const statuses = await traffic.stop();

    expect(statuses.length).to.be.greaterThan(3);
    expect(
      statuses.filter((s) => s !== 200 && s !== 503),
      `statuses seen: ${[...new Set(statuses)].join(', ')}`,
    ).to.deep.equal([]);
    expect(statuses).to.include(503);
    expect(statuses[statuses.length - 1]).to.equal(200);
    // Logging in works again too.
    const fresh = await login('redis');
    expect(fresh.status).to.equal(200);
    expect((await items(fresh.body.access_token)).status).to.equal(200);
  });

  it('answers 503 within the command timeout when Redis hangs (accepts, never answers), then recovers', async () => {
    const res = await login('redis');
    expect(res.status).to.equal(200);
    const redisToken = res.body.access_token;
    server.pause();
    try {
      expect503(await items(redisToken));
      expect((await items(jwtToken)).status).to.equal(200);
    } finally {
      server.unpause();
    }
    await eventually(async () => (await items(redisToken)).status === 200, 'Redis thawed');
  });
});

describe('faults: PostgreSQL goes away while requests flow', () => {
  let server: PostgresServer;
  let t: TestApp;
  let url: string;
  let email: string;
  let dbToken: string;
  let jwtToken: string;

  before(async () => {
    server = await PostgresServer.start();
    const dataSource = new DataSource({
      type: 'postgres',
      url: server.url(),
      entities: [User, AccessToken],
      synchronize: true,
      // Bounded waits for a connection, so a lost server cannot hold a request.
      connectTimeoutMS: 1000,
    });
    t = await buildApp({
      dataSource,
      backends: [
        jwtBackend(),
        new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/auth/db/login' }), strategy: new DatabaseStrategy() }),
      ],
    });
    ({ url } = await t.listen());
    email = (await createUser(t.auth, { email: 'fault@pg.io' })).email;
    dbToken = (await login('db')).body.access_token;
    jwtToken = (await login('jwt')).body.access_token;
  });
  after(async () => {
    await t?.close().catch(() => undefined);
    await server?.destroy();
  });

  const login = (backend: string) =>
    request(url).post(`/auth/${backend}/login`).timeout(REQUEST_TIMEOUT_MS).type('form').send({ username: email, password: PASSWORD });
  const items = (token: string) => request(url).get('/items').timeout(REQUEST_TIMEOUT_MS).set('Authorization', `Bearer ${token}`);

  it('answers 503 while PostgreSQL is down (fast shutdown), and recovers through the pool without a restart', async () => {
    expect((await items(dbToken)).status).to.equal(200);
    const traffic = trafficLoop(() => items(dbToken));
    await sleep(100);
    await server.stop();

    expect503(await items(dbToken));
    // The users live in PostgreSQL too: a JWT is valid, but whether its user is still active
    // cannot be known, so it is a 503 as well — never a 401 that would log the client out.
    expect503(await items(jwtToken));
    expect503(await login('db'));
    expect503(await login('jwt')); // the user store is down: no login can be checked
    expect((await items('garbage')).status).to.equal(401);

    await server.resume();
    await eventually(async () => (await items(dbToken)).status === 200, 'PostgreSQL came back');
    // A request the loop sent just before the reconnect may answer 503 after the check above: let the
    // loop send a few after it, so its last status is one sent once the store was back.
    await sleep(200);
    const statuses = await traffic.stop();

    expect(
      statuses.filter((s) => s !== 200 && s !== 503),
      `statuses seen: ${[...new Set(statuses)].join(', ')}`,
    ).to.deep.equal([]);
    expect(statuses).to.include(503);
    expect((await items(jwtToken)).status).to.equal(200);
    expect((await login('db')).status).to.equal(200);
  });

  it('leaves its trace in the server log: one line when the outage starts, one when it ends with the count of refused requests', async () => {
    // The previous test's outage is over once the library's own probe saw the database answer.
    await eventually(async () => !t.auth.context.failures.outages.open, 'the previous outage closed');
    const lines: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    try {
      await server.stop();
      for (let i = 0; i < 3; i++) expect503(await items(dbToken));
      expect503(await login('jwt'));
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(
        /^routing-controllers-auth: the database is unreachable \(.+\): requests that need it answer 503 AUTH_BACKEND_UNAVAILABLE until it is back\.$/,
      );
      await server.resume();
      // No request is sent now: the library asks the database itself whether it is back.
      await eventually(async () => lines.length === 2, 'the end of the outage logged');
    } finally {
      console.error = original;
    }
    expect(lines[1]).to.match(
      /^routing-controllers-auth: the database answers again after \d+\.\d s; 4 requests were answered 503 AUTH_BACKEND_UNAVAILABLE meanwhile\.$/,
    );
    expect((await items(dbToken)).status).to.equal(200);
  });
});
