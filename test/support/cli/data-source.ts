// The DataSource file an app gives the command-line tool: the instance as the default export.
import 'reflect-metadata';
import { cliDataSource } from './entities';

export default cliDataSource();
