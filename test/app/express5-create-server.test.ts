/**
 * `createExpressServer` takes the `express` the app installed, Express 5 included (what
 * `npm install express` gives today): no `useExpressServer(express(), …)` needed. The suite installs
 * Express 5 as `express5`, so a child process maps `express` to it, as an app with Express 5 has it.
 */
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import { join } from 'path';
import { SECRET } from '../support/app';

const SCRIPT = `
const Module = require('module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return resolve.call(this, request === 'express' ? 'express5' : request, ...rest); };
require('reflect-metadata');
const http = require('http');
const rc = require('routing-controllers');
const { Container } = require('typedi');
const lib = require(process.env.LIBRARY);
rc.useContainer(Container, { fallbackOnErrors: true });
class Items { list(user) { return { id: user.id }; } }
rc.JsonController('/items')(Items);
rc.Get('/')(Items.prototype, 'list');
rc.Authorized()(Items.prototype, 'list');
rc.CurrentUser()(Items.prototype, 'list', 0);
const user = { id: '3f0c6f5e-8a43-4c0e-9d0e-0d3c5a7b9e11', email: 'a@b.io', isActive: true, isSuperuser: false, isVerified: true };
const auth = lib.Auth.configure({
  userStore: { findById: async (id) => (id === user.id ? user : null), findByEmail: async () => null, create: async () => user, update: async () => user, delete: async () => undefined, replacePasswordHash: async () => false },
  secret: process.env.SECRET,
  backends: [new lib.AuthenticationBackend({ name: 'jwt', transport: new lib.BearerTransport({ tokenUrl: '/login' }), strategy: new lib.JwtStrategy({ secret: process.env.SECRET }) })],
  rateLimits: false,
});
const app = rc.createExpressServer({ controllers: [Items], authorizationChecker: auth.authorizationChecker, currentUserChecker: auth.currentUserChecker });
const express = Object.keys(require.cache).filter((k) => /node_modules\\/express5?\\/index\\.js$/.test(k)).map((k) => k.split('node_modules/')[1]);
const server = http.createServer(app).listen(0, '127.0.0.1', async () => {
  const url = 'http://127.0.0.1:' + server.address().port + '/items';
  const anonymous = await fetch(url);
  const token = await auth.createToken(user, { scopes: [] });
  const authenticated = await fetch(url, { headers: { authorization: 'Bearer ' + token } });
  console.log(JSON.stringify({ express, version: require('express5/package.json').version, anonymous: anonymous.status, authenticated: authenticated.status, body: await authenticated.json() }));
  server.close();
});
`;

describe('Express 5 with createExpressServer', () => {
  it('serves @Authorized routes: 401 without a token, 200 with one', () => {
    const run = spawnSync(process.execPath, ['-e', SCRIPT], {
      cwd: join(__dirname, '..', '..', '..'),
      env: { ...process.env, LIBRARY: join(__dirname, '..', '..', 'src'), SECRET },
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(run.status, run.stderr).to.equal(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(result.express).to.deep.equal(['express5/index.js']); // the only Express loaded: routing-controllers took Express 5
    expect(result.version).to.match(/^5\./);
    expect(result).to.include({ anonymous: 401, authenticated: 200 });
    expect(result.body).to.deep.equal({ id: '3f0c6f5e-8a43-4c0e-9d0e-0d3c5a7b9e11' });
  });
});
