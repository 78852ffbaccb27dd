/** The authenticator in isolation: fake strategies and users, a fake exchange, no server. */
import { expect } from 'chai';
import { AuthenticationBackend, BaseUser, BearerTransport, CookieTransport, type Strategy, type TokenGrant, type TokenRejection } from '../../src';
import { Authenticator } from '../../src/authenticator';
import { FakeExchange } from '../support/fake-exchange';

/** A strategy answering from a table: token → grant, rejection, or an error to throw. */
class TableStrategy implements Strategy {
  readonly lifetimeSeconds = 3600;
  reads = 0;
  constructor(private readonly table: Record<string, TokenGrant | TokenRejection | Error>) {}
  async write(): Promise<string> {
    return 'unused';
  }
  async read(token: string): Promise<TokenGrant | TokenRejection | null> {
    this.reads++;
    const entry = this.table[token];
    if (entry instanceof Error) throw entry;
    return entry ?? null;
  }
  async destroy(): Promise<void> {}
}

class User extends BaseUser {}

function user(id: string, fields: Partial<BaseUser> = {}): BaseUser {
  return Object.assign(new User(), { id, email: `${id}@example.com`, isActive: true, isSuperuser: false, isVerified: true, scopes: [] }, fields);
}

const users: Record<string, BaseUser> = {
  alice: user('alice'),
  bob: user('bob'),
  off: user('off', { isActive: false }),
  root: user('root', { isSuperuser: true }),
};
const outage = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

function setup(first: TableStrategy, second: TableStrategy, firstTransport: 'bearer' | 'cookie' = 'bearer') {
  const rejected: string[] = [];
  const failures: unknown[] = [];
  const backends = [
    new AuthenticationBackend({
      name: 'first',
      transport: firstTransport === 'bearer' ? new BearerTransport({ tokenUrl: '/a' }) : new CookieTransport(),
      strategy: first,
    }),
    new AuthenticationBackend({ name: 'second', transport: new BearerTransport({ tokenUrl: '/b' }), strategy: second }),
  ];
  const loads: string[] = [];
  const authenticator = new Authenticator<BaseUser>(
    backends,
    {
      findById: async (id) => {
        loads.push(id);
        return users[id] ?? null;
      },
    },
    (backend, reason) => void rejected.push(`${backend.name}:${reason}`),
    (error) => void failures.push(error),
  );
  return { authenticator, rejected, failures, loads };
}

const bearer = (token: string) => new FakeExchange({ Authorization: `Bearer ${token}` });

describe('Authenticator (isolated)', () => {
  it('the first backend that yields an active user wins; later backends are not asked', async () => {
    const first = new TableStrategy({ t: { userId: 'alice', scopes: ['a'] } });
    const second = new TableStrategy({ t: { userId: 'bob', scopes: [] } });
    const { authenticator } = setup(first, second);
    const resolution = await authenticator.resolve(bearer('t'));
    expect(resolution.principal?.user.id).to.equal('alice');
    expect(resolution.principal?.backend.name).to.equal('first');
    expect(second.reads).to.equal(0);
  });

  it('a refused token falls through to the next backend, and is reported only when no backend authenticates', async () => {
    const first = new TableStrategy({ t: { rejected: 'expired' } });
    const second = new TableStrategy({ t: { userId: 'bob', scopes: [] } });
    const { authenticator, rejected } = setup(first, second);
    expect((await authenticator.resolve(bearer('t'))).principal?.user.id).to.equal('bob');
    expect(rejected).to.deep.equal([]);

    const none = setup(new TableStrategy({ t: { rejected: 'bad_signature' } }), new TableStrategy({}));
    const resolution = await none.authenticator.resolve(bearer('t'));
    expect(resolution.principal).to.equal(null);
    expect(resolution.bearerRejected).to.equal(true);
    expect(none.rejected).to.deep.equal(['first:bad_signature', 'second:unknown']);
  });

  it('inactive and unknown users are never authenticated', async () => {
    const { authenticator, rejected } = setup(
      new TableStrategy({ t: { userId: 'off', scopes: [] } }),
      new TableStrategy({ t: { userId: 'ghost', scopes: [] } }),
    );
    expect((await authenticator.resolve(bearer('t'))).principal).to.equal(null);
    expect(rejected).to.deep.equal(['first:inactive_user', 'second:unknown_user']);
  });

  it('the superuser scope follows the column: a demoted user loses it at once', async () => {
    const grant = { userId: 'alice', scopes: ['superuser', 'items:write'] };
    const { authenticator } = setup(new TableStrategy({ t: grant }), new TableStrategy({}));
    expect((await authenticator.resolve(bearer('t'))).principal?.scopes).to.deep.equal(['items:write']);
    const root = setup(new TableStrategy({ t: { ...grant, userId: 'root' } }), new TableStrategy({}));
    expect((await root.authenticator.resolve(bearer('t'))).principal?.scopes).to.deep.equal(['superuser', 'items:write']);
  });

  it('an outage of one backend lets a later one authenticate; alone, it is the 503 refusal', async () => {
    const { authenticator } = setup(new TableStrategy({ t: outage() }), new TableStrategy({ t: { userId: 'bob', scopes: [] } }));
    expect((await authenticator.resolve(bearer('t'))).principal?.user.id).to.equal('bob');
    const down = setup(new TableStrategy({ t: outage() }), new TableStrategy({}));
    const resolution = await down.authenticator.resolve(bearer('t'));
    expect(resolution.principal).to.equal(null);
    expect(resolution.refusal?.httpCode).to.equal(503);
    expect(down.failures).to.deep.equal([]);
  });

  it('a bug ends the resolution as a reported 500; a later backend does not hide it', async () => {
    const bug = new TypeError('bug');
    const second = new TableStrategy({ t: { userId: 'bob', scopes: [] } });
    const { authenticator, failures } = setup(new TableStrategy({ t: bug }), second);
    const error = await authenticator.resolve(bearer('t')).then(
      () => null,
      (e: { httpCode?: number; code?: string }) => e,
    );
    expect(error?.httpCode).to.equal(500);
    expect(error?.code).to.equal('INTERNAL_ERROR');
    expect(failures).to.deep.equal([bug]);
    expect(second.reads).to.equal(0);
  });

  it('one lookup per request: every caller shares the resolution', async () => {
    const first = new TableStrategy({ t: { userId: 'alice', scopes: [] } });
    const { authenticator, loads } = setup(first, new TableStrategy({}));
    const exchange = bearer('t');
    const [a, b] = await Promise.all([authenticator.resolve(exchange), authenticator.resolve(exchange)]);
    expect(a).to.equal(b);
    expect(await authenticator.withResolution(exchange, (r) => r.principal?.user.id)).to.equal('alice');
    expect(first.reads).to.equal(1);
    expect(loads).to.deep.equal(['alice']);
  });

  it('a cookie-authenticated unsafe request from a foreign origin is refused with CSRF_FAILED, not authenticated', async () => {
    const { authenticator } = setup(new TableStrategy({ c: { userId: 'alice', scopes: [] } }), new TableStrategy({}), 'cookie');
    const resolution = await authenticator.resolve(new FakeExchange({ Cookie: 'rcauth=c', Origin: 'https://evil.example' }, 'POST'));
    expect(resolution.principal).to.equal(null);
    expect((resolution.refusal as { code?: string } | undefined)?.code).to.equal('CSRF_FAILED');
  });
});
