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
  /** How many columns `columns` selects. */
  readonly width: number;
  /** `alias."col" AS "prefix0", …` for every selectable column, in a fixed order. */
  columns(alias: string, prefix: string): string;
  /** The names `columns` gives the columns, in the same order. */
  names(prefix: string): string[];
  /** `alias."primary"`. */
  primaryKey(alias: string): string;
  /** `alias."column"` of a property, escaped. */
  column(alias: string, propertyName: string): string;
  /** ` AND alias."deletedAt" IS NULL` for a soft-deletable entity (as `findOneBy`), else empty. */
  notDeleted(alias: string): string;
  /**
   * The entity from a result row's values (the columns from `offset` on, in `columns` order), or
   * null when there is no row or its primary key is null (an outer join's miss).
   */
  hydrate(values: readonly unknown[] | undefined, offset: number): T | null;
}

/** `properties`: only these columns (the primary key always), for a caller that reads no others. */
export function plainSelect<T extends ObjectLiteral>(dataSource: DataSource, metadata: EntityMetadata, properties?: readonly string[]): PlainSelect<T> {
  const driver = dataSource.driver;
  const [primary] = metadata.primaryColumns;
  const columns = metadata.columns.filter((c) => c.isSelect && (!properties || c === primary || properties.includes(c.propertyName)));
  const primaryIndex = columns.indexOf(primary);
  const deleteDate = metadata.deleteDateColumn;
  const qualified = (alias: string, databaseName: string) => `${driver.escape(alias)}.${driver.escape(databaseName)}`;
  return {
    table: metadata.tablePath
      .split('.')
      .map((part) => driver.escape(part))
      .join('.'),
    width: columns.length,
    // Short aliases (`u0`, `u1`, …): the statement is sent, and parsed, on every request.
    columns: (alias, prefix) => columns.map((c, i) => `${qualified(alias, c.databaseName)} AS ${driver.escape(prefix + i)}`).join(', '),
    names: (prefix) => columns.map((_, i) => prefix + i),
    primaryKey: (alias) => qualified(alias, primary.databaseName),
    column: (alias, propertyName) => qualified(alias, metadata.findColumnWithPropertyName(propertyName)!.databaseName),
    notDeleted: (alias) => (deleteDate ? ` AND ${qualified(alias, deleteDate.databaseName)} IS NULL` : ''),
    hydrate(values, offset) {
      if (!values || values[offset + primaryIndex] == null) return null;
      const hydrated = metadata.create(undefined, { fromDeserializer: true }) as T;
      for (let i = 0; i < columns.length; i++) {
        const value = values[offset + i];
        // As TypeORM's transformer: a column the row lacks stays unset.
        if (value === undefined) continue;
        columns[i].setEntityValue(hydrated, driver.prepareHydratedValue(value, columns[i]));
      }
      return hydrated;
    },
  };
}

/** Runs one statement with positional parameters and answers its first row's values, in select-list order. */
export type FirstRow = (...params: unknown[]) => Promise<unknown[] | undefined>;

/**
 * A statement's runner on the request path, answering rows as arrays (building an object per row,
 * one property at a time, cost more than the rest of the read). better-sqlite3 is synchronous and
 * in-process: a prepared statement of its own skips TypeORM's query runner, logger and
 * broadcaster. PostgreSQL goes through pg's pool with an unnamed statement, so a pooler in
 * transaction mode (PgBouncer) is never handed a named one. Other drivers: `DataSource.query`.
 * `names`: the select list's column names, in order (to read the rows `DataSource.query` gives).
 */
export function firstRowOf(dataSource: DataSource, sql: string, names: readonly string[]): FirstRow {
  if (dataSource.options.type === 'better-sqlite3') {
    type Statement = { database: unknown; raw(on: boolean): Statement; get(...params: unknown[]): unknown };
    const sqlite = dataSource.driver as unknown as { databaseConnection: { prepare(sql: string): Statement } };
    let statement: Statement | undefined;
    return async (...params) => {
      // Prepared again if the DataSource was re-initialised (a statement belongs to one connection).
      if (statement?.database !== sqlite.databaseConnection) statement = sqlite.databaseConnection.prepare(sql).raw(true);
      return statement.get(...params) as unknown[] | undefined;
    };
  }
  const viaTypeOrm = async (params: unknown[]) => {
    const [row] = await dataSource.query<Record<string, unknown>[]>(sql, params);
    return row && names.map((name) => row[name]);
  };
  if (dataSource.options.type === 'postgres') {
    // What TypeORM's query runner does (a pooled client, released after), without its per-query
    // runner, logger and broadcaster. Subscribers (the broadcaster's listeners) never reach here:
    // an entity with any goes through `findOneBy`.
    type Pool = { query(config: { text: string; values: unknown[]; rowMode: 'array' }): Promise<{ rows: unknown[][] }> };
    return async (...params) => {
      const pool = (dataSource.driver as unknown as { master?: Pool }).master;
      if (typeof pool?.query !== 'function') return viaTypeOrm(params);
      return (await pool.query({ text: sql, values: params, rowMode: 'array' })).rows[0];
    };
  }
  return (...params) => viaTypeOrm(params);
}
