import type { PluginContext } from '../lifecycle';
import type { AuthEvents } from '../security/events';
import { isStoreOutage } from '../stores/outage';
import type { ApiKeyStore } from './api-key-store';

/** Past this many keys noted, the oldest notes are dropped (they are older than the interval anyway, or nearly). */
const MAX_NOTED = 10_000;

/**
 * Writes a key's `lastUsedAt` at most once per interval, never on every request: this process
 * remembers when it last wrote each key (no write at all in between), and the write itself is the
 * store's conditional `touch`, so instances sharing a store write at most once per interval between
 * them. The write runs beside the request, never delaying it; its failure never fails the request.
 */
export class LastUseThrottle {
  private readonly written = new Map<string, number>();
  private events: AuthEvents | undefined;

  constructor(
    private readonly store: ApiKeyStore,
    private readonly intervalMs: number,
  ) {}

  init(context: PluginContext): void {
    this.events = context.events;
  }

  /** The key `id` was used at `now`. */
  note(id: string, now: number): void {
    const last = this.written.get(id);
    if (last !== undefined && now - last < this.intervalMs) return;
    if (this.written.size >= MAX_NOTED) this.written.delete(this.written.keys().next().value as string);
    this.written.delete(id); // re-inserted last: the map stays in order of writing
    this.written.set(id, now);
    this.store.touch(id, new Date(now), new Date(now - this.intervalMs)).catch((error: unknown) => {
      this.written.delete(id); // try again at the next use
      // An outage is the store's to report (its requests get 503s); anything else is a bug worth seeing.
      if (!isStoreOutage(error)) this.events?.publish({ type: 'internal.error', where: "writing an API key's last use", error });
    });
  }
}
