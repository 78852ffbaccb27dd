import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/** A SQLite file in a fresh temp dir (a real file, as an app has), and how to remove it. */
export function tempSqliteFile(): { database: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rca-bench-'));
  return { database: join(dir, 'bench.sqlite'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
