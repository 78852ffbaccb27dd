import type { ChildProcess } from 'child_process';
import { ask } from './ipc';

export interface Memory {
  /** Resident set size, MB (as it is: no forced garbage collection). */
  rssMB: number;
  heapUsedMB: number;
}

const MB = 1024 * 1024;

/** The server process's `process.memoryUsage()` right now. */
export async function readMemory(child: ChildProcess): Promise<Memory> {
  const { rss, heapUsed } = await ask(child, { type: 'memory' }, 'memory');
  return { rssMB: rss / MB, heapUsedMB: heapUsed / MB };
}
