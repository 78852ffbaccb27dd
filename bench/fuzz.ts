/**
 * `npm run fuzz`: the fuzz properties of test/support/fuzz-cases.ts for 100,000 cases in total
 * against one real app listening on 127.0.0.1, several fast-check runs in flight at once.
 * Prints, per property, the cases run, the status histogram and the failures (each with its
 * seed, so `FUZZ_SEED=<seed> FUZZ_RUNS=<n> mocha dist/test/package/fuzz.test.js` or this script with
 * FUZZ_SEED reproduces it). Exits 1 on any failure. See docs/fuzz.md.
 *
 * Environment: FUZZ_CASES (100000), FUZZ_SEED (random, printed), FUZZ_CONCURRENCY (16),
 * FUZZ_CHUNK (cases per fast-check run, 500), FUZZ_ONLY (comma-separated property names),
 * FUZZ_ARGON2=default (production argon2id parameters instead of cheap ones),
 * FUZZ_KNOWN_FINDINGS=0 (leave out the inputs of the fixed findings), TEST_DRIVER (express | express5 | koa).
 */
import fc from 'fast-check';
import { Argon2PasswordHasher } from '../src';
import { DRIVER } from '../test/support/app';
import { positiveInt } from './env';
import { asyncPropertyOf, createWorld, PROPERTIES, PropertyStats, sanityProblems, type FuzzProperty } from '../test/support/fuzz-cases';

const TOTAL = positiveInt('FUZZ_CASES', 100_000);
const SEED = positiveInt('FUZZ_SEED', Math.floor(Math.random() * 2 ** 31));
const CONCURRENCY = positiveInt('FUZZ_CONCURRENCY', 16);
const CHUNK = positiveInt('FUZZ_CHUNK', 500);
const ONLY = process.env.FUZZ_ONLY?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);

interface Chunk {
  property: FuzzProperty;
  stats: PropertyStats;
  seed: number;
  runs: number;
  /** Its position among its property's chunks. */
  k: number;
}

async function main(): Promise<void> {
  const properties = ONLY ? PROPERTIES.filter((p) => ONLY.includes(p.name)) : PROPERTIES;
  if (properties.length === 0) throw new Error(`FUZZ_ONLY matches no property (have: ${PROPERTIES.map((p) => p.name).join(', ')}).`);

  // Anything that escapes a request handler would end the process: count it instead, as a failure.
  const escaped: string[] = [];
  process.on('unhandledRejection', (reason) => void escaped.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`));
  process.on('uncaughtException', (error) => void escaped.push(`uncaughtException: ${error.stack ?? error}`));
  // What the server logs while being fuzzed (Express's final handler logs 5xx stacks here).
  const logged: string[] = [];
  const originalError = console.error;
  console.error = (...args: unknown[]) => void logged.push(args.map(String).join(' '));

  const world = await createWorld(process.env.FUZZ_ARGON2 === 'default' ? { passwordHasher: new Argon2PasswordHasher() } : {});
  const weightSum = properties.reduce((n, p) => n + p.weight, 0);
  const stats = new Map(properties.map((p) => [p.name, new PropertyStats()]));
  const failed = new Set<string>();

  // Each property's share, cut into chunks; chunk k of a property runs with seed SEED + 1000 * i + k.
  const chunks: Chunk[] = [];
  properties.forEach((property, i) => {
    let left = Math.round((TOTAL * property.weight) / weightSum);
    for (let k = 0; left > 0; k++) {
      const runs = Math.min(CHUNK, left);
      chunks.push({ property, stats: stats.get(property.name)!, seed: SEED + 1000 * i + k, runs, k });
      left -= runs;
    }
  });
  // Interleave the properties, so every one is being fuzzed at any moment.
  chunks.sort((a, b) => a.k - b.k);

  console.log(
    `fuzz: ${TOTAL} cases, seed ${SEED}, ${CONCURRENCY} runs in flight, driver ${DRIVER}, argon2 ${process.env.FUZZ_ARGON2 === 'default' ? 'default' : 'cheap'}`,
  );
  const started = Date.now();
  let done = 0;
  const progress = setInterval(() => {
    const cases = [...stats.values()].reduce((n, s) => n + s.cases, 0);
    console.log(`  … ${cases} cases, ${done}/${chunks.length} chunks, ${Math.round((Date.now() - started) / 1000)} s`);
  }, 15_000);

  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++];
      // A property that failed is not fuzzed further: its finding is reported, not buried in repeats.
      if (failed.has(chunk.property.name)) continue;
      const details = await fc.check(asyncPropertyOf(world, chunk.property, chunk.stats), { seed: chunk.seed, numRuns: chunk.runs });
      done++;
      if (details.failed) {
        failed.add(chunk.property.name);
        const error = details.errorInstance as Error | undefined;
        chunk.stats.failures.push(
          `seed ${chunk.seed} (FUZZ_SEED=${chunk.seed} FUZZ_RUNS=${chunk.runs} FUZZ_ONLY=${chunk.property.name}), path ${details.counterexamplePath}\n` +
            `    counterexample: ${fc.stringify(details.counterexample)}\n    ${String(error?.message ?? error).replace(/\n/g, '\n    ')}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  clearInterval(progress);
  const seconds = (Date.now() - started) / 1000;

  const sanity = await sanityProblems(world);
  console.error = originalError;
  await world.close();

  const rows = properties.map((p) => {
    const s = stats.get(p.name)!;
    return [p.name, String(s.cases), String(s.failures.length), String(s.retries), s.histogram()];
  });
  const header = ['property', 'cases', 'failures', 'retries', 'statuses'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const total = rows.reduce((n, r) => n + Number(r[1]), 0);
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
  console.log(`\n${total} cases in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} cases/s), seed ${SEED}`);
  console.log(`server log lines: ${logged.length}; escaped errors: ${escaped.length}; process up afterwards: ${sanity.length === 0 ? 'yes' : 'NO'}`);

  const failures = [...stats.entries()].flatMap(([name, s]) => s.failures.map((f) => `${name}: ${f}`));
  for (const f of failures) console.log(`\nFAILURE ${f}`);
  for (const e of escaped.slice(0, 5)) console.log(`\nESCAPED ${e}`);
  for (const p of sanity) console.log(`\nSANITY ${p}`);
  for (const l of logged.slice(0, 5)) console.log(`\nLOGGED ${l.slice(0, 2000)}`);
  process.exitCode = failures.length + escaped.length + sanity.length > 0 ? 1 : 0;
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  // Nothing of the run may keep it alive (a stray timer or socket must not hang `npm run fuzz`).
  .finally(() => process.exit());
