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
  /** A DESIGN.md target: req/s ≥ `ratio` × the req/s of variant `of`. Printed, never enforced. */
  target?: { of: string; ratio: number };
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
  close?(): Promise<void>;
}

/** The messages a server process sends the runner over IPC. */
export type ServerMessage =
  { type: 'ready'; port: number; token?: string; expectedOwner: string; refresh?: { path: string; seeds: string[] } } | { type: 'error'; message: string };
