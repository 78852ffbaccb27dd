/**
 * Real apps' user entities: whatever TypeORM shape an app gives its User, the request path loads
 * exactly what `repository.findOneBy({ id })` loads (present, missing, soft-deleted), and a user of
 * that shape logs in and reaches an `@Authorized()` route — on SQLite and PostgreSQL.
 */
import { expect } from 'chai';
import request from 'supertest';
import {
  AfterLoad,
  ChildEntity,
  Column,
  DataSource,
  DefaultNamingStrategy,
  DeleteDateColumn,
  Entity,
  ManyToOne,
  PrimaryGeneratedColumn,
  TableInheritance,
  VirtualColumn,
  type DataSourceOptions,
  type EntityTarget,
  type NamingStrategyInterface,
} from 'typeorm';
import { randomUUID } from 'crypto';
import { createClient } from 'redis';
import { AccessToken, AuthenticationBackend, BaseUser, BearerTransport, RedisStrategy } from '../../src';
import { createPrimaryKeyLoader, planLoading } from '../../src/typeorm/primary-key-loader';
import { buildApp, PASSWORD, type DataSourceKind, type TestApp } from '../support/app';

@Entity('shape_soft_user')
class SoftDeleteUser extends BaseUser {
  @DeleteDateColumn({ nullable: true })
  deletedAt?: Date | null;
}

@Entity('shape_virtual_user')
class VirtualColumnUser extends BaseUser {
  @DeleteDateColumn({ nullable: true })
  deletedAt?: Date | null;

  @VirtualColumn({ type: 'int', query: (alias) => `SELECT LENGTH(${alias}.email)` })
  emailLength?: number;
}

@Entity('shape_renamed_user')
class RenamedColumnsUser extends BaseUser {
  @DeleteDateColumn({ name: 'removed_on', nullable: true })
  deletedAt?: Date | null;

  @Column({ name: 'nick_name', type: 'varchar', length: 50, nullable: true })
  nickname?: string | null;
}

/** Stored as one `a|b` string, read back as an array: only the transformer knows. */
const pipeList = { to: (value?: string[] | null) => (value ? value.join('|') : null), from: (value: string | null) => (value ? value.split('|') : []) };

@Entity('shape_transformer_user')
class TransformerUser extends BaseUser {
  @DeleteDateColumn({ nullable: true })
  deletedAt?: Date | null;

  @Column({ type: 'varchar', length: 200, nullable: true, transformer: pipeList })
  tags?: string[];
}

@Entity('shape_team')
class Team {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 50 })
  name!: string;
}

@Entity('shape_eager_user')
class EagerRelationUser extends BaseUser {
  @DeleteDateColumn({ nullable: true })
  deletedAt?: Date | null;

  @ManyToOne(() => Team, { eager: true, nullable: true })
  team?: Team | null;
}

@Entity('shape_lazy_user')
class PlainRelationUser extends BaseUser {
  @DeleteDateColumn({ nullable: true })
  deletedAt?: Date | null;

  @ManyToOne(() => Team, { nullable: true })
  team?: Team | null;
}

class Address {
  @Column({ type: 'varchar', length: 50, nullable: true })
  city?: string | null;

  @Column({ type: 'varchar', length: 10, nullable: true })
  postcode?: string | null;
}

@Entity('shape_embedded_user')
class EmbeddedUser extends BaseUser {
  @DeleteDateColumn({ nullable: true })
  deletedAt?: Date | null;

  @Column(() => Address)
  address!: Address;
}

@Entity('shape_person')
@TableInheritance({ column: { type: 'varchar', name: 'kind', length: 20 } })
class Person extends BaseUser {
  @DeleteDateColumn({ nullable: true })
  deletedAt?: Date | null;
}

@ChildEntity('member')
class Member extends Person {
  @Column({ type: 'varchar', length: 50, nullable: true })
  plan?: string | null;
}

/** A sibling: a robot's id must not load as a member. */
@ChildEntity('robot')
class Robot extends Person {}

@Entity('shape_afterload_user')
class AfterLoadUser extends BaseUser {
  @DeleteDateColumn({ nullable: true })
  deletedAt?: Date | null;

  loadedAs?: string;

  @AfterLoad()
  mark(): void {
    this.loadedAs = `loaded:${this.email}`;
  }
}

@Entity('shape_snake_user')
class SnakeCaseUser extends BaseUser {
  @DeleteDateColumn({ nullable: true })
  deletedAt?: Date | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  favouriteColour?: string | null;
}

/** A snake_case naming strategy, as apps use (typeorm-naming-strategies' shape). */
class SnakeNamingStrategy extends DefaultNamingStrategy implements NamingStrategyInterface {
  columnName(propertyName: string, customName: string | undefined, embeddedPrefixes: string[]): string {
    const name = customName ?? propertyName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    return embeddedPrefixes.concat(name).join('_');
  }
}

interface Shape {
  name: string;
  entity: EntityTarget<BaseUser> & (new () => BaseUser);
  /** Which path the request path takes for it. */
  path: 'plain-sql' | 'typeorm';
  /** Extra state to give the user after it was created, through TypeORM (relations, embeddeds, …). */
  decorate?: (dataSource: DataSource, user: BaseUser) => Promise<void>;
  /** What a loaded user must show of its shape (beyond deep equality with findOneBy). */
  check?: (loaded: any) => void;
}

const SHAPES: Shape[] = [
  { name: 'soft delete (@DeleteDateColumn)', entity: SoftDeleteUser, path: 'plain-sql' },
  {
    name: '@VirtualColumn',
    entity: VirtualColumnUser,
    path: 'typeorm',
    check: (u) => expect(u.emailLength).to.equal(u.email.length),
  },
  {
    name: 'renamed columns (@Column({ name }))',
    entity: RenamedColumnsUser,
    path: 'plain-sql',
    decorate: async (ds, u) => void (await ds.getRepository(RenamedColumnsUser).update(u.id, { nickname: 'nick' })),
    check: (u) => expect(u.nickname).to.equal('nick'),
  },
  {
    name: 'column transformer',
    entity: TransformerUser,
    path: 'plain-sql',
    decorate: async (ds, u) => void (await ds.getRepository(TransformerUser).update(u.id, { tags: ['red', 'blue'] })),
    check: (u) => expect(u.tags).to.deep.equal(['red', 'blue']),
  },
  {
    name: 'eager relation',
    entity: EagerRelationUser,
    path: 'typeorm',
    decorate: async (ds, u) => {
      const team = await ds.getRepository(Team).save({ name: 'eager team' });
      await ds.getRepository(EagerRelationUser).update(u.id, { team });
    },
    check: (u) => expect(u.team?.name).to.equal('eager team'),
  },
  {
    name: 'relation, not eager',
    entity: PlainRelationUser,
    path: 'typeorm',
    decorate: async (ds, u) => {
      const team = await ds.getRepository(Team).save({ name: 'lazy team' });
      await ds.getRepository(PlainRelationUser).update(u.id, { team });
    },
    check: (u) => expect(u).not.to.have.property('team'),
  },
  {
    name: 'embedded columns',
    entity: EmbeddedUser,
    path: 'typeorm',
    decorate: async (ds, u) => void (await ds.getRepository(EmbeddedUser).update(u.id, { address: { city: 'Lyon', postcode: '69001' } })),
    check: (u) => expect(u.address).to.deep.equal({ city: 'Lyon', postcode: '69001' }),
  },
  {
    name: 'single-table inheritance (a child entity)',
    entity: Member,
    path: 'typeorm',
    decorate: async (ds, u) => void (await ds.getRepository(Member).update(u.id, { plan: 'gold' })),
    check: (u) => {
      expect(u).to.be.instanceOf(Member);
      expect(u.plan).to.equal('gold');
    },
  },
  {
    name: '@AfterLoad listener',
    entity: AfterLoadUser,
    path: 'typeorm',
    check: (u) => expect(u.loadedAs).to.equal(`loaded:${u.email}`),
  },
];

const SNAKE_SHAPE: Shape = {
  name: 'snake_case naming strategy',
  entity: SnakeCaseUser,
  path: 'plain-sql',
  decorate: async (ds, u) => void (await ds.getRepository(SnakeCaseUser).update(u.id, { favouriteColour: 'green' })),
  check: (u) => expect(u.favouriteColour).to.equal('green'),
};

function shapesDataSource(kind: DataSourceKind, entities: Function[], extra: Partial<DataSourceOptions> = {}): DataSource {
  const all = [...entities, AccessToken];
  if (kind === 'postgres') {
    return new DataSource({
      type: 'postgres',
      url: process.env.TEST_DATABASE_URL,
      entities: all,
      synchronize: true,
      dropSchema: true,
      ...extra,
    } as DataSourceOptions);
  }
  return new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: all, synchronize: true, ...extra } as DataSourceOptions);
}

let sequence = 0;
const nextEmail = (shape: string) => `${shape.replace(/[^a-z]+/gi, '-').toLowerCase()}-${++sequence}@example.com`;

async function loginToken(t: TestApp, backend: string, email: string): Promise<string> {
  const res = await request(t.app).post(`/auth/${backend}/login`).send({ username: email, password: PASSWORD });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.access_token;
}

function describeShapes(kind: DataSourceKind, shapes: Shape[], extra: Partial<DataSourceOptions> = {}): void {
  describe(`on ${kind}${extra.namingStrategy ? ' with a naming strategy' : ''}`, () => {
    let dataSource: DataSource;
    before(async () => {
      dataSource = shapesDataSource(kind, [...shapes.map((s) => s.entity), Team, Person, Robot], extra);
      await dataSource.initialize();
    });
    after(async () => {
      if (!dataSource?.isInitialized) return;
      // The shared PostgreSQL is the next suite's: leave it as found (a renamed access_token table would break theirs).
      await dataSource.dropDatabase();
      await dataSource.destroy();
    });

    for (const shape of shapes) {
      describe(shape.name, () => {
        let t: TestApp;
        let user: BaseUser;
        before(async () => {
          t = await buildApp({ dataSource, userEntity: shape.entity, keepDataSource: true });
          user = await t.auth.userManager.create({ email: nextEmail(shape.name), password: PASSWORD }, { safe: false });
          await shape.decorate?.(dataSource, user);
        });
        after(() => t.close());

        it(`takes the ${shape.path} path`, () => {
          expect(planLoading(dataSource, dataSource.getMetadata(shape.entity)).path).to.equal(shape.path);
        });

        it('loads exactly what findOneBy loads: present, missing, soft-deleted, restored', async () => {
          const repository = dataSource.getRepository(shape.entity);
          const load = createPrimaryKeyLoader(dataSource, shape.entity);
          const viaTypeorm = await repository.findOneBy({ id: user.id });
          const viaLoader = await load(user.id);
          const viaStore = await t.auth.userStore.findById(user.id);
          expect(viaTypeorm).to.be.instanceOf(shape.entity);
          for (const loaded of [viaLoader, viaStore]) {
            expect(Object.getPrototypeOf(loaded)).to.equal(Object.getPrototypeOf(viaTypeorm));
            expect(loaded).to.deep.equal(viaTypeorm);
            shape.check?.(loaded);
          }

          const missing = '00000000-0000-4000-8000-000000000000';
          expect(await repository.findOneBy({ id: missing })).to.equal(null);
          expect(await load(missing)).to.equal(null);

          await repository.softDelete(user.id);
          expect(await repository.findOneBy({ id: user.id })).to.equal(null);
          expect(await load(user.id)).to.equal(null);
          expect(await t.auth.userStore.findById(user.id)).to.equal(null);

          await repository.restore(user.id);
          expect(await load(user.id)).to.deep.equal(await repository.findOneBy({ id: user.id }));
        });

        it('logs in and reaches an @Authorized() route (JWT and database tokens); soft-deleted, it is refused; restored, accepted', async () => {
          const tokens = [await loginToken(t, 'jwt', user.email), await loginToken(t, 'db', user.email)];
          for (const token of tokens) {
            const res = await request(t.app).get('/items').set('Authorization', `Bearer ${token}`);
            expect(res.status, JSON.stringify(res.body)).to.equal(200);
            expect(res.body).to.deep.equal({ owner: user.email });
          }

          await dataSource.getRepository(shape.entity).softRemove(await dataSource.getRepository(shape.entity).findOneByOrFail({ id: user.id }));
          for (const token of tokens) {
            const res = await request(t.app).get('/items').set('Authorization', `Bearer ${token}`);
            expect(res.status).to.equal(401);
            expect(res.body.code).to.equal('UNAUTHORIZED');
          }
          const login = await request(t.app).post('/auth/jwt/login').send({ username: user.email, password: PASSWORD });
          expect(login.status).to.equal(400);
          expect(login.body.code).to.equal('LOGIN_BAD_CREDENTIALS');

          await dataSource.getRepository(shape.entity).restore(user.id);
          for (const token of tokens) {
            expect((await request(t.app).get('/items').set('Authorization', `Bearer ${token}`)).status).to.equal(200);
          }
        });
      });
    }

    if (shapes.some((s) => s.entity === Member)) {
      it("single-table inheritance: a sibling child's id is no user", async () => {
        const robot = await dataSource.getRepository(Robot).save(dataSource.getRepository(Robot).create({ email: nextEmail('robot'), hashedPassword: 'x' }));
        expect(await dataSource.getRepository(Member).findOneBy({ id: robot.id })).to.equal(null);
        expect(await createPrimaryKeyLoader(dataSource, Member)(robot.id)).to.equal(null);
      });
    }
  });
}

describe("entity shapes: the request path loads users by TypeORM's rules", () => {
  for (const kind of ['sqlite', 'postgres'] as const) {
    describeShapes(kind, SHAPES);
    describeShapes(kind, [SNAKE_SHAPE], { namingStrategy: new SnakeNamingStrategy() });
  }

  it('soft delete with Redis tokens: refused after softRemove, accepted after restore', async () => {
    const redis = createClient({ url: process.env.TEST_REDIS_URL, disableOfflineQueue: true });
    redis.on('error', () => undefined);
    await redis.connect();
    const dataSource = shapesDataSource('sqlite', [SoftDeleteUser]);
    const backends = [
      new AuthenticationBackend({
        name: 'redis',
        transport: new BearerTransport({ tokenUrl: '/auth/redis/login' }),
        strategy: new RedisStrategy({ redis: redis, keyPrefix: `rcauth-test:${randomUUID()}:` }),
      }),
    ];
    const t = await buildApp({ dataSource, userEntity: SoftDeleteUser, backends });
    try {
      const user = await t.auth.userManager.create({ email: nextEmail('redis soft'), password: PASSWORD }, { safe: false });
      const token = await loginToken(t, 'redis', user.email);
      const call = () => request(t.app).get('/items').set('Authorization', `Bearer ${token}`);
      expect((await call()).status).to.equal(200);
      await dataSource.getRepository(SoftDeleteUser).softRemove(user as SoftDeleteUser);
      expect((await call()).status).to.equal(401);
      await dataSource.getRepository(SoftDeleteUser).restore(user.id);
      expect((await call()).status).to.equal(200);
    } finally {
      await t.close();
      await redis.quit();
    }
  });

  it('the snake_case strategy really renames the columns it is given', async () => {
    const dataSource = shapesDataSource('sqlite', [SnakeCaseUser], { namingStrategy: new SnakeNamingStrategy() });
    await dataSource.initialize();
    try {
      const names = dataSource.getMetadata(SnakeCaseUser).columns.map((c) => c.databaseName);
      expect(names).to.include.members(['is_active', 'hashed_password', 'favourite_colour', 'deleted_at']);
    } finally {
      await dataSource.destroy();
    }
  });
});
