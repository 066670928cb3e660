#!/usr/bin/env node
// Fails, listing file:line, when a line of our own code is longer than 120 columns: oxfmt wraps
// code at 120 but cannot break a long string or comment, and oxlint has no max-len rule.
// Markdown prose, templates (their output's layout is the product's), fixtures and snapshots
// (copies of outside text) are not ours to wrap.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const MAX_COLUMNS = 120;
const CHECKED = /\.(?:[cm]?[jt]s|sh|py|json|ya?ml)$/;
const SKIPPED = [/(?:^|\/)templates\//, /^test\/fixtures\//, /__snapshots__\//, /(?:^|\/)package-lock\.json$/];

const root = dirname(import.meta.dirname);
const files = [...new Set(sourceFiles())]
  .filter((file) => file && !SKIPPED.some((pattern) => pattern.test(file)))
  .filter((file) => CHECKED.test(file) || isScript(file));

/**
 * The files git tracks or would (untracked, not ignored); a file in conflict during a merge is
 * listed once per side, hence the Set. Outside a git checkout (a CI copy of the sources), every
 * file but dependencies, builds and git's own.
 */
function sourceFiles() {
  try {
    const args = ['ls-files', '-z', '--cached', '--others', '--exclude-standard'];
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\0');
  } catch {
    return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
      (file) =>
        !/(?:^|\/)(?:node_modules|dist|\.git)(?:\/|$)/.test(file) &&
        statSync(join(root, file), { throwIfNoEntry: false })?.isFile(),
    );
  }
}

/** An extensionless file that starts with `#!` (`.ci/run`) is code too. */
function isScript(file) {
  if (/\.[^/]+$/.test(file)) return false;
  try {
    return readFileSync(`${root}/${file}`, 'latin1').startsWith('#!');
  } catch {
    return false;
  }
}

const long = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(`${root}/${file}`, 'utf8');
  } catch {
    continue; // Deleted in the working tree, not yet in the index.
  }
  text.split('\n').forEach((line, index) => {
    // Columns are characters as an editor shows them, not UTF-16 units or bytes.
    const columns = [...line.replace(/\r$/, '')].length;
    if (columns > MAX_COLUMNS) long.push(`${file}:${index + 1}: ${columns} columns`);
  });
}
if (long.length > 0) {
  process.stderr.write(`${long.join('\n')}\n${long.length} lines over ${MAX_COLUMNS} columns: split them\n`);
  process.exit(1);
}
