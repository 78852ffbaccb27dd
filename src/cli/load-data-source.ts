import { existsSync } from 'fs';
import { extname, resolve } from 'path';
import { type DataSource, InstanceChecker } from 'typeorm';
import { CliError, firstLine } from './cli-error';

/**
 * The app's DataSource from the file the operator names (`-d`), as TypeORM's own CLI finds it: the
 * default export or a named one (the same instance under two names counts once). A compiled
 * `.js` file; a `.ts` file only when a TypeScript loader that keeps decorator metadata is
 * registered (`node -r ts-node/register`): esbuild-based loaders drop it, and TypeORM needs it.
 */
export function loadDataSource(path: string): DataSource {
  const file = resolve(process.cwd(), path);
  if (!existsSync(file)) throw new CliError(`No data source file at ${file}: give the compiled file that exports your DataSource (-d dist/data-source.js).`);
  if (['.ts', '.mts', '.cts'].includes(extname(file)) && !require.extensions[extname(file)]) {
    throw new CliError(
      `${path} is TypeScript: compile it with tsc and give the .js file, or run the tool under ts-node (node -r ts-node/register node_modules/.bin/routing-controllers-auth ...).`,
    );
  }
  let exported: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(file);
  } catch (error) {
    throw new CliError(`Could not load ${path}: ${firstLine(error)}`);
  }
  const found = dataSourcesIn(exported);
  if (found.length === 0) throw new CliError(`${path} exports no DataSource: export one (export default new DataSource({ ... })).`);
  if (found.length > 1) throw new CliError(`${path} exports ${found.length} different DataSources: export only the app's.`);
  return found[0];
}

function dataSourcesIn(exported: unknown): DataSource[] {
  const candidates = [exported];
  if (exported !== null && typeof exported === 'object') candidates.push(...Object.values(exported as Record<string, unknown>));
  return [...new Set(candidates.filter((value): value is DataSource => isDataSource(value)))];
}

function isDataSource(value: unknown): boolean {
  return value !== null && typeof value === 'object' && InstanceChecker.isDataSource(value);
}

/**
 * Connects without touching the schema: the tool never synchronises, drops or migrates (as
 * TypeORM's CLI), whatever the app's options say; a missing table is reported, not created.
 */
export async function openDataSource(dataSource: DataSource, path: string): Promise<DataSource> {
  if (dataSource.isInitialized) return dataSource;
  dataSource.setOptions({ synchronize: false, migrationsRun: false, dropSchema: false, logging: false });
  try {
    return await dataSource.initialize();
  } catch (error) {
    throw new CliError(`Could not open the DataSource of ${path}: ${firstLine(error)}`);
  }
}
