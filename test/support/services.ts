/**
 * The services the suite talks to: a private PostgreSQL 15 and a private redis-server, each on
 * a free 127.0.0.1 port with its files in a fresh temp dir. Mocha loads this file through
 * `.mocharc.json` ("require"), so `mochaGlobalSetup` starts both once for the whole run and
 * exports `TEST_DATABASE_URL` / `TEST_REDIS_URL`; `mochaGlobalTeardown` stops them.
 *
 * Never the machine's own clusters: a test run must not depend on, or damage, anything that
 * was running before. A missing binary fails the run with one line saying what to install —
 * a suite that silently skips PostgreSQL or Redis would pass while testing nothing.
 *
 * The fault tests start extra instances of these classes, to stop and restart them.
 */
import { spawn, type ChildProcess } from 'child_process';
import { accessSync, chownSync, constants, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'fs';
import { connect, createServer } from 'net';
import { tmpdir } from 'os';
import { delimiter, join } from 'path';
import { createClient } from 'redis';

// `pg` ships no types and @types/pg is not installed: the little used here is declared by hand.
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
}

const { Client } = require('pg') as { Client: new (config: { connectionString: string; connectionTimeoutMillis?: number }) => PgClient };

const PG_BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
/** How long a service may take to accept connections before the run fails. */
const READY_TIMEOUT_MS = 15_000;
/** How long a stopping service may take before it is killed. */
const STOP_TIMEOUT_MS = 5_000;

/** A setup failure worth one line: mocha prints `stack`, which here is the message alone. */
export class ServiceSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceSetupError';
    this.stack = `${this.name}: ${message}`;
  }
}

// ---- helpers ----------------------------------------------------------------------------------

/** A loopback port nobody listens on right now (the OS picks it; we release it at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function requireExecutable(path: string | undefined, what: string, install: string): string {
  if (path) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // fall through to the one-line failure
    }
  }
  throw new ServiceSetupError(`${what} not found: ${install}`);
}

/**
 * The account the services run as. PostgreSQL refuses to run as root, and a test server has no
 * business running as root anyway: as root we drop to `postgres` (or `nobody`).
 */
interface RunAs {
  uid: number;
  gid: number;
}

function unprivilegedAccount(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const accounts = new Map<string, RunAs>();
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid, gid] = line.split(':');
      if (name && Number(uid) > 0) accounts.set(name, { uid: Number(uid), gid: Number(gid) });
    }
  } catch {
    // no /etc/passwd: fall through to the one-line failure
  }
  const account = accounts.get('postgres') ?? accounts.get('nobody');
  if (!account)
    throw new ServiceSetupError('Running as root, but no unprivileged account (postgres or nobody) exists to run the test services: useradd --system postgres');
  return account;
}

function makeTempDir(prefix: string, runAs: RunAs | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  return dir;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Resolves when `child` has exited; kills it if it has not within `timeoutMs`. */
function waitForExit(child: ChildProcess, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Polls `probe` until it succeeds, the child exits, or the deadline passes: readiness is
 * observed, never assumed from a fixed sleep.
 */
async function waitUntilReady(what: string, child: ChildProcess, log: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new ServiceSetupError(`${what} exited during startup (${child.exitCode ?? child.signalCode}): ${tail(log, 5).replace(/\n/g, ' | ')}`);
    }
    if (await probe().catch(() => false)) return;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new ServiceSetupError(`${what} was not ready within ${READY_TIMEOUT_MS} ms: ${tail(log, 5).replace(/\n/g, ' | ')}`);
}

/**
 * Starts `server`; if another process took its port between `freePort` and the bind (the log
 * says so), starts it again on another free port.
 */
async function startOnFreePort(server: { port: number; resume(): Promise<void> }, log: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await server.resume();
    } catch (error) {
      if (attempt >= 3 || !/address already in use/i.test(tail(log, 5))) throw error;
      server.port = await freePort();
    }
  }
}

/** Processes to kill if the test process ends without teardown (crash, process.exit, Ctrl-C). */
const running = new Set<{ child: ChildProcess; dir: string }>();

function killRunning(): void {
  for (const entry of running) {
    entry.child.kill('SIGKILL');
    rmSync(entry.dir, { recursive: true, force: true });
  }
  running.clear();
}

process.once('exit', killRunning);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  // Node dies of these signals without an 'exit' event; clean up, then die of the signal as before.
  process.once(signal, () => {
    killRunning();
    process.kill(process.pid, signal);
  });
}

// ---- redis-server -----------------------------------------------------------------------------

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** True once `CLUSTER INFO` says ok: a string with RESP2, a String object or bytes with RESP3 type mappings. */
async function clusterIsOk(client: { sendCommand(args: string[]): Promise<unknown> }): Promise<boolean> {
  const info: unknown = await client.sendCommand(['CLUSTER', 'INFO']);
  const text = typeof info === 'string' ? info : info instanceof String ? info.valueOf() : Buffer.isBuffer(info) ? info.toString('utf8') : '';
  return text.includes('cluster_state:ok');
}

/** A private redis-server: no persistence, loopback only, its own temp dir. */
export class RedisServer {
  private child: ChildProcess | undefined;
  private entry: { child: ChildProcess; dir: string } | undefined;

  private constructor(
    /** Changes only if another process took the first port chosen before the server bound it. */
    public port: number,
    private readonly dir: string,
    private readonly binary: string,
    private readonly runAs: RunAs | undefined,
    /** Cluster mode (one node owning every slot): multi-key commands across slots fail as on a real cluster. */
    readonly cluster: boolean,
    /** Keeps its data across stop/resume (append-only file), like a production Redis restarting. */
    readonly persistent: boolean,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `cluster: true` alone makes a one-node cluster owning every slot; with `assignSlots: false` a node for `RedisCluster`. */
  static async start(options: { cluster?: boolean; persistent?: boolean; assignSlots?: boolean } = {}): Promise<RedisServer> {
    const binary = requireExecutable(findOnPath('redis-server'), 'redis-server', 'apt-get install -y redis-server');
    const runAs = unprivilegedAccount();
    const dir = makeTempDir('rcauth-redis-', runAs);
    const server = new RedisServer(await freePort(), dir, binary, runAs, options.cluster ?? false, options.persistent ?? false);
    try {
      await startOnFreePort(server, join(dir, 'redis.log'));
      if (server.cluster && options.assignSlots !== false) await server.assignAllSlots();
    } catch (error) {
      await server.destroy();
      throw error;
    }
    return server;
  }

  /** Makes the lone cluster node own all 16384 slots and waits until the cluster says ok. */
  private async assignAllSlots(): Promise<void> {
    const client = createClient({ url: this.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.sendCommand(['CLUSTER', 'ADDSLOTSRANGE', '0', '16383']);
      const deadline = Date.now() + READY_TIMEOUT_MS;
      while (!(await clusterIsOk(client))) {
        if (Date.now() > deadline) throw new ServiceSetupError('redis-server (cluster mode) did not reach cluster_state:ok');
        await sleep(50);
      }
    } finally {
      client.destroy();
    }
  }

  /** Starts (again) on the same port: what "Redis came back" looks like to clients. */
  async resume(): Promise<void> {
    if (this.child) return;
    const log = join(this.dir, 'redis.log');
    const fd = openSync(log, 'a');
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, '--daemonize', 'no', '--loglevel', 'warning'];
    args.push(...(this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    if (this.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(this.dir, 'nodes.conf'));
    const child = spawn(this.binary, args, { stdio: ['ignore', fd, fd], ...(this.runAs ?? {}) });
    closeSync(fd);
    this.child = child;
    this.entry = { child, dir: this.dir };
    running.add(this.entry);
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    await waitUntilReady('redis-server', child, log, () => redisPing(this.port));
  }

  /** Freezes the process (SIGSTOP): connections stay open but nothing is answered. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Thaws a paused server (SIGCONT). */
  unpause(): void {
    this.child?.kill('SIGCONT');
  }

  /** Stops the server (SIGTERM; killed if slow). The port and temp dir stay for `resume`. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    child.kill('SIGCONT'); // a paused server cannot act on SIGTERM
    child.kill('SIGTERM');
    await waitForExit(child);
    if (this.entry) running.delete(this.entry);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A real three-node Redis Cluster (no replicas): three cluster-enabled servers joined by
 * `redis-cli --cluster create`, so keys of different slots live on different nodes and the
 * client follows MOVED redirections, as in production.
 */
export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  /** The nodes' addresses, e.g. for `createCluster({ rootNodes })`. */
  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  static async start(): Promise<RedisCluster> {
    const cli = requireExecutable(findOnPath('redis-cli'), 'redis-cli', 'apt-get install -y redis-tools');
    const nodes: RedisServer[] = [];
    const cluster = new RedisCluster(nodes);
    try {
      for (let i = 0; i < 3; i++) nodes.push(await RedisServer.start({ cluster: true, assignSlots: false }));
      const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
      await new Promise<void>((resolve, reject) => {
        const child = spawn(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        child.once('error', reject);
        child.once('exit', (code) =>
          code === 0 ? resolve() : reject(new ServiceSetupError(`redis-cli --cluster create failed: ${output.trim().split('\n').slice(-3).join(' ')}`)),
        );
      });
      await cluster.waitUntilOk();
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /** Every node says cluster_state:ok (the slots are assigned and the nodes agree). */
  private async waitUntilOk(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (const node of this.nodes) {
      const client = createClient({ url: node.url });
      client.on('error', () => undefined);
      await client.connect();
      try {
        while (!(await clusterIsOk(client))) {
          if (Date.now() > deadline) throw new ServiceSetupError('the three-node Redis cluster did not reach cluster_state:ok');
          await sleep(50);
        }
      } finally {
        client.destroy();
      }
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.destroy()));
  }
}

// ---- PostgreSQL -------------------------------------------------------------------------------

/** A private PostgreSQL cluster: initdb into a temp dir, `postgres` on a loopback port. */
export class PostgresServer {
  private child: ChildProcess | undefined;
  private entry: { child: ChildProcess; dir: string } | undefined;

  private constructor(
    /** Changes only if another process took the first port chosen before the server bound it. */
    public port: number,
    private readonly dir: string,
    private readonly runAs: RunAs | undefined,
  ) {}

  /** The URL of `database` (default: the one made for the tests). */
  url(database = 'rcauth_test'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  static async start(): Promise<PostgresServer> {
    const install = 'apt-get install -y postgresql-15 (or set PG_BIN_DIR)';
    requireExecutable(join(PG_BIN_DIR, 'initdb'), `PostgreSQL initdb (${PG_BIN_DIR})`, install);
    requireExecutable(join(PG_BIN_DIR, 'postgres'), `PostgreSQL server (${PG_BIN_DIR})`, install);
    const runAs = unprivilegedAccount();
    const server = new PostgresServer(await freePort(), makeTempDir('rcauth-pg-', runAs), runAs);
    try {
      await server.initdb();
      await startOnFreePort(server, join(server.dir, 'postgres.log'));
      await server.createDatabase('rcauth_test');
    } catch (error) {
      await server.destroy();
      throw error;
    }
    return server;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  private initdb(): Promise<void> {
    // trust auth on a loopback-only, throwaway cluster; --no-sync: nothing here must survive a crash.
    const args = ['-D', this.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'];
    return new Promise((resolve, reject) => {
      const child = spawn(join(PG_BIN_DIR, 'initdb'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...(this.runAs ?? {}) });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('error', (error) => reject(new ServiceSetupError(`initdb could not start: ${error.message}`)));
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new ServiceSetupError(`initdb failed (${code}): ${stderr.trim().split('\n').pop()}`))));
    });
  }

  /** Starts (again) on the same port and data dir. */
  async resume(): Promise<void> {
    if (this.child) return;
    const log = join(this.dir, 'postgres.log');
    const fd = openSync(log, 'a');
    const settings = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: this.dir,
      // Durability is pointless for a throwaway test cluster and costs seconds per run.
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '200',
      log_min_messages: 'warning',
    };
    const args = ['-D', this.dataDir, '-p', String(this.port)];
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
    const child = spawn(join(PG_BIN_DIR, 'postgres'), args, { stdio: ['ignore', fd, fd], ...(this.runAs ?? {}) });
    closeSync(fd);
    this.child = child;
    this.entry = { child, dir: this.dir };
    running.add(this.entry);
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    await waitUntilReady('PostgreSQL', child, log, () => this.probe());
  }

  private async probe(): Promise<boolean> {
    const client = new Client({ connectionString: this.url('postgres'), connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Creates an empty database (a test that wants a schema of its own). */
  async createDatabase(name: string): Promise<string> {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Not a plain database name: ${name}`);
    const client = new Client({ connectionString: this.url('postgres') });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  /** Fast shutdown (what `pg_ctl stop -m fast` sends): clients are disconnected at once. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    child.kill('SIGINT');
    await waitForExit(child);
    if (this.entry) running.delete(this.entry);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---- mocha global fixture ---------------------------------------------------------------------

let services: { postgres?: PostgresServer; redis?: RedisServer } = {};

/** The private PostgreSQL of this run (the scale-out test makes a database of its own in it). */
export function testPostgres(): PostgresServer {
  if (!services.postgres) throw new Error('The test services did not start (is .mocharc.json requiring dist/test/support/services.js?)');
  return services.postgres;
}

export async function mochaGlobalSetup(): Promise<void> {
  const [postgres, redis] = await Promise.allSettled([PostgresServer.start(), RedisServer.start()]);
  if (postgres.status === 'fulfilled') services.postgres = postgres.value;
  if (redis.status === 'fulfilled') services.redis = redis.value;
  const failure = [postgres, redis].find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await mochaGlobalTeardown();
    // Mocha would wrap the error in an "uncaught exception" dump; the reader needs one line.
    if (failure.reason instanceof ServiceSetupError) {
      process.stderr.write(`${failure.reason.message}\n`);
      process.exit(1);
    }
    throw failure.reason;
  }
  process.env.TEST_DATABASE_URL = services.postgres!.url();
  process.env.TEST_REDIS_URL = services.redis!.url;
}

export async function mochaGlobalTeardown(): Promise<void> {
  const { postgres, redis } = services;
  services = {};
  await Promise.all([postgres?.destroy(), redis?.destroy()]);
}
