import type { BaseUser } from '../entities/base-user';
import type { Pluggable } from '../lifecycle';
import type { UserTable } from '../users/user-store';

/** An API key as its owner sees it in a list: everything but the digest. */
export interface ApiKeyInfo {
  id: string;
  userId: string;
  name: string;
  /** The prefix and first characters of the key (`rca_Ab3x`). */
  start: string;
  scopes: string[];
  /** CIDR ranges it may be used from; null: anywhere. */
  allowedIps: string[] | null;
  createdAt: Date;
  /** Null: it does not expire. */
  expiresAt: Date | null;
  /** Null: never used. Written at most once a minute. */
  lastUsedAt: Date | null;
}

/** An API key as stored: its info and the SHA-256 hex digest of the key (the key itself is never stored). */
export interface StoredApiKey extends ApiKeyInfo {
  keyHash: string;
}

/** What each request needs of a key: whose it is, what it may do, until when, from where. */
export type ApiKeyCredential = Pick<StoredApiKey, 'id' | 'userId' | 'scopes' | 'allowedIps' | 'expiresAt'>;

/** What a store answers for a digest read with its owner in one round trip (`ApiKeyStore.readWithOwner`). */
export interface ApiKeyWithOwner<U extends BaseUser> {
  /** Null: no key has this digest. The fields of `ApiKeyCredential` at least (a store may read no more, on every request). */
  key: ApiKeyCredential | null;
  /** Null when the owner is gone (deleted, soft-deleted). */
  owner: U | null;
}

/**
 * Where `ApiKeyStrategy` keeps its keys: the TypeORM `ApiKey` table (`TypeOrmApiKeyStore`),
 * Redis (`RedisApiKeyStore`) or your own. Check yours with `describeApiKeyStoreConformance` from
 * `routing-controllers-auth/testing`.
 *
 * A store keeps what it is given: checking expiry, scopes, ranges and the owner is the strategy's job.
 * A store outage must surface as an error `isStoreOutage` recognises (503), never as "no key".
 */
export interface ApiKeyStore extends Pluggable {
  /** Stores a new key; its `id` and `keyHash` are fresh. */
  create(key: StoredApiKey): Promise<void>;
  /** The key with this digest, or null. An expired key is answered too (for a while at least): its holder is then told it expired. */
  findByDigest(keyHash: string): Promise<StoredApiKey | null>;
  /**
   * Optional: a reader of a key and its owner in one round trip, for users in a TypeORM entity
   * (`UserStore.table()`); it must answer what `findByDigest` then the user store's `findById` would.
   * Undefined when it cannot (another DataSource, a DataSource not initialised yet): asked again later.
   */
  readWithOwner?<U extends BaseUser>(users: UserTable<U>): ((keyHash: string) => Promise<ApiKeyWithOwner<U>>) | undefined;
  /** The key with this id, or null. */
  get(id: string): Promise<ApiKeyInfo | null>;
  /** The user's keys (expired ones included, so their owner sees them go), oldest first. */
  listForUser(userId: string): Promise<ApiKeyInfo[]>;
  /** Deletes the key; answers what it was, or null when there was none. */
  revoke(id: string): Promise<ApiKeyInfo | null>;
  /** Deletes every key of the user; answers how many there were. */
  revokeAllForUser(userId: string): Promise<number>;
  /**
   * Sets `lastUsedAt` to `at` unless it is already later than `notBefore` (one conditional write,
   * so instances sharing the store write at most once per interval between them).
   * Answers whether it wrote. An unknown id is no error.
   */
  touch(id: string, at: Date, notBefore: Date): Promise<boolean>;
  /** Deletes keys expired before `now`; answers how many. */
  purgeExpired?(now?: Date): Promise<number>;
}
