import { UsageError } from './errors.js';
import { notUtf8, REPLACEMENT_CHARACTER } from './fs.js';
import { writeFileAtomic } from './fs-file.js';
import { lockFile } from './fs-lock.js';
import { findSection, parseIni, readIniFile, sectionItems, sections, type IniDocument, type IniEntry } from './ini.js';
import { editValue, iniText } from './ini-edit.js';
import { isCommentStart, pythonStrip } from './ini-syntax.js';
import { printable } from './names.js';
import { describeProblem, isPrivate, keyProblem, namingProblems } from './naming.js';
import { toConfigFile } from './plugin.js';
import { didYouMean } from './suggest.js';

/**
 * `bootstrap-plugin config get|set`: read a value, edit values in place (every other byte of
 * the file kept). `config check` is in check.ts.
 */

export interface GetOptions {
  path: string;
  cwd: string;
  /** `section.key`; the section may hold dots (`[a.b]` → `a.b.key`). */
  address: string;
}

/** The raw value, as configparser's `get(section, key, raw=True)`: `[DEFAULT]` included, nothing expanded. */
export async function getConfigValue(options: GetOptions): Promise<string> {
  const file = await toConfigFile(options.path, options.cwd);
  const doc = await readIniFile(file.absolute, file.shown);
  const found = splits(options.address).flatMap(({ section, key }) => {
    const s = findSection(doc, section);
    const entry = s && sectionItems(doc, s).get(key.toLowerCase());
    return entry ? [entry] : [];
  });
  if (found.length > 1)
    throw ambiguous(
      options.address,
      file.shown,
      found.map((e) => e.section),
    );
  if (found.length === 0) throw missing(options.address, doc, file.shown);
  return found[0].value;
}

/** Every way to cut `a.b.c` into section and key, each part non-empty. */
function splits(address: string): Array<{ section: string; key: string }> {
  const cuts: Array<{ section: string; key: string }> = [];
  for (let at = address.indexOf('.'); at !== -1; at = address.indexOf('.', at + 1)) {
    if (at > 0 && at < address.length - 1) cuts.push({ section: address.slice(0, at), key: address.slice(at + 1) });
  }
  if (cuts.length === 0) throw new UsageError(`"${printable(address)}": expected SECTION.KEY, e.g. custom.api_url`);
  return cuts;
}

function ambiguous(address: string, file: string, sections: string[]): UsageError {
  return new UsageError(
    `"${printable(address)}" could be a key of [${sections.join('] or [')}] in ${file}: rename one of those sections`,
  );
}

function missing(address: string, doc: IniDocument, file: string): UsageError {
  const known = sections(doc).flatMap((s) => [...s.entries.values()].map((e) => `${s.name}.${e.name}`));
  return new UsageError(`no key "${printable(address)}" in ${file}${didYouMean(address, known)}`);
}

export interface SetOptions {
  path: string;
  cwd: string;
  /** `section.key=value`, applied in order. */
  assignments: string[];
  /** Aborting (Ctrl-C, SIGTERM) before the file is replaced leaves it unchanged, and no temporary file. */
  signal?: AbortSignal;
}

export interface Change {
  section: string;
  key: string;
  /** The value before, when the key was there (in the section itself, not lent by DEFAULT). */
  previous?: string;
  value: string;
}

export interface SetResult {
  file: string;
  changes: Change[];
  /** What interrupted runs had left (a stale lock, temporary files), removed before writing. */
  removed: string[];
}

/**
 * Sets values in place: a key's line is rewritten after its delimiter, a missing key is added
 * after the last key of its section, a missing section at the end; every other line stays as
 * it was. A value with newlines becomes indented continuation lines. Each edit is read back;
 * a value configparser would not read back exactly, or a key `env` would refuse, is refused.
 * Writers of one file take turns (a lock file beside it); the file is replaced atomically.
 */
export async function setConfigValues(options: SetOptions): Promise<SetResult> {
  if (options.assignments.length === 0) throw new UsageError('nothing to set: give SECTION.KEY=VALUE');
  const file = await toConfigFile(options.path, options.cwd);
  const lock = await lockFile(file.absolute, file.shown, options.signal);
  try {
    const original = await readIniFile(file.absolute, file.shown);
    let doc = original;
    const changes: Change[] = [];
    for (const assignment of options.assignments) {
      const at = assignment.indexOf('=');
      if (at === -1) throw new UsageError(`"${printable(assignment)}": expected SECTION.KEY=VALUE`);
      const address = assignment.slice(0, at);
      const value = assignment.slice(at + 1);
      const target = chooseTarget(doc, address, file.shown);
      checkKey(target, address);
      checkValue(value, address);
      const { text, previous } = editValue(doc, target.section, target.key, value);
      const after = readBack(text, file.shown, address);
      assertOnlyChange(doc, after, target.section, target.key, value, address);
      if (previous === undefined) assertNameFree(original, after, target, address);
      changes.push({ section: target.section, key: target.key, previous, value });
      doc = after;
    }
    const written = await writeFileAtomic(file.absolute, iniText(doc), options.signal);
    return { file: file.shown, changes, removed: [...lock.removed, ...written.removed] };
  } finally {
    lock.release();
  }
}

/** The edited text, parsed: an error there would name a line of our copy, not of the user's file. */
function readBack(text: string, file: string, address: string): IniDocument {
  try {
    return parseIni(text, file);
  } catch {
    throw cannotEditInPlace(address);
  }
}

const cannotEditInPlace = (address: string) =>
  new UsageError(
    `cannot set "${printable(address)}" in place: the lines around it would be read differently; edit the file by hand`,
  );

/**
 * A new key must give a variable name of its own, by env's rule (naming.ts); the key it would
 * collide with is named at its line in the file as it was (or as set by this same command).
 */
function assertNameFree(
  original: IniDocument,
  after: IniDocument,
  target: { section: string; key: string },
  address: string,
): void {
  const isNew = (entry: IniEntry) => entry.section === target.section && entry.name === target.key.toLowerCase();
  const problem = namingProblems(after, '').find((p) => isNew(p.entry) || (p.other && isNew(p.other)));
  if (!problem?.other) return;
  const swapped = isNew(problem.entry)
    ? problem
    : {
        entry: problem.other,
        section: problem.section,
        name: problem.name,
        other: problem.entry,
        otherSection: problem.section,
      };
  const where = (entry: IniEntry) => {
    const before = findSection(original, entry.section)?.entries.get(entry.name);
    return before ? `${original.file}:${before.line}` : 'an earlier assignment of this command';
  };
  // The module is not known here: `…` stands for the prefix env adds (MFSERV_CURRENT_PLUGIN…).
  throw new UsageError(
    `cannot set "${printable(address)}": ${describeProblem({ ...swapped, name: `…${swapped.name}` }, where)}`,
  );
}

/**
 * Where `a.b.c` goes: an existing key, else an existing section, else a new section (cut at the
 * last dot, as git config does).
 */
function chooseTarget(doc: IniDocument, address: string, file: string): { section: string; key: string } {
  const cuts = splits(address);
  const withKey = cuts.filter((c) => findSection(doc, c.section)?.entries.has(c.key.toLowerCase()));
  const withSection = cuts.filter((c) => findSection(doc, c.section));
  const candidates = withKey.length > 0 ? withKey : withSection;
  if (candidates.length > 1)
    throw ambiguous(
      address,
      file,
      candidates.map((c) => c.section),
    );
  if (candidates.length === 1) return candidates[0];
  const target = cuts[cuts.length - 1];
  const sameButCase = sections(doc).find((s) => s.name.toLowerCase() === target.section.toLowerCase())?.name;
  if (sameButCase) {
    throw new UsageError(
      `${file} has no section [${target.section}] but has [${sameButCase}] (section names are ` +
        `case-sensitive): set ${sameButCase}.${target.key}`,
    );
  }
  return target;
}

function checkKey({ section, key }: { section: string; key: string }, address: string): void {
  const bad = (reason: string) => new UsageError(`cannot set "${printable(address)}": ${reason}`);
  if (/[\r\n]/.test(key)) throw bad('a key cannot hold a line break');
  if (key.includes(':')) throw bad('a key cannot hold ":", which ini reads as the end of the key');
  if (pythonStrip(key) !== key) throw bad('a key cannot start or end with a space');
  if (isCommentStart(key.charCodeAt(0)) || key.startsWith('[')) throw bad(`a key cannot start with "${key[0]}"`);
  if (address.includes(REPLACEMENT_CHARACTER)) throw bad(notUtf8('the name'));
  // env's rule, which private names escape as they escape env.
  const problem = isPrivate(section) || isPrivate(key) ? undefined : keyProblem(key);
  if (problem) throw bad(problem);
}

/**
 * configparser strips each line of a value and drops trailing blank lines; a continuation line
 * starting with `#` or `;` is a comment. Such values could not be read back, so they are refused.
 */
function checkValue(value: string, address: string): void {
  const bad = (reason: string) => new UsageError(`cannot set "${printable(address)}": ${reason}`);
  if (value.includes('\r')) throw bad('a value cannot hold a carriage return (ini files end lines there)');
  if (value.includes('\0')) throw bad('a value cannot hold a NUL character (no environment variable can)');
  if (value.includes(REPLACEMENT_CHARACTER)) throw bad(notUtf8('the value'));
  const lines = value.split('\n');
  if (lines.some((line) => pythonStrip(line) !== line)) {
    throw bad(
      'configparser strips spaces at the start and end of a value and of each of its lines, so they would be lost',
    );
  }
  if (lines.length > 1 && lines[lines.length - 1] === '') throw bad("configparser drops a value's trailing newlines");
  if (lines.slice(1).some((line) => isCommentStart(line.charCodeAt(0)))) {
    throw bad('a line of a multi-line value cannot start with "#" or ";" (configparser would read a comment)');
  }
}

/** The edited file must read as the old one plus exactly this change, or nothing is written. */
function assertOnlyChange(
  before: IniDocument,
  after: IniDocument,
  section: string,
  key: string,
  value: string,
  address: string,
): void {
  const expected = snapshot(before);
  expected.set(JSON.stringify([section, key.toLowerCase()]), value);
  const actual = snapshot(after);
  const same = expected.size === actual.size && [...expected].every(([k, v]) => actual.get(k) === v);
  if (!same || !findSection(after, section)) {
    throw cannotEditInPlace(address);
  }
}

function snapshot(doc: IniDocument): Map<string, string> {
  const values = new Map<string, string>();
  for (const section of sections(doc)) {
    for (const entry of section.entries.values()) values.set(JSON.stringify([section.name, entry.name]), entry.value);
  }
  return values;
}
