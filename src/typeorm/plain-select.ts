import type { DataSource, EntityMetadata, ObjectLiteral } from 'typeorm';

/**
 * The pieces of one plain `SELECT` of an entity's row, for the entity shapes where such a
 * statement gives what `findOneBy` gives (see `planLoading`): the escaped table, the column
 * list, the soft-delete condition, and the hydration through TypeORM's own column metadata and
 * driver. Columns are aliased with a prefix, so two entities can share one statement (a token
 * joined with its user).
 */
export interface PlainSelect<T> {
  /** The escaped table path, e.g. `"public"."user"`. */
  readonly table: string;
  /** `alias."col" AS "prefixcol", …` for every selectable column. */
  columns(alias: string, prefix: string): string;
  /** `alias."primary"`. */
  primaryKey(alias: string): string;
  /** `alias."column"` of a property, escaped. */
  column(alias: string, propertyName: string): string;
  /** ` AND alias."deletedAt" IS NULL` for a soft-deletable entity (as `findOneBy`), else empty. */
  notDeleted(alias: string): string;
  /** The entity from a result row, or null when the row's primary key is null (no row, or an outer join's miss). */
  hydrate(row: Record<string, unknown> | undefined, prefix: string): T | null;
}

/** `properties`: only these columns (the primary key always), for a caller that reads no others. */
export function plainSelect<T extends ObjectLiteral>(dataSource: DataSource, metadata: EntityMetadata, properties?: readonly string[]): PlainSelect<T> {
  const driver = dataSource.driver;
  const [primary] = metadata.primaryColumns;
  const columns = metadata.columns.filter((c) => c.isSelect && (!properties || c === primary || properties.includes(c.propertyName)));
  const deleteDate = metadata.deleteDateColumn;
  const qualified = (alias: string, databaseName: string) => `${driver.escape(alias)}.${driver.escape(databaseName)}`;
  return {
    table: metadata.tablePath
      .split('.')
      .map((part) => driver.escape(part))
      .join('.'),
    columns: (alias, prefix) => columns.map((c) => `${qualified(alias, c.databaseName)} AS ${driver.escape(prefix + c.databaseName)}`).join(', '),
    primaryKey: (alias) => qualified(alias, primary.databaseName),
    column: (alias, propertyName) => qualified(alias, metadata.findColumnWithPropertyName(propertyName)!.databaseName),
    notDeleted: (alias) => (deleteDate ? ` AND ${qualified(alias, deleteDate.databaseName)} IS NULL` : ''),
    hydrate(row, prefix) {
      if (!row || row[prefix + primary.databaseName] == null) return null;
      const hydrated = metadata.create(undefined, { fromDeserializer: true }) as T;
      for (const column of columns) {
        const value = row[prefix + column.databaseName];
        // As TypeORM's transformer: a column the row lacks stays unset.
        if (value === undefined) continue;
        column.setEntityValue(hydrated, driver.prepareHydratedValue(value, column));
      }
      return hydrated;
    },
  };
}

/** Runs one statement with positional parameters and answers its first row. */
export type FirstRow = (...params: unknown[]) => Promise<Record<string, unknown> | undefined>;

/**
 * A statement's runner on the request path. better-sqlite3 is synchronous and in-process: a
 * prepared statement of its own skips TypeORM's query runner, logger and broadcaster (about half
 * of a primary-key read's cost). Other drivers go through `DataSource.query` with unnamed
 * statements, so a pooler in transaction mode (PgBouncer) is never handed a named one.
 */
export function firstRowOf(dataSource: DataSource, sql: string): FirstRow {
  if (dataSource.options.type === 'better-sqlite3') {
    type Statement = { database: unknown; get(...params: unknown[]): unknown };
    const sqlite = dataSource.driver as unknown as { databaseConnection: { prepare(sql: string): Statement } };
    let statement: Statement | undefined;
    return async (...params) => {
      // Prepared again if the DataSource was re-initialised (a statement belongs to one connection).
      if (statement?.database !== sqlite.databaseConnection) statement = sqlite.databaseConnection.prepare(sql);
      return statement.get(...params) as Record<string, unknown> | undefined;
    };
  }
  if (dataSource.options.type === 'postgres') {
    // pg's pool runs the statement on a pooled client and releases it: what TypeORM's query
    // runner does, without its per-query runner object, logger and broadcaster. Subscribers (the
    // broadcaster's listeners) never reach here: an entity with any goes through `findOneBy`.
    type Pool = { query(sql: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }> };
    const pool = () => (dataSource.driver as unknown as { master?: Pool }).master;
    return async (...params) => {
      const master = pool();
      if (typeof master?.query !== 'function') return (await dataSource.query<Record<string, unknown>[]>(sql, params))[0];
      return (await master.query(sql, params)).rows[0];
    };
  }
  return async (...params) => {
    const rows: Record<string, unknown>[] = await dataSource.query(sql, params);
    return rows[0];
  };
}
