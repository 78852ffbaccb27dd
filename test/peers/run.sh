#!/usr/bin/env bash
# Runs the repo's own compiled tests against other versions of the peers an app installs.
#
# Per row: a fresh temp app whose package.json lists the packed library (`npm pack`, so npm checks
# its peerDependencies as it would in an app: a range that excludes the row's peer fails the
# install with ERESOLVE) and the test dependencies, with the row's peer version instead of the
# repo's. The compiled dist/ is copied in and mocha runs there: Node resolves every peer from the
# temp app's node_modules, so the library and the tests run against the row's version.
#
# Usage: test/peers/run.sh [row ...]   (no row: all rows; rows are listed in test/peers/rows.sh)
# Expects `npm run compile` to have built dist/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
source test/peers/rows.sh

[ -d dist/test ] || { echo "test/peers: run 'npm run compile' first (dist/test is missing)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rca-peers.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
npm pack --silent --pack-destination "$WORK" >/dev/null
TARBALL="$(ls "$WORK"/routing-controllers-auth-*.tgz)"

selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${ALL_ROWS[@]}")

failed=()
for row in "${selected[@]}"; do
  declare -n spec="ROW_${row//-/_}"
  echo "=== peers row '$row': ${spec[peers]}"
  app="$WORK/$row"
  mkdir -p "$app"
  node test/peers/app-package.js "$TARBALL" ${spec[peers]} > "$app/package.json"
  start=$SECONDS
  # Install scripts skipped: the native modules are the repo's exact versions, already built
  # for this Node by the repo's install; their build output is copied instead of rebuilt.
  if ! (cd "$app" && npm install --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error); then
    failed+=("$row (install)"); continue
  fi
  for native in better-sqlite3 argon2; do
    [ -d "node_modules/$native/build" ] && cp -r "node_modules/$native/build" "$app/node_modules/$native/"
  done
  cp -r dist "$app/dist"
  node test/peers/check-installed.js "$app" ${spec[peers]}
  echo "--- installed in $((SECONDS - start)) s; the README quick start under tsc (strict, library types checked)"
  node test/peers/quick-start.js "$app"
  if ! (cd "$app" && npx tsc -p tsconfig.quick-start.json --noEmit); then
    failed+=("$row (quick start types)")
  fi
  echo "--- running: ${spec[specs]}"
  # shellcheck disable=SC2086
  if ! (cd "$app" && env ${spec[env]:-} npx mocha --require dist/test/support/services.js --timeout 20000 --exit ${spec[specs]}); then
    failed+=("$row")
  fi
  rm -rf "$app"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "test/peers: failed rows: ${failed[*]}" >&2
  exit 1
fi
echo "test/peers: all rows passed (${selected[*]})"
