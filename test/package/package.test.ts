import { expect } from 'chai';
import { execFileSync, spawn } from 'child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

const ROOT = resolve(__dirname, '../../..');
const FIXTURE = join(ROOT, 'test/fixtures/quick-start');

/** The exact version installed here, so an offline install finds it in npm's cache. */
function installedVersion(name: string): string {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/**
 * The file a document shows under `<!-- file: NAME -->`: the fenced block right after that marker, as it
 * stands in the document (what a newcomer pastes), never a copy kept beside the test.
 */
export function fileFromDocument(documentPath: string, name: string): string {
  const text = readFileSync(join(ROOT, documentPath), 'utf8');
  const marker = text.indexOf(`<!-- file: ${name} -->`);
  if (marker < 0) throw new Error(`${documentPath} has no <!-- file: ${name} --> block`);
  const block = /```[a-z]*\n([\s\S]*?)\n```/.exec(text.slice(marker));
  if (!block) throw new Error(`${documentPath}: no fenced block after <!-- file: ${name} -->`);
  return `${block[1]}\n`;
}

/** Starts `node script` in `cwd` and resolves once it printed `listening on http://localhost:PORT`. */
function startApp(cwd: string, script: string, env: Record<string, string>): Promise<{ child: ReturnType<typeof spawn>; base: string }> {
  const child = spawn(process.execPath, [script], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/localhost:\d+)/.exec(out);
      if (match) resolvePromise({ child, base: match[1].replace('localhost', '127.0.0.1') });
    });
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}: ${err}`)));
  });
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });
}

describe('the packed package in a fresh app (npm pack → install → DESIGN.md quick start under strict)', function () {
  this.timeout(240_000);
  let dir: string;
  let child: ReturnType<typeof spawn> | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rca-package-'));
  });
  after(() => {
    child?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('packs only compiled JavaScript, declarations, the README and the pages it links to', () => {
    const out = npm(['pack', '--pack-destination', dir, '--json'], ROOT);
    const [packed] = JSON.parse(out.slice(out.indexOf('[')));
    const files: string[] = packed.files.map((f: { path: string }) => f.path);
    expect(files).to.include.members([
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/cli/main.js',
      'README.md',
      'package.json',
      'docs/scale-out.md',
      'docs/cli.md',
    ]);
    expect(
      files.filter((f) => !/^dist\/src\/.+\.(js|d\.ts|js\.map)$|^README\.md$|^SECURITY\.md$|^package\.json$|^docs\/[\w-]+\.(md|png)$/.test(f)),
    ).to.deep.equal([]);
    // Every page the README links to (docs/, SECURITY.md) is in the package.
    const linked = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/\]\(((?:docs\/|SECURITY)[^)#]+)/g)].map((m) => m[1]);
    expect(linked.length).to.be.greaterThan(3);
    expect(linked.filter((page) => !files.includes(page))).to.deep.equal([]);
  });

  it('installs from the tarball with its peers, compiles the quick start under strict, and serves it', async () => {
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true }));
    const peers = [
      'routing-controllers',
      'typedi',
      'typeorm',
      'reflect-metadata',
      'class-validator',
      'class-transformer',
      'express',
      'body-parser',
      'multer',
      'better-sqlite3',
      'typescript',
      '@types/node',
      'redis',
      'koa',
      '@koa/router',
      'koa-bodyparser',
      'mocha',
    ];
    // From npm's cache where it can (the registry for the rest); install scripts off: the native better-sqlite3 build is reused below.
    npm(
      ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', `./${tarball}`, ...peers.map((p) => `${p}@${installedVersion(p)}`)],
      dir,
    );
    cpSync(join(ROOT, 'node_modules/better-sqlite3/build'), join(dir, 'node_modules/better-sqlite3/build'), { recursive: true });
    cpSync(join(FIXTURE, 'app.ts'), join(dir, 'app.ts'));
    cpSync(join(FIXTURE, 'tsconfig.json'), join(dir, 'tsconfig.json'));

    execFileSync(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });

    child = spawn(process.execPath, ['dist/app.js'], {
      cwd: dir,
      env: { ...process.env, AUTH_SECRET: 'fresh-app-secret-0123456789-abcdefghijklmnopqrstuvwxyz', DB_FILE: join(dir, 'app.sqlite') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = await new Promise<{ port: number; token: string }>((resolvePromise, reject) => {
      let out = '';
      let err = '';
      child!.stdout!.on('data', (chunk) => {
        out += chunk;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolvePromise(JSON.parse(line));
      });
      child!.stderr!.on('data', (chunk) => (err += chunk));
      child!.on('exit', (code) => reject(new Error(`quick start exited with ${code}: ${err}`)));
    });
    const base = `http://127.0.0.1:${started.port}`;
    expect((await fetch(`${base}/items`)).status).to.equal(401);
    const admin = await fetch(`${base}/items/admin`, { headers: { Authorization: `Bearer ${started.token}` } });
    expect(admin.status).to.equal(200);
    expect(await admin.json()).to.deep.equal({ ok: true });
    const login = await fetch(`${base}/auth/jwt/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'username=ROOT%40example.com&password=a+long+passphrase',
    });
    expect(login.status).to.equal(200);
    const { access_token } = (await login.json()) as { access_token: string };
    const me = await fetch(`${base}/users/me`, { headers: { Authorization: `Bearer ${access_token}` } });
    expect(me.status).to.equal(200);
    const body = (await me.json()) as Record<string, unknown>;
    expect(body.email).to.equal('root@example.com');
    expect(body).not.to.have.property('hashedPassword');
  });

  it('links the command-line tool: `npx routing-controllers-auth secret` prints a fresh 256-bit secret', () => {
    const secret = execFileSync('npx', ['--no', 'routing-controllers-auth', 'secret'], { cwd: dir, encoding: 'utf8' });
    expect(secret).to.match(/^[A-Za-z0-9_-]{43}\n$/);
    expect(Buffer.from(secret.trim(), 'base64url')).to.have.length(32);
  });

  it('routing-controllers-auth/testing resolves from the tarball: its types under both module resolutions, and a conformance suite runs under mocha', () => {
    // What an app's test file looks like: the suite from the subpath, the store from the main entry.
    writeFileSync(
      join(dir, 'state-store.test.ts'),
      [
        "import { MemoryOAuthStateStore } from 'routing-controllers-auth';",
        "import { describeOAuthStateStoreConformance, createTestUser, signedInHeaders } from 'routing-controllers-auth/testing';",
        '',
        "describeOAuthStateStoreConformance('MemoryOAuthStateStore, from the package', async () => ({ store: new MemoryOAuthStateStore() }));",
        'export const helpers = [createTestUser, signedInHeaders];',
        '',
      ].join('\n'),
    );
    const tsconfig = JSON.parse(fileFromDocument('README.md', 'tsconfig.json'));
    // The README's settings (classic node resolution: `typesVersions` leads to the types) ...
    writeFileSync(join(dir, 'tsconfig.testing.json'), JSON.stringify({ ...tsconfig, files: ['state-store.test.ts'] }));
    execFileSync(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.testing.json'], { cwd: dir, encoding: 'utf8' });
    // ... and node16 resolution, which reads the `exports` map's `types`.
    const node16 = {
      ...tsconfig,
      compilerOptions: { ...tsconfig.compilerOptions, module: 'node16', moduleResolution: 'node16', noEmit: true },
      files: ['state-store.test.ts'],
    };
    writeFileSync(join(dir, 'tsconfig.testing-node16.json'), JSON.stringify(node16));
    execFileSync(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.testing-node16.json'], { cwd: dir, encoding: 'utf8' });

    const out = execFileSync(join(dir, 'node_modules/.bin/mocha'), ['dist/state-store.test.js'], { cwd: dir, encoding: 'utf8' });
    expect(out).to.contain('MemoryOAuthStateStore, from the package');
    expect(out).to.match(/\b6 passing\b/);
    expect(out).to.match(/\b1 pending\b/); // the store has no ready(): that case is skipped
    expect(out).to.not.match(/failing/);

    // The manifest stays importable; the command-line tool is linked as before.
    const version = execFileSync(process.execPath, ['-p', "require('routing-controllers-auth/package.json').version"], { cwd: dir, encoding: 'utf8' });
    expect(version.trim()).to.equal(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it("the README's quick start, as it stands in README.md: compiles under strict, runs, registers, logs in, serves the protected route", async () => {
    writeFileSync(join(dir, 'app.ts'), fileFromDocument('README.md', 'app.ts'));
    writeFileSync(join(dir, 'tsconfig.json'), fileFromDocument('README.md', 'tsconfig.json'));
    execFileSync(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
    const app = await startApp(dir, 'dist/app.js', { AUTH_SECRET: 'readme-secret-0123456789-abcdefghijklmnopqrstuvwxyz', PORT: String(await freePort()) });
    try {
      await register(app.base, 'me@example.com');
      const login = await formLogin(app.base, 'jwt', 'me@example.com');
      expect(login.status).to.equal(200);
      const { access_token } = (await login.json()) as { access_token: string };
      expect((await fetch(`${app.base}/items`)).status).to.equal(401);
      const items = await fetch(`${app.base}/items`, { headers: { Authorization: `Bearer ${access_token}` } });
      expect(items.status).to.equal(200);
      expect(await items.json()).to.deep.equal({ owner: 'me@example.com' });
    } finally {
      app.child.kill();
    }
  });

  it("the README's quick start bundled as bundlers do (routing-controllers' ES module build): headers and {code, message} bodies still there", async function () {
    // Webpack and Vite pick a package's `module` entry: routing-controllers' esm2015 build, a second
    // copy of its drivers and errors beside the CommonJS one. The library's changes must reach the
    // copy the app runs. The app is the one the previous test compiled with tsc (decorator metadata
    // kept); esbuild bundles that JavaScript with the bundlers' main fields.
    const inputs = await bundleAsBundlersDo(dir, 'dist/app.js', 'bundle/app.js');
    expect(inputs.filter((f) => f.includes('routing-controllers/esm2015/driver/express/ExpressDriver.js'))).to.have.length(1);
    expect(inputs.filter((f) => f.includes('routing-controllers/cjs/'))).to.deep.equal([]);
    expect(inputs.filter((f) => f.includes('routing-controllers-auth/dist/src/routing/'))).to.have.length.greaterThan(0);

    const app = await startApp(dir, 'bundle/app.js', { AUTH_SECRET: 'bundle-secret-0123456789-abcdefghijklmnopqrstuvwxyz', PORT: String(await freePort()) });
    try {
      // The library's refusal, with its challenge header (sent through the patched driver's error handler).
      const anonymous = await fetch(`${app.base}/items`, { headers: { Authorization: 'Bearer forged' } });
      expect(anonymous.status).to.equal(401);
      expect(anonymous.headers.get('www-authenticate')).to.equal('Bearer error="invalid_token"');
      expect(await anonymous.json()).to.have.keys('code', 'message');
      // routing-controllers' own AuthorizationRequiredError (@CurrentUser({ required: true })), as {code, message}.
      const me = await fetch(`${app.base}/users/me`);
      expect(me.status).to.equal(401);
      expect(await me.json()).to.deep.equal({ code: 'UNAUTHORIZED', message: 'Authentication required.' });
      // An inherited route keeps its decorators (the metadata storage patch): the base class's validation runs.
      await register(app.base, 'bundle@example.com');
      const login = await formLogin(app.base, 'jwt', 'bundle@example.com');
      const { access_token } = (await login.json()) as { access_token: string };
      const forbidden = await fetch(`${app.base}/items/admin`, { headers: { Authorization: `Bearer ${access_token}` } });
      expect(forbidden.status).to.equal(403);
      expect(await forbidden.json()).to.have.property('code', 'INSUFFICIENT_SCOPE');
      // Rate limits: the login budget spent, a 429 with Retry-After.
      await expectLoginRateLimited(app.base, 'jwt', 'bundle@example.com');
    } finally {
      app.child.kill();
    }
  });

  it("docs/scale-out.md's Redis app (Koa, cookie sessions in Redis), as it stands: compiles, runs, logs in with the cookie", async () => {
    writeFileSync(join(dir, 'redis-app.ts'), fileFromDocument('docs/scale-out.md', 'redis-app.ts'));
    const tsconfig = JSON.parse(fileFromDocument('README.md', 'tsconfig.json'));
    writeFileSync(join(dir, 'tsconfig.redis.json'), JSON.stringify({ ...tsconfig, files: ['redis-app.ts'] }));
    execFileSync(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.redis.json'], { cwd: dir, encoding: 'utf8' });
    const app = await startApp(dir, 'dist/redis-app.js', {
      AUTH_SECRET: 'redis-app-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
      PORT: String(await freePort()),
      REDIS_URL: process.env.TEST_REDIS_URL!,
    });
    try {
      await register(app.base, 'koa@example.com');
      const login = await formLogin(app.base, 'cookie', 'koa@example.com');
      expect(login.status).to.equal(204);
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      expect(cookie).to.match(/^rcauth=/);
      const items = await fetch(`${app.base}/items`, { headers: { Cookie: cookie } });
      expect(items.status).to.equal(200);
      expect(await items.json()).to.deep.equal({ owner: 'koa@example.com' });
    } finally {
      app.child.kill();
    }
  });

  it("docs/scale-out.md's Koa app bundled as bundlers do (routing-controllers' ES module build): body errors, Retry-After, {code, message}", async () => {
    // The app the previous test compiled; the Koa driver's copy in esm2015 must carry the library's changes too.
    const inputs = await bundleAsBundlersDo(dir, 'dist/redis-app.js', 'bundle/redis-app.js');
    expect(inputs.filter((f) => f.includes('routing-controllers/esm2015/driver/koa/KoaDriver.js'))).to.have.length(1);
    expect(inputs.filter((f) => f.includes('routing-controllers/cjs/'))).to.deep.equal([]);
    const app = await startApp(dir, 'bundle/redis-app.js', {
      AUTH_SECRET: 'redis-bundle-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
      PORT: String(await freePort()),
      REDIS_URL: process.env.TEST_REDIS_URL!,
    });
    try {
      // koa-bodyparser's error, answered by the middleware put in front of it (KoaDriver.initialize).
      const malformed = await fetch(`${app.base}/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"email":' });
      expect(malformed.status).to.equal(400);
      expect(await malformed.json()).to.deep.equal({ code: 'VALIDATION_ERROR', message: 'The request body is not valid JSON.' });
      const anonymous = await fetch(`${app.base}/items`);
      expect(anonymous.status).to.equal(401);
      expect(await anonymous.json()).to.have.keys('code', 'message');
      await register(app.base, 'koa-bundle@example.com');
      await expectLoginRateLimited(app.base, 'cookie', 'koa-bundle@example.com');
    } finally {
      app.child.kill();
    }
  });
});

/**
 * Bundles `entry` (JavaScript tsc compiled, decorator metadata kept) with esbuild, resolving packages
 * the way webpack and Vite do (`module` before `main`: routing-controllers' esm2015 build). Native
 * modules, TypeORM (its optional drivers are required by name) and the CORS packages the drivers load
 * only for the `cors` option stay outside the bundle. Answers the files bundled.
 */
async function bundleAsBundlersDo(cwd: string, entry: string, outfile: string): Promise<string[]> {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const built = await esbuild.build({
    absWorkingDir: cwd,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    mainFields: ['module', 'main'],
    external: ['typeorm', 'better-sqlite3', 'argon2', 'cors', '@koa/cors'],
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(built.metafile.inputs);
}

/** Registers `email` with the README's passphrase through the app's JSON register route; expects 201. */
async function register(base: string, email: string): Promise<void> {
  const res = await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: 'a long passphrase' }),
  });
  expect(res.status).to.equal(201);
}

/** Logs in through `backend`'s form login (the OAuth2 password form). */
function formLogin(base: string, backend: string, username: string, password = 'a long passphrase'): Promise<Response> {
  return fetch(`${base}/auth/${backend}/login`, { method: 'POST', body: new URLSearchParams({ username, password }) });
}

/** Fails logins until the account's budget is spent: the 429 must come, with Retry-After and its code. */
async function expectLoginRateLimited(base: string, backend: string, username: string): Promise<void> {
  let limited: Response | undefined;
  for (let i = 0; i < 12 && !limited; i++) {
    const res = await formLogin(base, backend, username, 'wrong passphrase');
    if (res.status === 429) limited = res;
    else expect(res.status).to.equal(400);
  }
  expect(limited, 'no 429 after 12 failed logins').to.not.equal(undefined);
  expect(Number(limited!.headers.get('retry-after'))).to.be.greaterThan(0);
  expect(await limited!.json()).to.have.property('code', 'TOO_MANY_REQUESTS');
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}
