import { expect } from 'chai';
import request from 'supertest';
import { Authorized, CurrentUser, Get, HttpCode, JsonController, OnUndefined, Param, Post, UseBefore } from 'routing-controllers';
import { buildApp, createUser, DRIVER, type TestApp, type User } from '../support/app';

/** A plain middleware in the running driver's shape (Express or Koa). */
const markingMiddleware =
  DRIVER === 'koa'
    ? async (ctx: any, next: () => Promise<unknown>) => {
        ctx.set('X-Base-Middleware', 'ran');
        await next();
      }
    : (_req: unknown, res: any, next: () => void) => {
        res.setHeader('X-Base-Middleware', 'ran');
        next();
      };
import { bearerToken } from '../support/http';

/** A base controller an app might write: every decorator kind routing-controllers#1538 drops. */
class BaseItemsController {
  @Authorized()
  @Get('/mine')
  mine(@CurrentUser() user: User) {
    return { owner: user.email };
  }

  @Authorized(['items:write'])
  @Post('/')
  @HttpCode(201)
  create(@CurrentUser() user: User) {
    return { created: true, by: user.email };
  }

  @Get('/echo/:word')
  @UseBefore(markingMiddleware)
  echo(@Param('word') word: string) {
    return { word };
  }

  @Get('/nothing')
  @OnUndefined(204)
  nothing(): void {}

  @Authorized()
  @Get('/overridden')
  overridden(@CurrentUser() user: User) {
    return { base: true, owner: user.email };
  }
}

@JsonController('/inherited')
class InheritedItemsController extends BaseItemsController {
  // Overriding without decorators must not drop the base class's @Authorized.
  override overridden(user: User) {
    return { base: false, owner: user.email };
  }
}

describe('inherited routes behave like declared ones (routing-controllers#1538)', () => {
  let t: TestApp;
  let token: string;
  let writer: string;

  before(async () => {
    t = await buildApp({ extraControllers: [InheritedItemsController] });
    await createUser(t.auth, { email: 'reader@example.com' });
    await createUser(t.auth, { email: 'writer@example.com', scopes: ['items:write'] });
    token = await bearerToken(t.app, 'jwt', 'reader@example.com');
    writer = await bearerToken(t.app, 'jwt', 'writer@example.com');
  });
  after(() => t.close());

  it("AuthController's inherited POST /logout answers 401 without a token", async () => {
    for (const backend of ['jwt', 'db', 'cookie']) {
      const res = await request(t.app).post(`/auth/${backend}/logout`);
      expect(res.status, backend).to.equal(401);
      expect(res.body.code).to.equal('UNAUTHORIZED');
    }
  });

  it('POST /logout of one backend refuses a token of another backend', async () => {
    const res = await request(t.app).post('/auth/db/logout').set('Authorization', `Bearer ${token}`);
    expect(res.status).to.equal(401);
  });

  it('an inherited @Authorized route refuses anonymous requests and sees @CurrentUser', async () => {
    expect((await request(t.app).get('/inherited/mine')).status).to.equal(401);
    const res = await request(t.app).get('/inherited/mine').set('Authorization', `Bearer ${token}`);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ owner: 'reader@example.com' });
  });

  it('an inherited @Authorized(scopes) route checks scopes, and @HttpCode applies', async () => {
    expect((await request(t.app).post('/inherited').set('Authorization', `Bearer ${token}`)).status).to.equal(403);
    const res = await request(t.app).post('/inherited').set('Authorization', `Bearer ${writer}`);
    expect(res.status).to.equal(201);
    expect(res.body).to.deep.equal({ created: true, by: 'writer@example.com' });
  });

  it('inherited @Param, @UseBefore and @OnUndefined apply', async () => {
    const echo = await request(t.app).get('/inherited/echo/hello');
    expect(echo.status).to.equal(200);
    expect(echo.body).to.deep.equal({ word: 'hello' });
    expect(echo.headers['x-base-middleware']).to.equal('ran');
    expect((await request(t.app).get('/inherited/nothing')).status).to.equal(204);
  });

  it('an override without decorators keeps the base route protected', async () => {
    expect((await request(t.app).get('/inherited/overridden')).status).to.equal(401);
    const res = await request(t.app).get('/inherited/overridden').set('Authorization', `Bearer ${token}`);
    expect(res.body).to.deep.equal({ base: false, owner: 'reader@example.com' });
  });
});
