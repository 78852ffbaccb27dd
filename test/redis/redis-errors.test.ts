/**
 * The app's Redis client: its 'error' events never crash the app, and they are reported, not
 * swallowed: a `store.error` auth event each, and at most one log line per interval.
 */
import { expect } from 'chai';
import { EventEmitter } from 'events';
import { createClient } from 'redis';
import { Auth, AuthenticationBackend, BearerTransport, RedisStrategy, type AuthEvent } from '../../src';
import { REDIS_ERROR_LOG_INTERVAL_MS } from '../../src/redis/error-watch';
import { captureConsoleErrors } from '../support/console';
import { makeDataSource, SECRET, User } from '../support/app';
import { RedisServer } from '../support/services';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function configureWith(redis: unknown, events: AuthEvent[]): Auth<User> {
  return Auth.configure<User>({
    dataSource: makeDataSource(),
    userEntity: User,
    secret: SECRET,
    rateLimits: false,
    onEvent: (event) => void events.push(event),
    backends: [
      new AuthenticationBackend({
        name: 'redis',
        transport: new BearerTransport({ tokenUrl: '/login' }),
        strategy: new RedisStrategy({ redis: redis as any }),
      }),
    ],
  });
}

describe("the app's Redis client errors", () => {
  it('a lost Redis: the app keeps running, every error is a store.error event, the log gets one line per interval', async () => {
    const server = await RedisServer.start();
    // No listener of the app's own: without the library's, the first 'error' would crash the process.
    const client = createClient({ url: server.url, disableOfflineQueue: true, socket: { connectTimeout: 500, reconnectStrategy: () => 20 } });
    await client.connect();
    const events: AuthEvent[] = [];
    configureWith(client, events);
    const logged = await captureConsoleErrors(async () => {
      await server.stop();
      const deadline = Date.now() + 10_000;
      while (events.filter((e) => e.type === 'store.error').length < 3 && Date.now() < deadline) await sleep(50);
    });
    const storeErrors = events.filter((e): e is Extract<AuthEvent, { type: 'store.error' }> => e.type === 'store.error');
    expect(storeErrors.length, 'reconnect failures reported').to.be.at.least(3);
    expect(storeErrors.every((e) => e.store === 'redis' && e.error instanceof Error)).to.equal(true);
    expect(logged.filter((args) => String(args[0]).includes('Redis client reported an error'))).to.have.length(1);
    client.destroy();
    await server.destroy();
  });

  it('one listener per client, however many strategies and Auth instances share it; each Auth gets the events', async () => {
    const client = Object.assign(new EventEmitter(), { isOpen: true, isReady: true });
    const first: AuthEvent[] = [];
    const second: AuthEvent[] = [];
    configureWith(client, first);
    configureWith(client, second);
    expect(client.listenerCount('error')).to.equal(1);
    const logged = await captureConsoleErrors(() => {
      client.emit('error', new Error('one'));
      client.emit('error', new Error('two'));
    });
    expect(first.map((e) => (e as any).error.message)).to.deep.equal(['one', 'two']);
    expect(second.map((e) => (e as any).error.message)).to.deep.equal(['one', 'two']);
    // Within one interval: one line at most (none if this client logged within the last interval).
    expect(logged.length).to.be.at.most(1);
    expect(REDIS_ERROR_LOG_INTERVAL_MS).to.equal(60_000);
  });
});
