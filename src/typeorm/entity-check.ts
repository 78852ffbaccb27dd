import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { AuthConfigurationError } from '../errors';

function entityName(entity: EntityTarget<ObjectLiteral>): string {
  if (typeof entity === 'function') return entity.name;
  if (typeof entity === 'string') return entity;
  const { name } = entity as { name?: unknown };
  return typeof name === 'string' ? name : 'entity';
}

export const DATA_SOURCE_NOT_INITIALISED =
  'Auth.configure({ dataSource }): the DataSource is not initialised yet. Call `await dataSource.initialize()` before `auth.ready()` and before serving requests.';

/**
 * Throws the library's own configuration error when `entity` cannot be used through `dataSource`,
 * naming the cause and the fix. TypeORM says `No metadata for "User" was found` both when the
 * DataSource is not initialised yet and when the entity is not registered with it.
 *
 * @param who the option or class that needs the entity, e.g. `Auth.configure({ userEntity })`.
 */
export function assertEntityUsable(dataSource: DataSource | undefined, entity: EntityTarget<ObjectLiteral>, who: string): asserts dataSource is DataSource {
  if (!dataSource) throw new AuthConfigurationError(`${who} has no DataSource: give Auth.configure a \`dataSource\`.`);
  // One message whoever asks: it is one problem with one fix, however many stores share the DataSource.
  if (!dataSource.isInitialized) throw new AuthConfigurationError(DATA_SOURCE_NOT_INITIALISED);
  if (!dataSource.hasMetadata(entity)) {
    const name = entityName(entity);
    throw new AuthConfigurationError(`${who} needs the ${name} entity, which the DataSource does not know: add ${name} to your DataSource's \`entities\`.`);
  }
}

/** TypeORM's "No metadata for … was found", whichever its cause. */
export function isMissingEntityMetadata(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'EntityMetadataNotFoundError';
}
