import { expect } from 'chai';
import { execFileSync, spawn } from 'child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

const ROOT = resolve(__dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/quick-start');

/** The exact version installed here, so an offline install finds it in npm's cache. */
function installedVersion(name: string): string {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
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

  it('packs only compiled JavaScript, declarations and the README', () => {
    const out = npm(['pack', '--pack-destination', dir, '--json'], ROOT);
    const [packed] = JSON.parse(out.slice(out.indexOf('[')));
    const files: string[] = packed.files.map((f: { path: string }) => f.path);
    expect(files).to.include.members(['dist/src/index.js', 'dist/src/index.d.ts', 'README.md', 'package.json']);
    expect(files.filter((f) => !/^dist\/src\/.+\.(js|d\.ts|js\.map)$|^README\.md$|^package\.json$/.test(f))).to.deep.equal([]);
  });

  it('installs from the tarball with its peers, compiles the quick start under strict, and serves it', async () => {
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true }));
    const peers = ['routing-controllers', 'typedi', 'typeorm', 'reflect-metadata', 'class-validator', 'class-transformer', 'express', 'body-parser', 'multer', 'better-sqlite3', 'typescript', '@types/node'];
    // Offline from npm's cache; install scripts off: the native better-sqlite3 build is reused below.
    npm(['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', `./${tarball}`, ...peers.map((p) => `${p}@${installedVersion(p)}`)], dir);
    cpSync(join(ROOT, 'node_modules/better-sqlite3/build'), join(dir, 'node_modules/better-sqlite3/build'), { recursive: true });
    cpSync(join(FIXTURE, 'app.ts'), join(dir, 'app.ts'));
    cpSync(join(FIXTURE, 'tsconfig.json'), join(dir, 'tsconfig.json'));

    execFileSync(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });

    child = spawn(process.execPath, ['dist/app.js'], {
      cwd: dir,
      env: { ...process.env, AUTH_SECRET: 'fresh-app-secret-0123456789-abcdefghij', DB_FILE: join(dir, 'app.sqlite') },
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
});
