import { type ChildProcess, spawn } from 'child_process';
import { join } from 'path';
import type { ServerMessage, VariantDescriptor } from './variant';

const READY_TIMEOUT_MS = 120_000;

export type Ready = Extract<ServerMessage, { type: 'ready' }>;

/**
 * Starts `dist/bench/server.js <id>` behind `prefix` (taskset, nice) and waits for its `ready`
 * message. `env` is added to this process's environment (the servers run with NODE_ENV=production);
 * `nodeArgs` go to node before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses).
 */
export function spawnServer(
  descriptor: VariantDescriptor,
  prefix: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; ready: Ready }> {
  // A baseline row is the same variant served by another checkout's build.
  const script = descriptor.baseline?.script ?? join(__dirname, 'server.js');
  const command = [...prefix, process.execPath, ...nodeArgs, script, descriptor.baseline?.of ?? descriptor.id];
  const child = spawn(command[0], command.slice(1), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env, NODE_ENV: 'production' },
  });
  return new Promise((resolve, reject) => {
    const fail = (message: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL'); // it never became a server we track: do not leave it behind
      reject(new Error(`${descriptor.id}: ${message}`));
    };
    const timer = setTimeout(() => fail(`server not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    const onExit = (code: number | null) => fail(`server exited (${code}) before it was ready`);
    child.once('exit', onExit);
    child.once('message', (message: ServerMessage) => {
      if (message.type === 'error') return fail(message.message);
      if (message.type !== 'ready') return fail(`sent '${message.type}' before 'ready'`);
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({ child, ready: message });
    });
  });
}

/** SIGTERM (the server cleans up), SIGKILL after 5 s. */
export function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
