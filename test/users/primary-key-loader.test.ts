import { expect } from 'chai';
import { AccessToken } from '../../src';
import { createPrimaryKeyLoader } from '../../src/typeorm/primary-key-loader';
import { createUser, buildApp, type TestApp, User } from '../support/app';

describe("primary-key loader (the request path's user and token reads)", () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp();
  });
  after(() => t.close());

  it('hydrates exactly what findOneBy gives: class, booleans, JSON arrays, nulls, dates', async () => {
    const user = await createUser(t.auth, { email: 'hydrate@example.com', scopes: ['a', 'b'], isSuperuser: true, displayName: null });
    const load = createPrimaryKeyLoader(t.dataSource, User);
    const fast = await load(user.id);
    const slow = await t.dataSource.getRepository(User).findOneBy({ id: user.id });
    expect(fast).to.be.instanceOf(User);
    expect(fast).to.deep.equal(slow);
    expect(fast!.isSuperuser).to.equal(true);
    expect(await load('00000000-0000-4000-8000-000000000000')).to.equal(null);

    const token = await t.auth.createToken(user, { backend: 'db' });
    const [row] = await t.dataSource.getRepository(AccessToken).find();
    const fastRow = await createPrimaryKeyLoader(t.dataSource, AccessToken)(row.tokenHash);
    expect(fastRow).to.deep.equal(row);
    expect(fastRow!.expiresAt).to.be.instanceOf(Date);
    expect(token).to.be.a('string');
  });
});
