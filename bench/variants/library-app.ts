import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { Authorized, createExpressServer, CurrentUser, Get, JsonController, useContainer } from 'routing-controllers';
import { Container } from 'typedi';
import { DataSource, type DataSourceOptions, Entity } from 'typeorm';
import { AccessToken, Auth, AuthenticationBackend, AuthErrorHandler, BaseUser, BearerTransport, type Strategy } from '../../src';
import type { VariantServer } from '../variant';

/** DataSourceOptions without `entities`, kept per driver (a plain Omit would merge the union). */
type WithoutEntities<T> = T extends unknown ? Omit<T, 'entities'> : never;

@Entity('user')
export class BenchUser extends BaseUser {}

/** The quick start's route: `@Authorized()` + `@CurrentUser()`, one lookup per request. */
@JsonController('/items')
class LibraryItems {
  @Authorized()
  @Get('/')
  list(@CurrentUser() user: BenchUser) {
    return { owner: user.id };
  }
}

/**
 * A library variant: one Bearer backend with the given strategy, configured as the quick
 * start does, with a fresh user and a token made in code.
 */
export async function startLibraryVariant(
  connection: WithoutEntities<DataSourceOptions>,
  strategy: Strategy,
  cleanup: () => void | Promise<void> = () => undefined,
): Promise<VariantServer> {
  const dataSource = new DataSource({ ...connection, entities: [BenchUser, AccessToken] } as DataSourceOptions);
  const auth = Auth.configure<BenchUser>({
    dataSource,
    userEntity: BenchUser,
    secret: 'bench-secret-0123456789-abcdefghijklmnop',
    backends: [new AuthenticationBackend({ name: 'bench', transport: new BearerTransport({ tokenUrl: '/auth/login' }), strategy })],
  });
  await dataSource.initialize();
  const user = await auth.userManager.create({ email: `bench-${randomUUID()}@example.com`, password: 'a bench passphrase, not common' });
  const token = await auth.createToken(user);

  useContainer(Container, { fallbackOnErrors: true });
  const app = createExpressServer({
    controllers: [LibraryItems],
    middlewares: [AuthErrorHandler],
    authorizationChecker: auth.authorizationChecker,
    currentUserChecker: auth.currentUserChecker,
  });
  return {
    app,
    token,
    expectedOwner: user.id,
    async close() {
      await auth.revokeAllTokens(user.id);
      await auth.userManager.delete(user);
      await dataSource.destroy();
      await cleanup();
    },
  };
}
