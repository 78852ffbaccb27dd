import { expect } from 'chai';
import { execFileSync } from 'child_process';
import { join } from 'path';
import { AuthConfigurationError } from '../../src';
import { assertRoutingPatchesApplied, routingPatchProblems } from '../../src/routing/patch-problems';

const installedVersion: string = require('routing-controllers/package.json').version;

describe("the library's changes to routing-controllers", () => {
  it('all apply to the installed routing-controllers', () => {
    expect(routingPatchProblems()).to.deep.equal([]);
    expect(() => assertRoutingPatchesApplied()).to.not.throw();
  });

  it('one that cannot apply: AuthConfigurationError naming the routing-controllers version and what is missing', () => {
    let error: unknown;
    try {
      assertRoutingPatchesApplied(['no KoaDriver.prototype.initialize (to answer malformed Koa bodies as {code, message})']);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(AuthConfigurationError);
    expect((error as Error).message).to.include(`routing-controllers ${installedVersion} is not supported`);
    expect((error as Error).message).to.include('no KoaDriver.prototype.initialize');
  });

  it('a routing-controllers without the internals they change: Auth.configure throws, naming each (not a silent skip)', () => {
    // A fresh process whose routing-controllers lacks what a future release might drop: the Koa
    // driver's set-up and a metadata look-up, removed before the library is loaded. The drivers'
    // error handler goes too: the library no longer changes it, so its absence is no problem.
    const script = `
      require('reflect-metadata');
      const rc = require('routing-controllers');
      delete rc.ExpressDriver.prototype.handleError;
      delete rc.KoaDriver.prototype.initialize;
      Object.getPrototypeOf(rc.getMetadataArgsStorage()).filterParamsWithTargetAndMethod = undefined;
      const { Auth, AuthConfigurationError } = require(${JSON.stringify(join(__dirname, '../../src'))});
      try {
        Auth.configure({});
        console.log('configured');
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, isConfigError: error instanceof AuthConfigurationError, message: error.message }));
      }`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim());
    expect(out.isConfigError).to.equal(true);
    expect(out.message).to.include(`routing-controllers ${installedVersion}`);
    expect(out.message).to.include('no KoaDriver.prototype.initialize (to answer malformed Koa bodies as {code, message})');
    expect(out.message).to.include('MetadataArgsStorage has no filterParamsWithTargetAndMethod');
    expect(out.message).to.not.include('handleError');
  });
});
