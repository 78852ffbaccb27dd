import { Agent, request } from 'http';
import { performance } from 'perf_hooks';

export interface OpenLoopResult {
  /** Latencies of the 2xx answers, ms, sorted. */
  latencies: number[];
  sent: number;
  non2xx: number;
  errors: number;
}

/**
 * `GET url` at a fixed rate for `seconds`, whatever the answers' pace (an open loop: a slow server
 * does not slow the offered load, unlike autocannon's closed loop), over up to `sockets` keep-alive
 * connections. Each latency runs from the request's start to its answer's last byte, with
 * sub-millisecond resolution (autocannon records whole milliseconds, too coarse at low load).
 */
export async function fixedRate(url: string, headers: Record<string, string>, rate: number, seconds: number, sockets = 32): Promise<OpenLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const latencies: number[] = [];
  let sent = 0;
  let non2xx = 0;
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  const one = () => {
    const started = performance.now();
    const done = new Promise<void>((resolve) => {
      const req = request(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - started);
          else non2xx++;
          resolve();
        });
        res.on('error', () => {
          errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const start = performance.now();
  const end = start + seconds * 1000;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(now, end);
      const owed = Math.floor(((due - start) * rate) / 1000) - sent;
      for (let i = 0; i < owed; i++, sent++) one();
      if (now >= end) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { latencies, sent, non2xx, errors };
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
