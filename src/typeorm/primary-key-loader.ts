import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';

export type PrimaryKeyLoader<T> = (id: string) => Promise<T | null>;

/** How an entity is loaded on the request path, decided once per entity from its metadata. */
export type LoadPlan = { path: 'plain-sql' } | { path: 'typeorm'; reason: string };

/**
 * Loads one entity by primary key on the request path, giving exactly what TypeORM's
 * `findOneBy({ id })` gives. `findOneBy` spends ~35 µs per call in TypeORM's query builder
 * (measured on SQLite), more than a whole JWT verification; one plain SQL statement hydrated
 * through TypeORM's own column metadata and driver costs ~5 µs. The plain statement is used only
 * for entity shapes where it provably selects and hydrates what `findOneBy` does (see
 * `planLoading`); every other shape takes `findOneBy` itself.
 */
export function createPrimaryKeyLoader<T extends ObjectLiteral>(dataSource: DataSource, entity: EntityTarget<T>): PrimaryKeyLoader<T> {
  let load: PrimaryKeyLoader<T> | undefined;
  return (id) => {
    // Built on first use: metadata exists only once the DataSource is initialised.
    load ??= buildLoader(dataSource, entity);
    return load(id);
  };
}

/**
 * Whether the plain statement gives what `findOneBy` gives for this entity, and if not, why.
 * Everything `findOneBy` does beyond "select the selectable columns of one table row and hydrate
 * them" sends the entity to TypeORM's own path: relations (eager ones are joined, join columns
 * are hidden), relation ids and counts, embedded columns, virtual columns (subqueries),
 * inheritance (discriminators), trees, views, `@AfterLoad` listeners and subscribers. Soft delete
 * stays on the fast path: the statement then adds the same `deleted IS NULL` condition.
 */
export function planLoading(dataSource: DataSource, metadata: EntityMetadata): LoadPlan {
  const typeorm = (reason: string): LoadPlan => ({ path: 'typeorm', reason });
  if (!['better-sqlite3', 'sqlite', 'postgres'].includes(dataSource.options.type)) return typeorm(`driver ${dataSource.options.type}`);
  if (metadata.primaryColumns.length !== 1) return typeorm('composite primary key');
  if (metadata.relations.length > 0) return typeorm('relations');
  // TypeORM 1.x removed `@RelationCount` (and `relationCounts` with it).
  const relationCounts = (metadata as { relationCounts?: unknown[] }).relationCounts ?? [];
  if (metadata.relationIds.length > 0 || relationCounts.length > 0) return typeorm('relation ids or counts');
  if (metadata.embeddeds.length > 0) return typeorm('embedded columns');
  if (metadata.columns.some((c) => c.isVirtualProperty)) return typeorm('virtual columns');
  if (metadata.columns.some((c) => c.isVirtual || c.embeddedMetadata || c.relationMetadata)) return typeorm('columns of relations or embeddeds');
  if (metadata.inheritancePattern || metadata.discriminatorColumn || metadata.parentEntityMetadata || metadata.childEntityMetadatas.length > 0) {
    return typeorm('entity inheritance');
  }
  if (metadata.treeType) return typeorm('tree entity');
  if (metadata.tableType === 'view' || metadata.expression) return typeorm('view entity');
  if (metadata.afterLoadListeners.length > 0) return typeorm('@AfterLoad listeners');
  if (dataSource.subscribers.length > 0) return typeorm('entity subscribers');
  return { path: 'plain-sql' };
}

function buildLoader<T extends ObjectLiteral>(dataSource: DataSource, entity: EntityTarget<T>): PrimaryKeyLoader<T> {
  const metadata = dataSource.getMetadata(entity);
  const [primary] = metadata.primaryColumns;
  if (planLoading(dataSource, metadata).path === 'typeorm') {
    const repository = dataSource.getRepository(entity);
    return (id) => repository.findOneBy({ [primary.propertyName]: id } as any);
  }
  const driver = dataSource.driver;
  const columns = metadata.columns.filter((c) => c.isSelect);
  const table = metadata.tablePath
    .split('.')
    .map((part) => driver.escape(part))
    .join('.');
  // As findOneBy: a soft-deleted row is no row.
  const notDeleted = metadata.deleteDateColumn ? ` AND ${driver.escape(metadata.deleteDateColumn.databaseName)} IS NULL` : '';
  const sql =
    `SELECT ${columns.map((c) => driver.escape(c.databaseName)).join(', ')} FROM ${table} ` +
    `WHERE ${driver.escape(primary.databaseName)} = ${driver.createParameter('id', 0)}${notDeleted}`;
  const hydrate = (row: Record<string, unknown> | undefined): T | null => {
    if (!row) return null;
    const hydrated = metadata.create(undefined, { fromDeserializer: true }) as T;
    for (const column of columns) {
      const value = row[column.databaseName];
      // As TypeORM's transformer: a column the row lacks stays unset.
      if (value === undefined) continue;
      column.setEntityValue(hydrated, driver.prepareHydratedValue(value, column));
    }
    return hydrated;
  };
  if (dataSource.options.type === 'better-sqlite3') {
    // better-sqlite3 is synchronous and in-process: a prepared statement of its own skips
    // TypeORM's query runner, logger and broadcaster (about half of the read's cost).
    type Statement = { database: unknown; get(...params: unknown[]): unknown };
    const sqlite = driver as unknown as { databaseConnection: { prepare(sql: string): Statement } };
    let statement: Statement | undefined;
    return async (id) => {
      // Prepared again if the DataSource was re-initialised (a statement belongs to one connection).
      if (statement?.database !== sqlite.databaseConnection) statement = sqlite.databaseConnection.prepare(sql);
      return hydrate(statement.get(id) as Record<string, unknown> | undefined);
    };
  }
  return async (id) => {
    const rows: Record<string, unknown>[] = await dataSource.query(sql, [id]);
    return hydrate(rows[0]);
  };
}
