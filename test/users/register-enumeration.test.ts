import { expect } from 'chai';
import request from 'supertest';
import { JsonController } from 'routing-controllers';
import { RegisterController, REGISTER_ACCEPTED, UserManager } from '../../src';
import { buildApp, createUser, PASSWORD, type TestApp, User } from '../support/app';

class TellingUserManager extends UserManager<User> {
  readonly existing: string[] = [];
  readonly registered: string[] = [];
  override onRegisterExistingEmail(user: User) {
    this.existing.push(user.email);
  }
  override onAfterRegister(user: User) {
    this.registered.push(user.email);
  }
}

/** Waits (bounded) for work that runs after the response. */
async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${what}: did not happen within 2 s`);
}

describe('enumeration-safe registration (enumerationSafeRegistration: true)', () => {
  let t: TestApp;
  let manager: TellingUserManager;

  before(async () => {
    @JsonController('/auth')
    class Register extends RegisterController {}
    t = await buildApp({ enumerationSafeRegistration: true, userManager: TellingUserManager, extraControllers: [Register] });
    manager = t.auth.userManager as TellingUserManager;
    await createUser(t.auth, { email: 'taken@example.com' });
    manager.registered.length = 0;
  });
  after(() => t.close());

  it('answers a new and an existing email identically (202, same body, same headers)', async () => {
    const fresh = await request(t.app).post('/auth/register').send({ email: 'fresh@example.com', password: PASSWORD });
    const taken = await request(t.app).post('/auth/register').send({ email: 'TAKEN@example.com', password: PASSWORD });
    for (const res of [fresh, taken]) {
      expect(res.status).to.equal(202);
      expect(res.body).to.deep.equal(REGISTER_ACCEPTED);
    }
    const headerNames = (res: request.Response) =>
      Object.keys(res.headers)
        .filter((h) => !['date', 'etag'].includes(h))
        .sort();
    expect(headerNames(fresh)).to.deep.equal(headerNames(taken));
  });

  it("creates the new account and tells the existing account's owner, after responding", async () => {
    await eventually(() => manager.registered.includes('fresh@example.com'), 'the new account');
    await eventually(() => manager.existing.includes('taken@example.com'), 'the existing-account hook');
    const stored = await t.dataSource.getRepository(User).findOneBy({ email: 'fresh@example.com' });
    expect(stored).to.include({ isActive: true, isSuperuser: false });
    expect(manager.registered).not.to.include('taken@example.com');
  });

  it('still refuses a bad password up front (the policy does not depend on the account)', async () => {
    const res = await request(t.app).post('/auth/register').send({ email: 'weak@example.com', password: 'password' });
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('REGISTER_INVALID_PASSWORD');
  });

  it('never lets the caller set protected fields', async () => {
    const res = await request(t.app)
      .post('/auth/register')
      .send({ email: 'sneaky@example.com', password: PASSWORD, isSuperuser: true, scopes: ['admin'] });
    expect(res.status).to.equal(202);
    await eventually(() => manager.registered.includes('sneaky@example.com'), 'the new account');
    const stored = await t.dataSource.getRepository(User).findOneBy({ email: 'sneaky@example.com' });
    expect(stored).to.deep.include({ isSuperuser: false, scopes: [] });
  });
});
