/**
 * `npm run bench:profile -- <variant id> [<variant id>…]`: where a request's time goes. Each
 * variant's server runs pinned to one core under `node --cpu-prof` while autocannon loads it from
 * the other; the profile's samples taken during the load are divided by the requests answered
 * then. Prints, per variant, the microseconds per request by origin (this library, express,
 * routing-controllers, node's http, GC, …) and by function; with several variants, the
 * difference of each from the first, function by function. See docs/benchmark.md.
 *
 * Environment: BENCH_PROFILE_SECONDS (10), BENCH_CONNECTIONS (10), BENCH_PROFILE_TOP (25).
 * Profiled code runs ~1.3× slower than unprofiled; compare rows of one run, not with `npm run bench`.
 */
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { pinCores } from './cpu';
import { differenceLines, perRequestCost, type PerRequestCost, topLines } from './cpu-profile';
import { positiveInt } from './env';
import { spawnServer, stopServer } from './processes';
import { VARIANTS } from './variants';

const SECONDS = positiveInt('BENCH_PROFILE_SECONDS', 10);
const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 10);
const TOP = positiveInt('BENCH_PROFILE_TOP', 25);

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

async function profileVariant(id: string, prefix: string[]): Promise<PerRequestCost & { requestsPerSecond: number }> {
  const descriptor = VARIANTS.find((v) => v.id === id);
  if (!descriptor) throw new Error(`No benchmark variant "${id}" (see bench/variants/index.ts).`);
  const dir = mkdtempSync(join(tmpdir(), `rcauth-profile-${id}-`));
  try {
    const { child, ready } = await spawnServer(descriptor, prefix, {}, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const url = `http://127.0.0.1:${ready.port}/items`;
    const headers = ready.token ? { authorization: `Bearer ${ready.token}` } : {};
    let result: autocannon.Result;
    let window: { startUs: number; endUs: number };
    try {
      await autocannon({ url, headers, connections: CONNECTIONS, duration: 2 }); // warm-up: JIT, caches, pools
      const startUs = monotonicUs();
      result = await autocannon({ url, headers, connections: CONNECTIONS, duration: SECONDS });
      window = { startUs, endUs: monotonicUs() };
    } finally {
      await stopServer(child); // the profile is written as the server exits
    }
    if (result.non2xx || result.errors) throw new Error(`${id}: ${result.non2xx} non-2xx answers, ${result.errors} errors under load`);
    const [file] = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${id}: the server wrote no CPU profile`);
    return { ...perRequestCost(join(dir, file), window, result.requests.total), requestsPerSecond: result.requests.average };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const ids = process.argv.slice(2);
  if (ids.length === 0)
    throw new Error(`Name the variants to profile, e.g. \`npm run bench:profile -- checkers-only jwt\` (${VARIANTS.map((v) => v.id).join(', ')}).`);
  const pinning = pinCores();
  console.log(`Profiling ${ids.join(', ')}: ${SECONDS} s of load each, ${CONNECTIONS} connections; ${pinning.description}.`);
  const costs: (PerRequestCost & { id: string; requestsPerSecond: number })[] = [];
  for (const id of ids) costs.push({ id, ...(await profileVariant(id, pinning.serverPrefix)) });
  for (const cost of costs) {
    const busy = cost.total - (cost.byOrigin.get('(idle)') ?? 0);
    console.log(
      `\n${cost.id}: ${cost.requestsPerSecond.toFixed(0)} req/s profiled; ${busy.toFixed(1)} µs busy per request (${cost.total.toFixed(1)} µs sampled)`,
    );
    console.log('  by origin:');
    for (const line of topLines(cost.byOrigin, 14)) console.log(`  ${line}`);
    console.log('  by function:');
    for (const line of topLines(cost.byFunction, TOP)) console.log(`  ${line}`);
  }
  const [first, ...others] = costs;
  for (const other of others) {
    console.log(`\n${other.id} − ${first.id}, per request:`);
    for (const line of differenceLines(first.byOrigin, other.byOrigin, 10)) console.log(`  ${line}`);
    console.log('  by function:');
    for (const line of differenceLines(first.byFunction, other.byFunction, TOP)) console.log(`  ${line}`);
  }
}

main().catch((error: Error) => {
  console.error(`Profiling failed: ${error.message}`);
  process.exitCode = 1;
});
