#!/usr/bin/env node
// Fails, listing file:line, when a line of our own code is longer than 120 columns: oxfmt wraps
// code at 120 but cannot break a long string or comment, and oxlint has no max-len rule.
// Markdown prose, templates (their output's layout is the product's), fixtures and snapshots
// (copies of outside text) are not ours to wrap.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX_COLUMNS = 120;
const CHECKED = /\.(?:[cm]?[jt]s|sh|py|json|ya?ml)$/;
const SKIPPED = [/(?:^|\/)templates\//, /^test\/fixtures\//, /__snapshots__\//, /(?:^|\/)package-lock\.json$/];

const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
// A file in conflict during a merge is listed once per side: each is read once.
const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
  cwd: root,
  encoding: 'utf8',
});
const files = [...new Set(listed.split('\0'))]
  .filter((file) => file && !SKIPPED.some((pattern) => pattern.test(file)))
  .filter((file) => CHECKED.test(file) || isScript(file));

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
