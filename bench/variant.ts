import type { RequestListener } from 'http';

/**
 * One server the benchmark loads. Adding a variant = one module under bench/variants/ that
 * exports `start()`, plus one descriptor in bench/variants/index.ts.
 */
export interface VariantDescriptor {
  /** Short key; also what `BENCH_ONLY=a,b` selects. */
  id: string;
  /** The table's row label. */
  label: string;
  /** The module under bench/variants/ exporting `start(): Promise<VariantServer>` (loaded only in its server process). */
  module: string;
  /** Why this variant cannot run here (e.g. `TEST_REDIS_URL` is not set); undefined to run it. */
  skipReason?: () => string | undefined;
  /**
   * A DESIGN.md target: req/s ≥ `ratio` × the req/s of variant `of`, in the same round. Printed as
   * met / NOT met, or UNDECIDED (exit code 2) when the rounds' spread cannot tell; see bench/verdict.ts.
   */
  target?: { of: string; ratio: number };
  /** A resident-memory target: RSS after load ≤ the RSS of variant `of` + `extraMB`. */
  memoryTarget?: { of: string; extraMB: number };
  /**
   * A baseline row (`BENCH_BASELINE`): the variant `of`, served by another compiled checkout's
   * `script` (its dist/bench/server.js), so a change is measured against the code before it in one run.
   */
  baseline?: { of: string; script: string };
}

/** What a variant's `start()` gives its server process. */
export interface VariantServer {
  /** The app serving `GET /items` (a small JSON body). */
  app: RequestListener;
  /** Sent as `Authorization: Bearer <token>` with every request; none for unauthenticated variants. */
  token?: string;
  /** The `owner` the route must answer with, checked once before loading. */
  expectedOwner: string;
  /** Backends with refresh on: where `POST /refresh` is served, and one fresh refresh token per chain the runner will run. */
  refresh?: { path: string; seeds: string[] };
  /** The login-storm variant: its login route and the accounts it may log in to (sent over IPC, never printed). */
  login?: LoginStormSetup;
  close?(): Promise<void>;
}

export interface LoginStormSetup {
  path: string;
  accounts: { username: string; password: string }[];
  /** The hasher's concurrency bound in this server (for the report). */
  hashConcurrency: number | string;
}

/** What the runner asks a server process over IPC after it is ready. */
export type RunnerRequest = { type: 'memory' } | { type: 'eld-start' } | { type: 'eld-read' };

/** Event-loop delay over a run, in ms (perf_hooks.monitorEventLoopDelay, 1 ms resolution). */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** The messages a server process sends the runner over IPC. */
export type ServerMessage =
  | { type: 'ready'; port: number; token?: string; expectedOwner: string; refresh?: { path: string; seeds: string[] }; login?: LoginStormSetup }
  | { type: 'error'; message: string }
  | { type: 'memory'; rss: number; heapUsed: number }
  | ({ type: 'eld' } & LoopDelay);
