/**
 * `npm run bench:timing` — how long enumeration-sensitive answers take for an existing account
 * vs. an unknown email (and a wrong password vs. an inactive user), through a real app on SQLite.
 * Prints medians and ratios; a ratio near 1.00 means timing does not tell the cases apart.
 */
import 'reflect-metadata';
import { performance } from 'perf_hooks';
import request from 'supertest';
import { JsonController } from 'routing-controllers';
import { RegisterController, ResetPasswordController, VerifyController } from '../src';
import { buildApp, createUser, PASSWORD } from '../test/support/app';

const ROUNDS = Number(process.env.TIMING_ROUNDS ?? 30);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Alternates a and b; waits between samples so work a route does after responding never lands in the next sample. */
async function compare(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> {
  const samples: [number[], number[]] = [[], []];
  for (let i = 0; i < ROUNDS; i++) {
    for (const [index, run] of [a, b].entries()) {
      const start = performance.now();
      await run();
      samples[index].push(performance.now() - start);
      await sleep(80);
    }
  }
  return [median(samples[0]), median(samples[1])];
}

async function main(): Promise<void> {
  @JsonController('/auth')
  class Register extends RegisterController {}
  @JsonController('/auth')
  class Verify extends VerifyController {}
  @JsonController('/auth')
  class Reset extends ResetPasswordController {}
  const t = await buildApp({ extraControllers: [Register, Verify, Reset], enumerationSafeRegistration: true });
  await createUser(t.auth, { email: 'known@example.com' });
  await createUser(t.auth, { email: 'inactive@example.com', isActive: false });
  const loginAs = (username: string, password: string) => request(t.app).post('/auth/jwt/login').type('form').send({ username, password });
  const post = (path: string, body: object) => request(t.app).post(path).send(body);

  // Interleaved pairs, each against its own baseline measured in the same run.
  const pairs: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
    ['login: unknown email vs wrong password', () => loginAs('nobody@example.com', 'wrong password!'), () => loginAs('known@example.com', 'wrong password!')],
    ['login: inactive user vs wrong password', () => loginAs('inactive@example.com', PASSWORD), () => loginAs('known@example.com', 'wrong password!')],
    [
      'forgot-password: unknown vs known',
      () => post('/auth/forgot-password', { email: 'nobody@example.com' }),
      () => post('/auth/forgot-password', { email: 'known@example.com' }),
    ],
    [
      'request-verify-token: unknown vs known',
      () => post('/auth/request-verify-token', { email: 'nobody@example.com' }),
      () => post('/auth/request-verify-token', { email: 'known@example.com' }),
    ],
    [
      'register (enumeration-safe): new vs existing',
      () => post('/auth/register', { email: `new${Math.random()}@example.com`, password: PASSWORD }),
      () => post('/auth/register', { email: 'known@example.com', password: PASSWORD }),
    ],
  ];
  await loginAs('warmup@example.com', 'x'); // the dummy hash is made on first use
  console.log(`median of ${ROUNDS} requests each (ms)\n`);
  console.log('case'.padEnd(48), 'a'.padStart(8), 'b'.padStart(8), 'a/b'.padStart(6));
  for (const [name, a, b] of pairs) {
    const [ma, mb] = await compare(a, b);
    console.log(name.padEnd(48), ma.toFixed(2).padStart(8), mb.toFixed(2).padStart(8), (ma / mb).toFixed(2).padStart(6));
  }
  await sleep(200); // let the last after-response work finish before closing the database
  await t.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
