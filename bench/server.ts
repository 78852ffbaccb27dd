/**
 * One benchmark server process: `node dist/bench/server.js <variant id>`, started by run.ts
 * (pinned to its own core). Reports `{type: 'ready', port, token}` over IPC, serves until
 * SIGTERM or until the runner goes away, then cleans up (temp files, bench rows).
 */
import 'reflect-metadata';
import { createServer } from 'http';
import type { AddressInfo } from 'net';
import { type IntervalHistogram, monitorEventLoopDelay } from 'perf_hooks';
import type { RunnerRequest, ServerMessage, VariantServer } from './variant';
import { LOGIN_STORM, VARIANTS } from './variants';

function send(message: ServerMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const id = process.argv[2];
  const descriptor = [...VARIANTS, LOGIN_STORM].find((v) => v.id === id);
  if (!descriptor) throw new Error(`No benchmark variant "${id}".`);
  // Only this variant's module is loaded, so no other variant's code runs in this process.

  const variant = await (require(`./variants/${descriptor.module}`) as { start(): Promise<VariantServer> }).start();

  const server = createServer(variant.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await variant.close?.();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop()); // Ctrl-C reaches the whole process group: still clean up
  process.once('disconnect', () => void stop()); // the runner died: do not linger

  process.on('message', answer);
  send({
    type: 'ready',
    port: (server.address() as AddressInfo).port,
    token: variant.token,
    expectedOwner: variant.expectedOwner,
    refresh: variant.refresh,
    login: variant.login,
  });
}

let loopDelay: IntervalHistogram | undefined;

/**
 * The runner's questions: resident memory as it is (no forced GC), and event-loop delay over a
 * run. The delay monitor runs only between `eld-start` and `eld-read`, so it costs nothing elsewhere.
 */
function answer(request: RunnerRequest): void {
  if (request.type === 'memory') {
    const { rss, heapUsed } = process.memoryUsage();
    send({ type: 'memory', rss, heapUsed });
  } else if (request.type === 'eld-start') {
    loopDelay?.disable();
    loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
  } else if (request.type === 'eld-read') {
    const h = loopDelay;
    h?.disable();
    loopDelay = undefined;
    const ms = (ns: number | undefined) => (ns === undefined || !Number.isFinite(ns) ? NaN : ns / 1e6);
    send({ type: 'eld', p50: ms(h?.percentile(50)), p99: ms(h?.percentile(99)), max: ms(h?.max) });
  }
}

main().catch((error: Error) => {
  send({ type: 'error', message: error.message });
  process.exit(1);
});
