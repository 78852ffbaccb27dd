import { spawnSync } from 'child_process';
import { availableParallelism, constants, setPriority } from 'os';

export interface Pinning {
  /** Prefix for server commands (`taskset -c <cpu>`), empty when not pinning. */
  serverPrefix: string[];
  /** One line for the report. */
  description: string;
}

/**
 * Pins the load generator (this process, all its threads) to one core and returns how to pin
 * servers to another, so they never compete for a core. Needs `taskset` and 2+ cores;
 * otherwise nothing is pinned and the report says so (ratios stay comparable, absolutes noisier).
 */
export function pinCores(clientCpu = process.env.BENCH_CLIENT_CPU ?? '0', serverCpu = process.env.BENCH_SERVER_CPU ?? '1'): Pinning {
  const cores = availableParallelism();
  if (cores < 2) return { serverPrefix: [], description: `not pinned (${cores} core)` };
  const self = spawnSync('taskset', ['-a', '-c', '-p', clientCpu, String(process.pid)], { encoding: 'utf8' });
  if (self.error || self.status !== 0) return { serverPrefix: [], description: 'not pinned (taskset unavailable)' };
  return { serverPrefix: ['taskset', '-c', serverCpu], description: `servers on CPU ${serverCpu}, load generator on CPU ${clientCpu} (${cores} cores)` };
}

/**
 * Best effort: run this process ahead of the machine's other work (nice -10; needs the right to
 * raise priority, e.g. root), so a busy machine disturbs the figures less. True when it worked.
 */
export function raisePriority(): boolean {
  try {
    setPriority(0, constants.priority.PRIORITY_HIGH);
    return true;
  } catch {
    return false;
  }
}
