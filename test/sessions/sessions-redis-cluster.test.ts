/**
 * Sessions on a Redis cluster: every script touches one key and every key carries a hash tag,
 * so rotation, reuse detection and revocation work where keys are spread over slots.
 */
import { expect } from 'chai';
import { randomUUID } from 'crypto';
import { createCluster, type RedisClusterType } from 'redis';
import { AuthenticationBackend, BearerTransport, RedisSessionStore, RedisStrategy, Sessions, type SessionState } from '../../src';
import type { HttpExchange } from '../../src/http/request';
import { digestToken } from '../../src/strategies/opaque-token';
import { RedisServer } from '../support/services';

/** The little of a request a session start reads. */
const exchange = { header: (name: string) => (name === 'user-agent' ? 'ClusterTest/1.0' : undefined), ip: '203.0.113.9' } as unknown as HttpExchange;

describe('sessions on a Redis cluster (keys spread over slots)', () => {
  let server: RedisServer;
  let cluster: RedisClusterType;
  let store: RedisSessionStore;
  let strategy: RedisStrategy;
  let backend: AuthenticationBackend;
  let sessions: Sessions;

  before(async () => {
    server = await RedisServer.start({ cluster: true });
    cluster = createCluster({ rootNodes: [{ url: server.url }], nodeAddressMap: () => ({ host: '127.0.0.1', port: server.port }) });
    cluster.on('error', () => undefined);
    await cluster.connect();
    store = new RedisSessionStore({ redis: cluster, keyPrefix: 'rcauth-cluster-sessions:' });
    strategy = new RedisStrategy({ redis: cluster, keyPrefix: 'rcauth-cluster-tokens:' });
    backend = new AuthenticationBackend({ name: 'r', transport: new BearerTransport({ tokenUrl: '/' }), strategy, refresh: { store } });
    sessions = new Sessions([backend]);
  });
  after(async () => {
    await cluster?.close().catch(() => undefined);
    await server?.destroy();
  });

  it('keys carry hash tags of the session or the user', () => {
    expect(store.sessionKey('s1')).to.equal('rcauth-cluster-sessions:{s1}');
    expect(store.userKey('u1')).to.equal('rcauth-cluster-sessions:user:{u1}');
  });

  it('starts, rotates, detects reuse and ends a session', async () => {
    const userId = randomUUID();
    const started = await sessions.start(backend, userId, ['a'], exchange);
    expect(started.session).to.deep.include({ userId, backend: 'r', userAgent: 'ClusterTest/1.0', ip: '203.0.113.9' });
    const access = await strategy.write({ userId, scopes: ['a'], lifetimeSeconds: 60, sessionId: started.session.id });
    expect(await strategy.read(access)).to.deep.equal({ userId, scopes: ['a'], sessionId: started.session.id });

    const rotated = await sessions.rotate(backend, started.refreshToken, async () => expect.fail('not reuse'));
    expect(rotated.session.currentDigest).to.equal(digestToken(rotated.refreshToken));
    expect((await store.get(started.session.id))!.previousDigest).to.equal(digestToken(started.refreshToken));

    let reused: SessionState | undefined;
    let error: any;
    try {
      await sessions.rotate(backend, started.refreshToken, async (session) => {
        reused = session;
        await sessions.end(session.id);
      });
    } catch (e) {
      error = e;
    }
    expect(error?.code).to.equal('REFRESH_TOKEN_INVALID');
    expect(reused?.id).to.equal(started.session.id);
    expect(await store.get(started.session.id)).to.equal(null);
    expect(await strategy.read(access)).to.deep.equal({ rejected: 'unknown' });
    expect(await sessions.listForUser(userId)).to.deep.equal([]);
  });

  it('concurrent rotations of one token: exactly one wins', async () => {
    const userId = randomUUID();
    const started = await sessions.start(backend, userId, [], exchange);
    const state = (await store.get(started.session.id))!;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.rotate(state, digestToken(`next-${i}`), new Date())));
    expect(results.filter(Boolean)).to.have.length(1);
  });

  it('lists and ends every session of a user but one', async () => {
    const userId = randomUUID();
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => sessions.start(backend, userId, [], exchange)));
    expect((await sessions.listForUser(userId)).map((s) => s.id).sort()).to.deep.equal([a, b, c].map((s) => s.session.id).sort());
    const ended = await sessions.endAllForUser(userId, b.session.id);
    expect(ended.map((s) => s.id).sort()).to.deep.equal([a, c].map((s) => s.session.id).sort());
    expect((await sessions.listForUser(userId)).map((s) => s.id)).to.deep.equal([b.session.id]);
  });
});
