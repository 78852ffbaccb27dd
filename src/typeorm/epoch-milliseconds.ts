import type { ValueTransformer } from 'typeorm';

/**
 * Expiry is stored as epoch milliseconds: one absolute instant on every driver. A `Date` column
 * is `timestamp without time zone` on PostgreSQL, which node-pg writes and reads in the Node
 * process's local zone, so app instances in different zones disagreed on when a token expires
 * (a token from an instance in New York was already expired for one in Tokyo).
 */
export const epochMilliseconds: ValueTransformer = {
  to: (value: Date | null | undefined) => (value instanceof Date ? value.getTime() : value),
  from: (value: string | number | null | undefined) => (value === null || value === undefined ? null : new Date(Number(value))),
};
