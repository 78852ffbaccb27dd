// Writes the README's quick start (app.ts and tsconfig.json, the blocks after `<!-- file: NAME -->`)
// into the temp app at argv[2], so the row also compiles it with tsc against the row's peers'
// type declarations (strict, no skipLibCheck: what a new app sees).
const { readFileSync, writeFileSync } = require('fs');
const path = require('path');
const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
for (const name of ['app.ts', 'tsconfig.json']) {
  const marker = readme.indexOf(`<!-- file: ${name} -->`);
  const block = marker < 0 ? null : /```[a-z]*\n([\s\S]*?)\n```/.exec(readme.slice(marker));
  if (!block) throw new Error(`README.md has no <!-- file: ${name} --> block`);
  writeFileSync(path.join(process.argv[2], name === 'tsconfig.json' ? 'tsconfig.quick-start.json' : name), `${block[1]}\n`);
}
