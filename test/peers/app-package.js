// Prints the package.json of a peers-row temp app: the packed library, plus what the repo's tests
// and the README's quick start need (the repo's devDependencies but the benchmark's), with each
// `name@version` argument replacing that package's version.
const { devDependencies, dependencies: libraryDependencies } = require('../../package.json');
const [tarball, ...peers] = process.argv.slice(2);
const BUILD_ONLY = /^(@types\/autocannon|autocannon)$/;
// The library's own dependencies too, at top level: the copied dist/ resolves them from the app's
// node_modules, where another package's older version (e.g. commander) would otherwise be hoisted.
const dependencies = {
  ...libraryDependencies,
  ...Object.fromEntries(Object.entries(devDependencies).filter(([name]) => !BUILD_ONLY.test(name))),
};
for (const peer of peers) {
  const at = peer.lastIndexOf('@');
  dependencies[peer.slice(0, at)] = peer.slice(at + 1);
}
dependencies['routing-controllers-auth'] = `file:${tarball}`;
console.log(JSON.stringify({ name: 'rca-peers-app', private: true, dependencies }, null, 2));
