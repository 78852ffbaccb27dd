import autocannon from 'autocannon';
import { Agent, request } from 'http';
import { performance } from 'perf_hooks';
import { positiveInt } from './env';
import { ask, tell } from './ipc';
import { fixedRate, quantile } from './open-loop';
import { spawnServer, stopServer } from './processes';
import { fixed, interval, type Report } from './report';
import { formatTable, median, medianSpread } from './stats';
import type { LoginStormSetup, LoopDelay } from './variant';
import { LOGIN_STORM } from './variants';
import { judge, RERUN } from './verdict';

/** Storm p99 ≤ this × idle p99 (GET /items at the same fixed rate). */
export const STORM_P99_TARGET = 3;

/**
 * The idle rounds' p99 is this run's noise: when its interval spans more than this factor
 * (high ÷ low), no storm/idle ratio is read (UNDECIDED, exit 2).
 */
export const IDLE_NOISE_LIMIT = 2;

const CAPACITY_SECONDS = 3;

export interface StormSettings {
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  /** GET /items rate as a percentage of the variant's measured capacity. */
  loadPercent: number;
  /** Logins in flight at any time (a closed loop: as soon as one answers the next is sent). */
  logins: number;
}

export function stormSettings(duration: number, warmup: number, connections: number): StormSettings {
  return {
    rounds: positiveInt('BENCH_STORM_ROUNDS', 7),
    duration,
    warmup,
    connections,
    loadPercent: positiveInt('BENCH_STORM_LOAD', 30),
    logins: positiveInt('BENCH_STORM_LOGINS', 8),
  };
}

interface Run {
  p50: number;
  p99: number;
  delay: LoopDelay;
  logins?: LoginTally;
  seconds: number;
}

interface Failures {
  getNon2xx: number;
  getErrors: number;
  /** Logins answered otherwise than 200 (right password) / 400 (wrong one, unknown email): 429s, errors. */
  loginsUnexpected: number;
}

interface LoginTally {
  answered: number;
  /** Answers other than 200 for a right password and 400 for a wrong one or an unknown email (429 included). */
  unexpected: number;
  latencies: number[];
}

/** Mix of the storm's attempts: right password, wrong password, unknown email (each costs one verification). */
const MIX = { right: 0.4, wrong: 0.4 };

let nextAddress = 0;
/** A fresh client address per attempt (10.0.0.1, 10.0.0.2, …): per-IP limits see a distributed storm. */
function address(): string {
  const n = ++nextAddress;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function post(url: string, body: string, agent: Agent, forwardedFor: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-forwarded-for': forwardedFor },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Logs in, `concurrency` at a time, until `stopped()`: right and wrong passwords over all accounts, unknown emails. */
async function storm(url: string, setup: LoginStormSetup, concurrency: number, stopped: () => boolean): Promise<LoginTally> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const tally: LoginTally = { answered: 0, unexpected: 0, latencies: [] };
  const chain = async () => {
    while (!stopped()) {
      const account = setup.accounts[Math.floor(Math.random() * setup.accounts.length)];
      const dice = Math.random();
      const kind = dice < MIX.right ? 'right' : dice < MIX.right + MIX.wrong ? 'wrong' : 'unknown';
      const username = kind === 'unknown' ? `nobody-${nextAddress}@example.com` : account.username;
      const password = kind === 'right' ? account.password : `${account.password} but wrong`;
      const body = new URLSearchParams({ username, password }).toString();
      const sent = performance.now();
      const status = await post(url, body, agent, address());
      tally.answered++;
      tally.latencies.push(performance.now() - sent);
      if (status !== (kind === 'right' ? 200 : 400)) tally.unexpected++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, chain));
  agent.destroy();
  tally.latencies.sort((a, b) => a - b);
  return tally;
}

/**
 * The login-storm table: `GET /items` latency at a fixed, moderate rate, alone ("idle") and while
 * logins keep the password hasher busy ("storm"), in alternating order over the rounds; with the
 * server's event-loop delay over each run. One server per hash-concurrency setting in
 * `BENCH_STORM_HASH_CONCURRENCY` (comma-separated; unset = the library's default).
 */
export async function runLoginStorm(prefix: string[], settings: StormSettings): Promise<Report> {
  const bounds = (process.env.BENCH_STORM_HASH_CONCURRENCY ?? '').split(',').map((s) => s.trim());
  const texts: string[] = [];
  let undecided = false;
  for (const bound of bounds) {
    const part = await stormOnce(prefix, settings, bound);
    texts.push(part.text);
    undecided ||= part.undecided;
  }
  return { text: texts.join('\n\n'), undecided };
}

async function stormOnce(prefix: string[], settings: StormSettings, bound: string): Promise<Report> {
  console.log(`Login storm${bound ? ` (hash concurrency ${bound})` : ''}: registering accounts…`);
  const { child, ready } = await spawnServer(LOGIN_STORM, prefix, bound ? { BENCH_STORM_HASH_CONCURRENCY: bound } : {});
  try {
    const base = `http://127.0.0.1:${ready.port}`;
    const itemsUrl = `${base}/items`;
    const headers: Record<string, string> = { authorization: `Bearer ${ready.token}` };
    const setup = ready.login!;
    const loginUrl = `${base}${setup.path}`;
    await preflight(itemsUrl, headers, ready.expectedOwner, loginUrl, setup);

    // Warm-up: both paths, then the capacity the fixed rate is a fraction of.
    let warming = true;
    const warmLogins = storm(loginUrl, setup, settings.logins, () => !warming);
    await autocannon({ url: itemsUrl, headers, connections: settings.connections, duration: settings.warmup });
    warming = false;
    await warmLogins;
    // Capacity: the median of three saturating runs, so one noisy moment does not set the rate.
    const capacities: number[] = [];
    for (let i = 0; i < 3; i++) {
      capacities.push((await autocannon({ url: itemsUrl, headers, connections: settings.connections, duration: CAPACITY_SECONDS })).requests.average);
    }
    const capacity = median(capacities);
    const rate = Math.max(1, Math.round((capacity * settings.loadPercent) / 100));

    const idle: Run[] = [];
    const stormy: Run[] = [];
    const failures = { getNon2xx: 0, getErrors: 0, loginsUnexpected: 0 };
    for (let round = 0; round < settings.rounds; round++) {
      for (const withLogins of round % 2 ? [true, false] : [false, true]) {
        const run = await measure(child, itemsUrl, headers, rate, settings, withLogins ? { url: loginUrl, setup } : undefined, failures);
        (withLogins ? stormy : idle).push(run);
      }
      console.log(`storm round ${round + 1}/${settings.rounds} done`);
    }
    return stormReport(setup, capacity, rate, settings, idle, stormy, failures);
  } finally {
    await stopServer(child);
  }
}

async function preflight(itemsUrl: string, headers: Record<string, string>, owner: string, loginUrl: string, setup: LoginStormSetup): Promise<void> {
  const items = await fetch(itemsUrl, { headers });
  const body = (await items.json()) as { owner?: string };
  if (items.status !== 200 || body.owner !== owner) throw new Error(`login-storm: GET /items answered ${items.status}`);
  const agent = new Agent({ keepAlive: false });
  const [account] = setup.accounts;
  const right = await post(loginUrl, new URLSearchParams({ username: account.username, password: account.password }).toString(), agent, address());
  const wrong = await post(loginUrl, new URLSearchParams({ username: account.username, password: 'not the password at all' }).toString(), agent, address());
  if (right !== 200 || wrong !== 400) throw new Error(`login-storm: login answered ${right} for the right password and ${wrong} for a wrong one`);
}

async function measure(
  child: Parameters<typeof tell>[0],
  itemsUrl: string,
  headers: Record<string, string>,
  rate: number,
  settings: StormSettings,
  logins: { url: string; setup: LoginStormSetup } | undefined,
  failures: Failures,
): Promise<Run> {
  tell(child, { type: 'eld-start' });
  let done = false;
  const started = performance.now();
  const loginRun = logins ? storm(logins.url, logins.setup, settings.logins, () => done) : undefined;
  const get = await fixedRate(itemsUrl, headers, rate, settings.duration);
  done = true;
  const tally = await loginRun;
  const seconds = (performance.now() - started) / 1000;
  const { type: _type, ...delay } = await ask(child, { type: 'eld-read' }, 'eld');
  failures.getNon2xx += get.non2xx;
  failures.getErrors += get.errors;
  failures.loginsUnexpected += tally?.unexpected ?? 0;
  return { p50: quantile(get.latencies, 0.5), p99: quantile(get.latencies, 0.99), delay, logins: tally, seconds };
}

function stormReport(setup: LoginStormSetup, capacity: number, rate: number, settings: StormSettings, idle: Run[], stormy: Run[], failures: Failures): Report {
  const row = (name: string, runs: Run[]) => {
    const logins = runs.filter((r) => r.logins);
    const loginLatencies = logins.flatMap((r) => r.logins!.latencies).sort((a, b) => a - b);
    return [
      name,
      fixed(median(runs.map((r) => r.p50)), 2),
      fixed(median(runs.map((r) => r.p99)), 2),
      runs.map((r) => r.p99.toFixed(1)).join(' '),
      fixed(median(runs.map((r) => r.delay.p99)), 1),
      fixed(Math.max(...runs.map((r) => r.delay.max)), 1),
      logins.length ? fixed(median(logins.map((r) => r.logins!.answered / r.seconds)), 1) : '—',
      logins.length ? fixed(quantile(loginLatencies, 0.99), 0) : '—',
    ];
  };
  const rows = [
    ['GET /items', 'median ms', 'p99 ms', 'rounds p99 ms', 'loop delay p99 ms', 'loop delay max ms', 'logins/s', 'login p99 ms'],
    row('idle', idle),
    row('storm', stormy),
  ];
  const ratio = medianSpread(stormy.map((s, r) => s.p99 / idle[r].p99));
  const idleSpread = medianSpread(idle.map((r) => r.p99));
  const idleNoisy = !(idleSpread.high / idleSpread.low <= IDLE_NOISE_LIMIT);
  const verdict = idleNoisy
    ? {
        kind: 'UNDECIDED' as const,
        text: `UNDECIDED (idle p99 alone spreads ${idleSpread.low.toFixed(1)}–${idleSpread.high.toFixed(1)} ms, more than ×${IDLE_NOISE_LIMIT}): ${RERUN}`,
      }
    : judge(ratio, STORM_P99_TARGET, 'at most');
  const lines = [
    `Login storm: ${LOGIN_STORM.label}; password hash concurrency ${setup.hashConcurrency}. GET /items at ${rate} req/s ` +
      `(${settings.loadPercent} % of its ${capacity.toFixed(0)} req/s capacity, median of 3 saturating runs), ${settings.rounds} rounds × ${settings.duration} s idle and with logins, ` +
      `alternating. Logins: ${settings.logins} in flight, ${MIX.right * 100} % right / ${MIX.wrong * 100} % wrong password over ${setup.accounts.length} accounts, ` +
      `${Math.round((1 - MIX.right - MIX.wrong) * 100)} % unknown emails, each from its own X-Forwarded-For address.`,
    '',
    formatTable(rows, [false, true, true, false, true, true, true, true]),
    '',
    `Target: storm p99 ≤ ${STORM_P99_TARGET} × idle p99 (per-round ratios): ${fixed(ratio.median, 2)} (${interval(ratio)}) — ${verdict.text}`,
  ];
  if (failures.getNon2xx || failures.getErrors || failures.loginsUnexpected) {
    lines.push(
      `WARNING login-storm: GET ${failures.getNon2xx} non-2xx and ${failures.getErrors} errors; ` +
        `${failures.loginsUnexpected} logins answered otherwise than 200 (right) / 400 (wrong) — its figures are not valid.`,
    );
  }
  return { text: lines.join('\n'), undecided: verdict.kind === 'UNDECIDED' };
}
