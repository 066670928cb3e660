#!/usr/bin/env node
'use strict';
// CommonJS on purpose (bin/package.json): Node starts a CommonJS entry about 15 ms sooner than
// an ES module one, a tenth of the whole run of `list`.
const { accessSync, constants: fsConstants, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const bundle = join(__dirname, '..', 'dist', 'bundle', 'cli.cjs');
const modules = join(__dirname, '..', 'dist', 'src', 'cli.js');
// V8's compiled code for the bundle, kept from an earlier run: compiling the bundle anew is
// about a tenth of the start-up. V8 refuses a cache made by another Node or for a source of
// another length; the modification times catch a rebuilt bundle of the same length.
const codeCache = `${bundle}.v8cache`;
const modified = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;

function readCodeCache(bundleModified) {
  if (modified(codeCache) < bundleModified) return undefined;
  try {
    return readFileSync(codeCache);
  } catch {
    return undefined;
  }
}

/** Written on exit, once this run has compiled what it used; skipped where the package is read-only. */
function saveCodeCache(script) {
  try {
    accessSync(dirname(bundle), fsConstants.W_OK);
    const temporary = `${codeCache}.${process.pid}`;
    writeFileSync(temporary, script.createCachedData());
    renameSync(temporary, codeCache);
  } catch {
    // A cache is an optimisation: without one the next run compiles the bundle again.
  }
}

function runBundle(bundleModified) {
  const cachedData = readCodeCache(bundleModified);
  // CommonJS's wrapper, plus the import() of this file: code from V8's cache cannot call its own.
  const source = `(function (exports, require, module, __filename, __dirname, importFromBin) {${readFileSync(bundle, 'utf8')}\n})`;
  const script = new Script(source, { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => saveCodeCache(script));
  const bundleModule = { exports: {} };
  const importFromBin = (specifier) => import(specifier);
  script.runInThisContext().call(bundleModule.exports, bundleModule.exports, createRequire(bundle), bundleModule, bundle, dirname(bundle), importFromBin);
}

// `npm run build` writes the bundle after tsc; a later plain `tsc` run makes it stale, and then
// the modules tsc wrote are what the sources say.
const bundleModified = modified(bundle);
if (bundleModified >= modified(modules)) runBundle(bundleModified);
else import('../dist/src/cli.js');
