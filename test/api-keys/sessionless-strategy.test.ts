/**
 * A strategy of the app's own that says its credentials are no sessions (`sessionless: true`, e.g.
 * its own service tokens) gets what the library's API keys get: session-only routes and step-up
 * checks refuse its principals, and they carry no more than the owner's current scopes.
 */
import { expect } from 'chai';
import { randomBytes } from 'crypto';
import { Authorized, CurrentUser, Get, JsonController } from 'routing-controllers';
import request from 'supertest';
import { AuthenticationBackend, BearerTransport, type Strategy, type TokenGrant } from '../../src';
import { buildApp, createUser, type TestApp, type User } from '../support/app';

/** Opaque service tokens in memory, each standing for a user with chosen scopes: no session, no sign-in. */
class ServiceTokens implements Strategy {
  readonly lifetimeSeconds = null;
  readonly sessionless = true;
  private readonly tokens = new Map<string, TokenGrant>();

  issue(userId: string, scopes: string[]): string {
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { userId, scopes, authTime: new Date(), amr: ['pwd', 'otp'] });
    return token;
  }

  async write(): Promise<string> {
    throw new Error('not by login');
  }

  async read(token: string): Promise<TokenGrant | null> {
    return this.tokens.get(token) ?? null;
  }
}

@JsonController('/service')
class ServiceRoutes {
  @Authorized(['reports:read'])
  @Get('/reports')
  reports(@CurrentUser() user: User) {
    return { owner: user.email };
  }

  @Authorized({ sessionOnly: true })
  @Get('/session')
  session() {
    return { ok: true };
  }

  @Authorized({ maxAgeSeconds: 300 })
  @Get('/recent')
  recent() {
    return { ok: true };
  }

  @Authorized({ factors: 2 })
  @Get('/two-factors')
  twoFactors() {
    return { ok: true };
  }
}

describe('a sessionless strategy of the app’s own', () => {
  let t: TestApp;
  const strategy = new ServiceTokens();

  before(async () => {
    t = await buildApp({
      extraControllers: [ServiceRoutes],
      backends: [new AuthenticationBackend({ name: 'service', transport: new BearerTransport({ tokenUrl: '/none' }), strategy })],
    });
  });
  after(() => t?.close());

  it('passes @Authorized(scopes) with the scopes its owner still has, and never a session-only or step-up route (even claiming a fresh 2-factor sign-in)', async () => {
    const owner = await createUser(t.auth, { email: 'service-owner@example.com', scopes: ['reports:read'] });
    const token = strategy.issue(owner.id, ['reports:read', 'admin:all']);
    const bearer = { authorization: `Bearer ${token}` };
    expect((await request(t.app).get('/service/reports').set(bearer)).body).to.deep.equal({ owner: 'service-owner@example.com' });
    for (const path of ['/service/session', '/service/recent', '/service/two-factors']) {
      const res = await request(t.app).get(path).set(bearer);
      expect(res.status, path).to.equal(401);
      expect(res.body.code, path).to.be.oneOf(['UNAUTHORIZED', 'REAUTHENTICATION_REQUIRED']);
    }
    // The owner loses the scope: the credential loses it at once.
    await t.auth.userManager.update(owner, { scopes: [] }, { safe: false });
    expect((await request(t.app).get('/service/reports').set(bearer)).status).to.equal(403);
  });
});
