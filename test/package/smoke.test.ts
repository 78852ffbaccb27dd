import { expect } from 'chai';
import request from 'supertest';
import { buildApp, createUser, PASSWORD, type TestApp } from '../support/app';

describe('smoke', () => {
  let t: TestApp;
  before(async () => {
    t = await buildApp();
    await createUser(t.auth, { email: 'ann@example.com' });
  });
  after(() => t.close());

  it('logs in with the JWT backend and reads a protected route', async () => {
    const login = await request(t.app).post('/auth/jwt/login').type('form').send({ username: 'ann@example.com', password: PASSWORD });
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    const res = await request(t.app).get('/items').set('Authorization', `Bearer ${login.body.access_token}`);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ owner: 'ann@example.com' });
  });

  it('answers 401 without a token', async () => {
    const res = await request(t.app).get('/items');
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal({ code: 'UNAUTHORIZED', message: 'Authentication required.' });
    expect(res.headers['www-authenticate']).to.equal('Bearer');
  });
});
