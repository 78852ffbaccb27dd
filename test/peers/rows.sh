# The peer versions test/peers/run.sh tests besides the repo's own (package.json devDependencies:
# routing-controllers 0.11, TypeORM 0.3, node-redis 5, Express 4 and 5, Koa 3, which `npm test` covers).
# One row per peer line, each against the repo's versions of the others.
# peers: name@exact-version ...; specs: compiled test files; env: extra environment.

HTTP_SPECS="$(node -e "console.log(require('./.mocharc.drivers.js').spec.join(' '))")"
REDIS_SPECS="dist/test/redis/redis-strategy.test.js dist/test/redis/redis-cluster.test.js dist/test/redis/redis-errors.test.js dist/test/login/rate-limits.test.js
  dist/test/tokens/jwt-keys-and-revocation.test.js dist/test/oauth/oauth-state-store.test.js dist/test/operations/faults.test.js
  dist/test/operations/scale-out.test.js dist/test/tokens/storage-behaviour.test.js dist/test/app/ready.test.js dist/test/users/entity-shapes.test.js
  dist/test/redis/redis-kit.test.js dist/test/redis/redis-stall.test.js dist/test/redis/redis-timeout.test.js dist/test/sessions/sessions-redis-cluster.test.js
  dist/test/conformance/library-stores.test.js"
ALL_SPECS="$(find dist/test -name '*.test.js' -not -path '*/fixtures/*' | sort | grep -v '/package.test.js$' | tr '\n' ' ')"

# TypeORM 1.x: every test (entities, stores, migrations, the request-path loader, PostgreSQL).
declare -A ROW_typeorm1=([peers]="typeorm@1.1.1" [specs]="$ALL_SPECS")
# node-redis 6 (RESP3, command timeouts by default): everything that talks to Redis, cluster included.
# With TypeORM 1.x: TypeORM 0.3 lists redis ^3 || ^4 || ^5 as its own optional peer (its query
# cache), so npm refuses redis 6 next to it (ERESOLVE); redis 6 apps are TypeORM 1.x apps.
declare -A ROW_redis6=([peers]="typeorm@1.1.1 redis@6.3.1" [specs]="$REDIS_SPECS")
# routing-controllers 0.10 is not a row: the OpenAPI document is built on routing-controllers-openapi 5, whose
# peer is routing-controllers ^0.11 (npm refuses 0.10 beside it). The library's patches still name 0.10's
# internals, which are the same; a row would pass the HTTP suites, as it did before the OpenAPI work.
# Koa 2: the HTTP tests and the patch checks on the Koa driver.
declare -A ROW_koa2=([peers]="koa@2.16.4" [specs]="$HTTP_SPECS dist/test/app/routing-patches.test.js" [env]="TEST_DRIVER=koa")

ALL_ROWS=(typeorm1 redis6 koa2)
