/**
 * `npm run bench:passkeys`: the library's own work for a passwordless passkey sign-in, without
 * HTTP: `loginOptions()` (a challenge made and kept) and `verifyAssertion()` (the challenge taken,
 * the passkey read, the ES256 signature and the origin / RP ID / flags checked, the counter moved
 * with a compare-and-set), on SQLite in memory with the memory challenge store. Assertions come
 * from the tests' software authenticator (P-256). Prints the median of five runs of 500, in ms.
 */
import 'reflect-metadata';
import { performance } from 'perf_hooks';
import { DataSource, Entity } from 'typeorm';
import { AccessToken, Auth, AuthenticationBackend, BaseUser, BearerTransport, DatabaseStrategy, Passkey } from '../src';
import { SoftAuthenticator } from '../test/support/soft-authenticator';

@Entity('user')
class BenchUser extends BaseUser {}

const ORIGIN = 'https://example.com';
const RUNS = 5;
const PER_RUN = Number(process.env.BENCH_PASSKEY_REQUESTS ?? 500);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [BenchUser, AccessToken, Passkey], synchronize: true });
  const auth = new Auth<BenchUser>({
    dataSource,
    userEntity: BenchUser,
    secret: 'passkey-bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
    backends: [new AuthenticationBackend({ name: 'db', transport: new BearerTransport({ tokenUrl: '/login' }), strategy: new DatabaseStrategy({}) })],
    passkeys: { rpID: 'example.com', rpName: 'Bench', origins: [ORIGIN] },
  });
  await dataSource.initialize();
  const passkeys = auth.context.passkeys!;
  const user = await auth.userManager.create({ email: 'bench@example.com', password: 'a long passphrase for timing 12345' }, { safe: false });
  const authenticator = new SoftAuthenticator(ORIGIN);
  await passkeys.register(user, authenticator.create(await passkeys.registrationOptions(user)).response, 'Bench key');

  const optionsMs: number[] = [];
  const verifyMs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let started = performance.now();
    const options = [];
    for (let i = 0; i < PER_RUN; i++) options.push(await passkeys.loginOptions());
    optionsMs.push((performance.now() - started) / PER_RUN);
    const assertions = options.map((o) => authenticator.get(o));
    started = performance.now();
    for (const assertion of assertions) await passkeys.verifyAssertion(assertion, { purpose: 'login' });
    verifyMs.push((performance.now() - started) / PER_RUN);
  }
  console.log(`passkey sign-in, library work (median of ${RUNS} runs of ${PER_RUN}):`);
  console.log(`  loginOptions    ${median(optionsMs).toFixed(3)} ms`);
  console.log(`  verifyAssertion ${median(verifyMs).toFixed(3)} ms (${Math.round(1000 / median(verifyMs))} per second on one core)`);
  await dataSource.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
