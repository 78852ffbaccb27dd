/**
 * `npm run bench`: the same `GET /items` served by each variant in bench/variants/index.ts,
 * one server process per variant pinned to one core, loaded with autocannon from this process
 * on another core. Variants are interleaved over several rounds (a slow minute on the machine
 * hits every variant alike); the table shows the median req/s and p99 of the rounds, the
 * ratios to (a) no auth and (b) the best hand-written checker, and DESIGN.md's targets.
 * Missed targets are printed, never fatal. Variants with refresh tokens on also get a second
 * table: `POST /refresh` per second, one refresh chain per connection. See docs/benchmark.md.
 *
 * Environment: BENCH_ROUNDS (5), BENCH_DURATION (seconds per run, 3), BENCH_WARMUP (seconds, 2),
 * BENCH_CONNECTIONS (10), BENCH_ONLY (comma-separated variant ids), BENCH_CLIENT_CPU / BENCH_SERVER_CPU.
 */
import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'child_process';
import { Agent, request as httpRequest } from 'http';
import { join } from 'path';
import { performance } from 'perf_hooks';
import { pinCores, raisePriority } from './cpu';
import { positiveInt } from './env';
import { formatTable, median } from './stats';
import type { ServerMessage, VariantDescriptor } from './variant';
import { BARE, HANDWRITTEN, VARIANTS } from './variants';

const ROUNDS = positiveInt('BENCH_ROUNDS', 5);
const DURATION = positiveInt('BENCH_DURATION', 3);
const WARMUP = positiveInt('BENCH_WARMUP', 2);
const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 10);
const READY_TIMEOUT_MS = 60_000;

interface Running {
  descriptor: VariantDescriptor;
  child: ChildProcess;
  url: string;
  headers: Record<string, string>;
  expectedOwner: string;
  samples: { requestsPerSecond: number; p99: number }[];
  failures: string[];
  /** Variants with refresh on: the refresh route, unused refresh tokens, and its samples. */
  refresh?: { url: string; seeds: string[]; samples: { requestsPerSecond: number; p99: number }[] };
}

function startServer(descriptor: VariantDescriptor, prefix: string[]): Promise<Running> {
  const command = [...prefix, process.execPath, join(__dirname, 'server.js'), descriptor.id];
  const child = spawn(command[0], command.slice(1), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  return new Promise((resolve, reject) => {
    const fail = (message: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL'); // it never became a server we track: do not leave it behind
      reject(new Error(`${descriptor.id}: ${message}`));
    };
    const timer = setTimeout(() => fail(`server not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    child.once('exit', (code) => fail(`server exited (${code}) before it was ready`));
    child.once('message', (message: ServerMessage) => {
      if (message.type === 'error') return fail(message.message);
      clearTimeout(timer);
      resolve({
        descriptor,
        child,
        url: `http://127.0.0.1:${message.port}/items`,
        headers: message.token ? { authorization: `Bearer ${message.token}` } : {},
        expectedOwner: message.expectedOwner,
        samples: [],
        failures: [],
        refresh: message.refresh
          ? { url: `http://127.0.0.1:${message.port}${message.refresh.path}`, seeds: [...message.refresh.seeds], samples: [] }
          : undefined,
      });
    });
  });
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

function stop(server: Running): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    const kill = setTimeout(() => server.child.kill('SIGKILL'), 5_000);
    server.child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    server.child.kill('SIGTERM');
  });
}

function report(servers: Running[], skipped: string[], setup: string): string {
  const rps = new Map(servers.map((s) => [s.descriptor.id, median(s.samples.map((x) => x.requestsPerSecond))]));
  const ratio = (id: string, of: string) => {
    const a = rps.get(id);
    const b = rps.get(of);
    return a !== undefined && b !== undefined ? a / b : NaN;
  };
  const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
  const rows = [['variant', 'req/s', 'p99 ms', '×(a)', '×(b)', 'rounds req/s']];
  for (const s of servers) {
    const id = s.descriptor.id;
    rows.push([
      s.descriptor.label,
      fixed(rps.get(id)!, 0),
      fixed(median(s.samples.map((x) => x.p99)), 1),
      fixed(ratio(id, BARE), 2),
      fixed(ratio(id, HANDWRITTEN), 2),
      s.samples.map((x) => x.requestsPerSecond.toFixed(0)).join(' '),
    ]);
  }
  const lines = [
    `GET /items, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds × ${DURATION} s after a ${WARMUP} s warm-up; medians. Node ${process.version}; ${setup}.`,
    '',
    formatTable(rows, [false, true, true, true, true, false]),
  ];
  const shortName = (id: string) => VARIANTS.find((v) => v.id === id)?.label.split(' ')[0] ?? id;
  const targets = servers.filter((s) => s.descriptor.target);
  if (targets.length) {
    lines.push('', 'Targets (DESIGN.md):');
    for (const s of targets) {
      const { of, ratio: wanted } = s.descriptor.target!;
      const got = ratio(s.descriptor.id, of);
      const verdict = !Number.isFinite(got) ? `not measured (${shortName(of)} did not run)` : got >= wanted ? 'met' : 'NOT met';
      lines.push(`  ${shortName(s.descriptor.id)} ≥ ${wanted.toFixed(2)} × ${shortName(of)}: ${fixed(got, 2)} — ${verdict}`);
    }
  }
  const refreshing = servers.filter((s) => s.refresh?.samples.length);
  if (refreshing.length) {
    const refreshRows = [['variant', 'refreshes/s', 'p99 ms', 'rounds refreshes/s']];
    for (const s of refreshing) {
      const samples = s.refresh!.samples;
      refreshRows.push([
        s.descriptor.label,
        fixed(median(samples.map((x) => x.requestsPerSecond)), 0),
        fixed(median(samples.map((x) => x.p99)), 1),
        samples.map((x) => x.requestsPerSecond.toFixed(0)).join(' '),
      ]);
    }
    lines.push(
      '',
      `POST /refresh (rotation: one refresh chain per connection, a fresh session per chain and run):`,
      '',
      formatTable(refreshRows, [false, true, true, false]),
    );
  }
  for (const s of servers) if (s.failures.length) lines.push(`WARNING ${s.descriptor.id}: ${s.failures.join('; ')} — its figures are not valid.`);
  for (const line of skipped) lines.push(`Skipped ${line}`);
  return lines.join('\n');
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
  const stopServices = process.env.BENCH_SERVICES === '0' ? undefined : await startServices();
  try {
    await runBench();
  } finally {
    await stopServices?.();
  }
}

async function runBench(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const selected = VARIANTS.filter((v) => !only || only.includes(v.id));
  const skipped: string[] = [];
  const runnable = selected.filter((v) => {
    const reason = v.skipReason?.();
    if (reason) skipped.push(`${v.label}: ${reason}`);
    return !reason;
  });
  if (runnable.length === 0) throw new Error('No variant to run (check BENCH_ONLY).');

  const pinning = pinCores();
  // Servers get the same priority as this process: `nice` before exec covers all their threads.
  const raised = raisePriority();
  const prefix = [...(raised ? ['nice', '-n', '-7'] : []), ...pinning.serverPrefix];
  const setup = `${pinning.description}; ${raised ? 'raised priority (nice -7)' : 'normal priority'}`;
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
      for (const s of order) s.samples.push(await load(s, DURATION));
      // After every variant's GET run, so refresh load never overlaps (or warms) another's measurement.
      for (const s of order) if (s.refresh) s.refresh.samples.push(await loadRefresh(s, DURATION));
      console.log(`round ${round + 1}/${ROUNDS} done`);
    }
  } finally {
    await Promise.all(servers.map(stop));
  }
  console.log(`\n${report(servers, skipped, setup)}`);
}

main().catch((error: Error) => {
  console.error(`Benchmark failed: ${error.message}`);
  process.exitCode = 1;
});
