// Fails unless each `name@version` argument is the version installed at the top of the temp app
// at argv[2] (where dist/ resolves it from), so a row never passes while testing the repo's versions.
const { readFileSync } = require('fs');
const path = require('path');
const [app, ...peers] = process.argv.slice(2);
for (const peer of peers) {
  const at = peer.lastIndexOf('@');
  const [name, wanted] = [peer.slice(0, at), peer.slice(at + 1)];
  const installed = JSON.parse(readFileSync(path.join(app, 'node_modules', name, 'package.json'), 'utf8')).version;
  if (installed !== wanted) {
    console.error(`test/peers: ${name} is ${installed} in the temp app, not ${wanted}`);
    process.exit(1);
  }
  console.log(`--- ${name} ${installed}`);
}
