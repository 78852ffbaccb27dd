/**
 * The names of a store's keys: its prefix, then the key's own part. Stores name every key through
 * one of these, so the layout is written down once per store and a key an app has data under
 * keeps its exact name.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** `<prefix><name>`. */
  key(name: string): string {
    return this.prefix + name;
  }

  /**
   * `<prefix><label>{<id>}`: a Redis Cluster hash tag, so every key tagged with the same `id` lives
   * in one slot and a script or MULTI may touch them together.
   */
  tagged(label: string, id: string): string {
    return `${this.prefix}${label}{${id}}`;
  }
}
