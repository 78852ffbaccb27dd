// Fails unless each `name@version` argument is what the temp app at argv[2] resolves `name` to,
// so a row never passes while silently testing the repo's own versions.
const { createRequire } = require('module');
const path = require('path');
const [app, ...peers] = process.argv.slice(2);
const requireFromApp = createRequire(path.join(app, 'dist', 'src', 'index.js'));
for (const peer of peers) {
  const at = peer.lastIndexOf('@');
  const [name, wanted] = [peer.slice(0, at), peer.slice(at + 1)];
  const real = name === 'express5' ? 'express5' : name;
  const installed = requireFromApp(`${real}/package.json`).version;
  if (installed !== wanted.replace(/^npm:[^@]+@/, '')) {
    console.error(`test/peers: ${name} resolves to ${installed}, not ${wanted}`);
    process.exit(1);
  }
  console.log(`--- ${name} ${installed}`);
}
