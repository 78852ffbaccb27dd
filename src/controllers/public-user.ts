import { instanceToPlain } from 'class-transformer';

/**
 * A user as the routes answer with it: class-transformer's view (so the app's own `@Exclude()`
 * columns stay hidden) minus `hashedPassword`, removed here too so that no serialisation
 * setting of the app (`classTransformer: false`, `ignoreDecorators`) can ever send it.
 */
export function toPublicUser(user: object): Record<string, unknown> {
  const plain = instanceToPlain(user) as Record<string, unknown>;
  delete plain.hashedPassword;
  return plain;
}
