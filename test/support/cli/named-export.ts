// A DataSource file with the instance as a named export, beside values that are no DataSource.
import 'reflect-metadata';
import { cliDataSource } from './entities';

export const appDataSource = cliDataSource();
export const port = 3000;
