/**
 * Emails are matched case-insensitively by storing them in one canonical form: NFC, lower case.
 * The database's unique index then enforces "one account per address" on every driver.
 */
export function normaliseEmail(email: string): string {
  return email.normalize('NFC').toLowerCase();
}
