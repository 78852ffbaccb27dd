import { Exclude } from 'class-transformer';
import { Column, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The columns every user has. Apps extend it with their own `@Entity()` class and columns.
 * `email` is stored lower-cased, so the database's unique index makes `A@x.io` and `a@x.io`
 * one account on every driver. `hashedPassword` never leaves the server: it is excluded from
 * class-transformer output and from `JSON.stringify`.
 */
export abstract class BaseUser {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 320, unique: true })
  email!: string;

  @Exclude({ toPlainOnly: true })
  @Column({ type: 'varchar', length: 1024 })
  hashedPassword!: string;

  @Column({ type: 'boolean', default: true })
  isActive!: boolean;

  @Column({ type: 'boolean', default: false })
  isSuperuser!: boolean;

  @Column({ type: 'boolean', default: false })
  isVerified!: boolean;

  /** Scopes this user may be granted; `superuser` is added for superusers by `UserManager.getScopes`. */
  @Column({ type: 'simple-json' })
  scopes: string[] = [];

  toJSON(): Record<string, unknown> {
    const { hashedPassword: _secret, ...visible } = this as Record<string, unknown>;
    return visible;
  }
}
