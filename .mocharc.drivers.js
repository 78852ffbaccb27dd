// The HTTP suites run again on Express 5 and Koa (TEST_DRIVER; `npm run test:drivers`). Which files
// those are is not a hand-kept list: every test file that builds its app through test/support/app.ts
// (the one place that honours TEST_DRIVER) is one, so a new HTTP test cannot silently skip a driver.
const { readdirSync, readFileSync } = require('fs');
const { join, relative } = require('path');

const sources = join(__dirname, 'test');
/** Every `*.test.ts` under test/, in the area folders too. */
function testFiles(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}
const httpSuites = testFiles(sources)
  .filter((file) => /from '(\.|\.\.)\/support\/app'/.test(readFileSync(file, 'utf8')))
  .map((file) => `dist/test/${relative(sources, file).replace(/\.ts$/, '.js')}`)
  .sort();

module.exports = {
  require: ['dist/test/support/services.js', 'dist/test/support/undeclared-answers.js'],
  spec: httpSuites,
  timeout: 20000,
  exit: true,
};
