// Prints the package.json of a peers-row temp app: the packed library, plus what the repo's tests
// and the README's quick start need (the repo's devDependencies but the benchmark's), with each
// `name@version` argument replacing that package's version.
const { devDependencies } = require('../../package.json');
const [tarball, ...peers] = process.argv.slice(2);
const BUILD_ONLY = /^(@types\/autocannon|autocannon)$/;
const dependencies = Object.fromEntries(Object.entries(devDependencies).filter(([name]) => !BUILD_ONLY.test(name)));
for (const peer of peers) {
  const at = peer.lastIndexOf('@');
  dependencies[peer.slice(0, at)] = peer.slice(at + 1);
}
dependencies['routing-controllers-auth'] = `file:${tarball}`;
console.log(JSON.stringify({ name: 'rca-peers-app', private: true, dependencies }, null, 2));
