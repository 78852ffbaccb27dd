// The HTTP suites run again on Express 5 and Koa (TEST_DRIVER; `npm run test:drivers`). Which files
// those are is not a hand-kept list: every test file that builds its app through test/support/app.ts
// (the one place that honours TEST_DRIVER) is one, so a new HTTP test cannot silently skip a driver.
const { readdirSync, readFileSync } = require('fs');
const { join } = require('path');

const sources = join(__dirname, 'test');
const httpSuites = readdirSync(sources)
  .filter((file) => file.endsWith('.test.ts'))
  .filter((file) => /from '\.\/support\/app'/.test(readFileSync(join(sources, file), 'utf8')))
  .map((file) => `dist/test/${file.replace(/\.ts$/, '.js')}`);

module.exports = {
  require: ['dist/test/support/services.js', 'dist/test/support/undeclared-answers.js'],
  spec: httpSuites,
  timeout: 20000,
  exit: true,
};
