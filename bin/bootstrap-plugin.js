#!/usr/bin/env node
'use strict';
// CommonJS on purpose (bin/package.json): Node starts a CommonJS entry about 15 ms sooner than
// an ES module one, a tenth of the whole run of `list`.
const { statSync } = require('node:fs');
const { join } = require('node:path');

const bundle = join(__dirname, '..', 'dist', 'bundle', 'cli.cjs');
const modules = join(__dirname, '..', 'dist', 'src', 'cli.js');
const modified = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;

// `npm run build` writes the bundle after tsc; a later plain `tsc` run makes it stale, and then
// the modules tsc wrote are what the sources say.
if (modified(bundle) >= modified(modules)) require(bundle);
else import('../dist/src/cli.js');
