/**
 * `npm run bench`: the same `GET /items` served by each variant in bench/variants/index.ts,
 * one server process per variant pinned to one core, loaded with autocannon from this process
 * on another core. Variants are interleaved over several rounds (the order rotates each round);
 * the table (bench/report.ts) shows the median req/s and p99 of the rounds, the median of the
 * per-round ratios to (a) no auth and (b) the best hand-written checker with their spread, the
 * resident memory after load, and the targets. Variants with refresh tokens on also get a
 * `POST /refresh` table; then the login-storm table (bench/login-storm.ts).
 *
 * Exit code 2 when a target verdict cannot be told from noise or the floor is too noisy (see
 * bench/verdict.ts): nobody should read such a run. A clearly missed target is printed, exit 0.
 *
 * Environment: BENCH_ROUNDS (7), BENCH_DURATION (seconds per run, 4), BENCH_WARMUP (seconds, 3),
 * BENCH_CONNECTIONS (10), BENCH_ONLY (comma-separated variant ids), BENCH_CLIENT_CPU / BENCH_SERVER_CPU,
 * BENCH_STORM=0 (no login storm), BENCH_STORM_* (bench/login-storm.ts), BENCH_BASELINE (another compiled
 * checkout whose build runs each library row again, for a before/after ratio in one run).
 */
import autocannon from 'autocannon';
import type { ChildProcess } from 'child_process';
import { Agent, request as httpRequest } from 'http';
import { resolve } from 'path';
import { performance } from 'perf_hooks';
import { type Pinning, pinCores, raisePriority } from './cpu';
import { positiveInt } from './env';
import { runLoginStorm, stormSettings } from './login-storm';
import { readMemory } from './memory';
import { spawnServer, stopServer } from './processes';
import { type Measured, type Report, report, type Sample } from './report';
import type { VariantDescriptor } from './variant';
import { BARE, FLOOR, HANDWRITTEN, LOGIN_STORM, VARIANTS } from './variants';

const ROUNDS = positiveInt('BENCH_ROUNDS', 7);
const DURATION = positiveInt('BENCH_DURATION', 4);
const WARMUP = positiveInt('BENCH_WARMUP', 3);
const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 10);

interface Running extends Measured {
  child: ChildProcess;
  url: string;
  headers: Record<string, string>;
  expectedOwner: string;
  /** Variants with refresh on: the refresh route, unused refresh tokens, and its samples. */
  refresh?: { url: string; seeds: string[]; samples: Sample[] };
}

async function startServer(descriptor: VariantDescriptor, prefix: string[]): Promise<Running> {
  // The servers size their refresh chains from these: give them this run's values, defaults included.
  const env = { BENCH_ROUNDS: String(ROUNDS), BENCH_CONNECTIONS: String(CONNECTIONS) };
  const { child, ready } = await spawnServer(descriptor, prefix, env);
  return {
    descriptor,
    child,
    url: `http://127.0.0.1:${ready.port}/items`,
    headers: ready.token ? { authorization: `Bearer ${ready.token}` } : {},
    expectedOwner: ready.expectedOwner,
    samples: [],
    failures: [],
    memory: [],
    refresh: ready.refresh ? { url: `http://127.0.0.1:${ready.port}${ready.refresh.path}`, seeds: [...ready.refresh.seeds], samples: [] } : undefined,
  };
}

/** Proves the variant serves what it claims before measuring it: 200 with the owner, and 401 without a token. */
async function preflight(server: Running): Promise<void> {
  const ok = await fetch(server.url, { headers: server.headers });
  const body = (await ok.json()) as { owner?: string };
  if (ok.status !== 200 || body.owner !== server.expectedOwner) {
    throw new Error(`${server.descriptor.id}: GET /items answered ${ok.status} ${JSON.stringify(body)}`);
  }
  if (server.headers.authorization) {
    const anonymous = await fetch(server.url);
    await anonymous.arrayBuffer();
    if (anonymous.status !== 401) throw new Error(`${server.descriptor.id}: GET /items without a token answered ${anonymous.status}, not 401`);
  }
}

async function load(server: Running, seconds: number) {
  const result = await autocannon({ url: server.url, headers: server.headers, connections: CONNECTIONS, duration: seconds });
  if (result.non2xx || result.errors) server.failures.push(`${result.non2xx} non-2xx, ${result.errors} errors`);
  return { requestsPerSecond: result.requests.average, p99: result.latency.p99 };
}

/**
 * Refreshes as fast as the server answers: `CONNECTIONS` chains over keep-alive connections, each
 * presenting the refresh token the previous answer gave (a token is used once; presenting one
 * twice would be reuse and end the session). Every run starts its chains from fresh sessions.
 * A loop of its own rather than autocannon, whose per-connection context does not outlive a request.
 */
async function loadRefresh(server: Running, seconds: number) {
  const refresh = server.refresh!;
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let refused = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const chain = async () => {
    let token = refresh.seeds.pop();
    if (!token) throw new Error('out of refresh chains');
    while (performance.now() < deadline) {
      const sent = performance.now();
      try {
        const { status, body } = await post(refresh.url, `grant_type=refresh_token&refresh_token=${token}`, agent);
        if (status !== 200) {
          refused++;
          break;
        }
        token = JSON.parse(body).refresh_token as string;
        latencies.push(performance.now() - sent);
      } catch {
        errors++;
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, chain));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  if (refused || errors) server.failures.push(`refresh: ${refused} refused, ${errors} errors`);
  latencies.sort((a, b) => a - b);
  return { requestsPerSecond: latencies.length / elapsed, p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN };
}

function post(url: string, body: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * PostgreSQL and Redis for (e) and (f): the test suite's private servers on loopback ports,
 * unless TEST_DATABASE_URL / TEST_REDIS_URL name servers already. Without the binaries those
 * rows are skipped, with the reason.
 */
async function startServices(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL) return undefined;

  const services = require('../test/support/services') as { mochaGlobalSetup(): Promise<void>; mochaGlobalTeardown(): Promise<void> };
  try {
    await services.mochaGlobalSetup();
    return () => services.mochaGlobalTeardown();
  } catch (error) {
    console.log(`PostgreSQL / Redis rows skipped: ${(error as Error).message}`);
    return undefined;
  }
}

async function main(): Promise<void> {
  // Pinned before the services start: PostgreSQL and Redis inherit the load generator's core, so the
  // database's own work is not counted against the server measured (in production it is another machine).
  const pinning = pinCores();
  const stopServices = process.env.BENCH_SERVICES === '0' ? undefined : await startServices();
  try {
    await runBench(pinning, Boolean(stopServices));
  } finally {
    await stopServices?.();
  }
}

async function runBench(pinning: Pinning, ownServices: boolean): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const selected = withBaselines(VARIANTS.filter((v) => !only || only.includes(v.id)));
  const skipped: string[] = [];
  const runnable = selected.filter((v) => {
    const reason = v.skipReason?.();
    if (reason) skipped.push(`${v.label}: ${reason}`);
    return !reason;
  });
  const withStorm = process.env.BENCH_STORM !== '0' && (!only || only.includes(LOGIN_STORM.id));
  if (runnable.length === 0 && !withStorm) throw new Error('No variant to run (check BENCH_ONLY).');

  // Servers get the same priority as this process: `nice` before exec covers all their threads.
  const raised = raisePriority();
  const prefix = [...(raised ? ['nice', '-n', '-7'] : []), ...pinning.serverPrefix];
  const services = ownServices && pinning.serverPrefix.length > 0 ? "; PostgreSQL and Redis on the load generator's CPU" : '';
  const setup = `${pinning.description}${services}; ${raised ? 'raised priority (nice -7)' : 'normal priority'}`;
  const started = performance.now();
  let undecided = false;
  if (runnable.length > 0) {
    const table = await runTable(runnable, prefix, setup, skipped);
    console.log(`\n${table.text}`);
    undecided ||= table.undecided;
  }
  if (withStorm) {
    const storm = await runLoginStorm(prefix, stormSettings(DURATION, WARMUP, CONNECTIONS));
    console.log(`\n${storm.text}`);
    undecided ||= storm.undecided;
  }
  console.log(`\nTook ${((performance.now() - started) / 60_000).toFixed(1)} min.`);
  if (undecided) {
    console.log('UNDECIDED: a verdict or the floor cannot be told apart from noise (see above); exit code 2.');
    process.exitCode = 2;
  }
}

/**
 * `BENCH_BASELINE=<a compiled checkout>` (e.g. a `git worktree` of the commit before a change, after
 * `npm run compile` there): each selected library row runs a second time from that checkout's
 * build, in the same rounds, and the report gives the per-round ratio of today's row to it.
 */
function withBaselines(selected: VariantDescriptor[]): VariantDescriptor[] {
  const dir = process.env.BENCH_BASELINE;
  if (!dir) return selected;
  const script = resolve(dir, 'dist/bench/server.js');
  const theirs = (require(resolve(dir, 'dist/bench/variants/index.js')) as { VARIANTS: VariantDescriptor[] }).VARIANTS.map((v) => v.id);
  const references = new Set([BARE, FLOOR, HANDWRITTEN]);
  const baselines = selected
    .filter((v) => !references.has(v.id) && theirs.includes(v.id))
    .map((v): VariantDescriptor => ({ id: `${v.id}@baseline`, label: `${v.label.split(' ')[0]}@baseline`, module: v.module, baseline: { of: v.id, script } }));
  return [...selected, ...baselines];
}

/** The GET /items table: every runnable variant, interleaved rounds, memory after each variant's load. */
async function runTable(runnable: VariantDescriptor[], prefix: string[], setup: string, skipped: string[]): Promise<Report> {
  const servers: Running[] = [];
  try {
    const started = await Promise.allSettled(runnable.map((descriptor) => startServer(descriptor, prefix)));
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const s of servers) await preflight(s);
    console.log(`Warm-up: ${servers.length} variants × ${WARMUP} s, then ${ROUNDS} rounds × ${DURATION} s each…`);
    for (const s of servers) await load(s, WARMUP);
    for (const s of servers) if (s.refresh) await loadRefresh(s, WARMUP);
    for (const s of servers) s.failures.length = 0; // warm-up errors (none expected) do not count

    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round, so no variant always runs first or right after another.
      const order = servers.map((_, i) => servers[(i + round) % servers.length]);
      for (const s of order) {
        s.samples.push(await load(s, DURATION));
        s.memory.push(await readMemory(s.child)); // right after its load, before the next variant's
      }
      // After every variant's GET run, so refresh load never overlaps (or warms) another's measurement.
      for (const s of order) if (s.refresh) s.refresh.samples.push(await loadRefresh(s, DURATION));
      console.log(`round ${round + 1}/${ROUNDS} done`);
    }
  } finally {
    await Promise.all(servers.map((s) => stopServer(s.child)));
  }
  return report(servers, skipped, setup, { connections: CONNECTIONS, rounds: ROUNDS, duration: DURATION, warmup: WARMUP });
}

main().catch((error: Error) => {
  console.error(`Benchmark failed: ${error.message}`);
  process.exitCode = 1;
});
