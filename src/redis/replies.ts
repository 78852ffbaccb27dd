/**
 * Replies as the stores read them, whatever the client's protocol: node-redis 5 speaks RESP2 by
 * default, 6 RESP3, and either may be given type mappings that answer bytes (`Buffer`), a `Set`
 * for a set or a `Map` for a hash.
 */

/** A bulk string reply as text; `null` for a missing key (or a reply that is no string). */
export function textReply(reply: unknown): string | null {
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (reply instanceof String) return reply.valueOf();
  return null;
}

/** A set reply (SMEMBERS) as its members' text: an array with RESP2, a `Set` with a RESP3 type mapping. */
export function membersReply(reply: unknown): string[] {
  const list = reply instanceof Set ? [...reply] : Array.isArray(reply) ? reply : [];
  return list.map(textReply).filter((member): member is string => member !== null);
}

/** A hash reply (HGETALL) as field → text; `null` when it is no hash. An empty hash is a missing key. */
export function hashReply(reply: unknown): Record<string, string> | null {
  if (reply === null || typeof reply !== 'object') return null;
  const entries = reply instanceof Map ? [...reply.entries()] : Object.entries(reply);
  const hash: Record<string, string> = {};
  for (const [field, value] of entries) {
    const text = typeof value === 'number' ? String(value) : textReply(value);
    if (text !== null) hash[String(textReply(field) ?? field)] = text;
  }
  return hash;
}

/** An integer reply (DEL, EXISTS, SCARD, a script's number); `NaN` for anything else. */
export function countReply(reply: unknown): number {
  return typeof reply === 'number' ? reply : Number(textReply(reply) ?? NaN);
}
