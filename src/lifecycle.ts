import type { DataSource } from 'typeorm';
import type { AuthEvents } from './security/events';

/**
 * What every pluggable piece (strategy, transport, session store, revocation store, OAuth state
 * store, user store, rate-limit store) is handed once, when the app is configured: the pieces
 * find their DataSource and report their store errors here, instead of the library recognising
 * its own classes with `instanceof` (which left a third-party piece with less).
 */
export interface PluginContext {
  /** The DataSource given to `Auth.configure`, if any. */
  dataSource?: DataSource;
  /** The app's auth events, for what the piece must report (e.g. its store's errors). */
  events: AuthEvents;
}

/**
 * The lifecycle every pluggable piece shares, both steps optional: `init` once at configuration
 * (synchronous: no I/O), `ready` at `auth.ready()` to confirm, before the first request, what would
 * otherwise fail on it (a table, a connected client), throwing `AuthConfigurationError` with the fix.
 */
export interface Pluggable {
  init?(context: PluginContext): void;
  ready?(): Promise<void>;
}
