/**
 * The TypeORM data source of the example app, for the TypeORM CLI (compiled to dist/ormconfig.js):
 *
 *   npx typeorm migration:generate -d dist/ormconfig.js migrations/AddSomething
 *   npx typeorm migration:run -d dist/ormconfig.js
 *
 * The database is `SQLITE_PATH` (default examples/app.sqlite). See docs/example.md.
 *
 * Only the default export is a DataSource: the CLI refuses a file that exports more than one
 * DataSource value (it counts `default` and a named export of the same instance as two).
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { DEFAULT_EXAMPLE_DATABASE, exampleDataSourceOptions } from './examples/data-source';

export { exampleDataSourceOptions };

const dataSource = new DataSource(exampleDataSourceOptions(process.env.SQLITE_PATH || DEFAULT_EXAMPLE_DATABASE));
export default dataSource;
