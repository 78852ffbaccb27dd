// A file that exports DataSource options but no DataSource: the tool must say so.
import { cliDataSourceOptions } from './entities';

export const options = () => cliDataSourceOptions();
