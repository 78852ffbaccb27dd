/**
 * A library route's declaration is what its helper applies while serving: declared domain errors
 * become the route's codes, an answer the declaration does not list is still sent as it is but
 * recorded (the test run fails on it), and a failure that is no answer yet becomes a 500 reported
 * through the controller's own `Auth`.
 */
import { expect } from 'chai';
import { Container } from 'typedi';
import { JsonController, Post, Req, Res } from 'routing-controllers';
import request from 'supertest';
import { Auth, BadRequestError, ErrorCode, InvalidVerifyTokenError, type AuthEvent } from '../../src';
import { AuthRoutes } from '../../src/controllers/auth-routes';
import { LibraryRoute } from '../../src/routes/route-declaration';
import { takeUndeclaredAnswers } from '../../src/routes/undeclared-answers';
import { captureConsoleErrors } from '../support/console';
import { buildApp, makeDataSource, SECRET, User, type TestApp } from '../support/app';

/** Routes declared like the library's own, each failing its way. */
function probeController(auth: Auth<User>): Function {
  @JsonController('/probe')
  class ProbeRoutes extends AuthRoutes<User> {
    constructor() {
      super();
      this.boundAuth = auth;
    }

    @LibraryRoute({ errors: () => [[404, [ErrorCode.NOT_FOUND]]], docs: () => ({ summary: 'Probe', responses: {} }) })
    @Post('/undeclared')
    undeclared(@Req() _request: any, @Res() _response: any): never {
      throw new BadRequestError(ErrorCode.LOGIN_BAD_CREDENTIALS, 'Not what this route says it answers.');
    }

    @LibraryRoute({ errors: () => [[400, [ErrorCode.LOGIN_BAD_CREDENTIALS]]], docs: () => ({ summary: 'Probe', responses: {} }) })
    @Post('/declared')
    async declared(@Req() _request: any, @Res() _response: any): Promise<never> {
      throw new BadRequestError(ErrorCode.LOGIN_BAD_CREDENTIALS, 'Declared.');
    }

    @LibraryRoute({
      answers: [{ error: InvalidVerifyTokenError, status: 400, code: ErrorCode.VERIFY_USER_BAD_TOKEN }],
      docs: () => ({ summary: 'Probe', responses: {} }),
    })
    @Post('/domain')
    async domain(@Req() _request: any, @Res() _response: any): Promise<never> {
      throw new InvalidVerifyTokenError();
    }

    @LibraryRoute({ docs: () => ({ summary: 'Probe', responses: {} }) })
    @Post('/bug')
    async bug(@Req() _request: any, @Res() _response: any): Promise<never> {
      throw new TypeError('a bug in a hook');
    }
  }
  return ProbeRoutes;
}

describe('library route declarations, as served', () => {
  let t: TestApp;
  let events: AuthEvent[];

  before(async () => {
    events = [];
    t = await buildApp({ onEvent: (e) => void events.push(e), extraControllers: (auth) => [probeController(auth)] });
  });
  after(async () => {
    takeUndeclaredAnswers();
    await t?.close();
  });

  it('a code the declaration does not list: answered as it is (never a 500), and recorded for the test run to fail on', async () => {
    takeUndeclaredAnswers();
    const res = await request(t.app).post('/probe/undeclared').send({});
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({ code: 'LOGIN_BAD_CREDENTIALS', message: 'Not what this route says it answers.' });
    expect(takeUndeclaredAnswers()).to.deep.equal([{ route: 'ProbeRoutes.undeclared', status: 400, code: 'LOGIN_BAD_CREDENTIALS' }]);
  });

  it('a declared code: answered, nothing recorded', async () => {
    const res = await request(t.app).post('/probe/declared').send({});
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('LOGIN_BAD_CREDENTIALS');
    expect(takeUndeclaredAnswers()).to.deep.equal([]);
  });

  it('a declared domain error: the route status and code, the error message', async () => {
    const res = await request(t.app).post('/probe/domain').send({});
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({ code: 'VERIFY_USER_BAD_TOKEN', message: new InvalidVerifyTokenError().message });
    expect(takeUndeclaredAnswers()).to.deep.equal([]);
  });

  it("a failure that is no answer: 500 {code, message}, reported once through the controller's own Auth, not the one configured last", async () => {
    // A second app configured in the same process: the module-wide reporter now points at it.
    const otherEvents: AuthEvent[] = [];
    const other = Auth.configure<User>({
      dataSource: makeDataSource(),
      userEntity: User,
      secret: SECRET,
      backends: t.auth.backends as any,
      onEvent: (e) => void otherEvents.push(e),
    });
    try {
      events.length = 0;
      const logged = await captureConsoleErrors(async () => {
        const res = await request(t.app).post('/probe/bug').send({});
        expect(res.status).to.equal(500);
        expect(res.body).to.deep.equal({ code: 'INTERNAL_ERROR', message: 'Internal error while authenticating the request.' });
      });
      const internal = events.filter((e) => e.type === 'internal.error');
      expect(internal).to.have.length(1);
      expect((internal[0] as any).where).to.equal('ProbeRoutes.bug');
      expect(otherEvents.filter((e) => e.type === 'internal.error')).to.deep.equal([]);
      expect(logged).to.have.length(1);
    } finally {
      expect(Container.get(Auth)).to.equal(other);
      Container.set(Auth, t.auth);
    }
  });
});
