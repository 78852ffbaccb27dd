import { hash, randomBytes, randomUUID } from 'node:crypto';
import { IsNull, type DataSource } from 'typeorm';
import { RecoveryCode } from '../entities/recovery-code';
import { assertEntityUsable } from '../typeorm/entity-check';

/** How many codes a user gets at a time. */
export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32: no I, L, O, U to misread. 32 symbols, so a byte's low 5 bits pick one without bias. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** 10 symbols, 50 bits: shown as `xxxxx-xxxxx`. */
const LENGTH = 10;

/**
 * The users' single-use recovery codes in the `RecoveryCode` table, by SHA-256 digest: a code is
 * looked up by its digest (no comparison of secrets in this process) and used by one conditional
 * UPDATE (`usedAt IS NULL`), so it works once even under concurrent requests.
 */
export class RecoveryCodes {
  constructor(
    private readonly dataSource: () => DataSource | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  assertUsable(): void {
    assertEntityUsable(this.dataSource(), RecoveryCode, 'Auth.configure({ twoFactor })');
  }

  private get repository() {
    const dataSource = this.dataSource();
    assertEntityUsable(dataSource, RecoveryCode, 'Auth.configure({ twoFactor })');
    return dataSource.getRepository(RecoveryCode);
  }

  /** Replaces the user's codes with `RECOVERY_CODE_COUNT` new ones, answered once (only digests are kept). */
  async regenerate(userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
    const createdAt = new Date(this.now());
    const rows = codes.map((code) => ({ id: randomUUID(), userId, digest: digestOf(normalise(code)!), createdAt, usedAt: null }));
    await this.repository.manager.transaction(async (manager) => {
      await manager.delete(RecoveryCode, { userId });
      await manager.insert(RecoveryCode, rows);
    });
    return codes;
  }

  /** Unused codes left. */
  async remaining(userId: string): Promise<number> {
    return this.repository.countBy({ userId, usedAt: IsNull() });
  }

  /** Uses the code once: true when it was one of the user's unused codes. */
  async use(userId: string, given: string): Promise<boolean> {
    const code = normalise(given);
    if (code === undefined) return false;
    const result = await this.repository.update({ userId, digest: digestOf(code), usedAt: IsNull() }, { usedAt: new Date(this.now()) });
    return result.affected === 1;
  }

  async removeAll(userId: string): Promise<void> {
    await this.repository.delete({ userId });
  }
}

function newCode(): string {
  const bytes = randomBytes(LENGTH);
  const symbols = [...bytes].map((byte) => ALPHABET[byte & 31]).join('');
  return `${symbols.slice(0, 5)}-${symbols.slice(5)}`;
}

/** Case, spaces and dashes do not matter; Crockford's look-alikes (i, l → 1; o → 0) are read as meant. */
function normalise(given: string): string | undefined {
  if (given.length > 64) return undefined;
  const code = given
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/[il]/g, '1')
    .replace(/o/g, '0');
  return code.length === LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : undefined;
}

function digestOf(code: string): string {
  return hash('sha256', code, 'hex');
}
