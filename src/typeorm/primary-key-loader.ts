import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import { firstRowOf, plainSelect } from './plain-select';

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
  if (planLoading(dataSource, metadata).path === 'typeorm') {
    const repository = dataSource.getRepository(entity);
    const [primary] = metadata.primaryColumns;
    return (id) => repository.findOneBy({ [primary.propertyName]: id } as any);
  }
  const select = plainSelect<T>(dataSource, metadata);
  // As findOneBy: a soft-deleted row is no row.
  const firstRow = firstRowOf(
    dataSource,
    `SELECT ${select.columns('e', 'c')} FROM ${select.table} ${dataSource.driver.escape('e')} ` +
      `WHERE ${select.primaryKey('e')} = ${dataSource.driver.createParameter('id', 0)}${select.notDeleted('e')}`,
    select.names('c'),
  );
  return async (id) => select.hydrate(await firstRow(id), 0);
}
