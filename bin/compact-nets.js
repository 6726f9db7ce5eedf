#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript (run `npm run build` first; `npm ci` does it).
'use strict';
const path = require('path');
const fs = require('fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  console.error(`compact-nets: ${entry} is missing: the TypeScript sources are not compiled. Run \`npm run build\` in ${path.dirname(__dirname)}.`);
  process.exit(2);
}
require(entry).main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code ?? 0; },
  (err) => { console.error(`compact-nets: ${err && err.message ? err.message : err}`); process.exitCode = 1; },
);
