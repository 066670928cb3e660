import { UsageError } from './errors.js';
import { writeFileAtomic } from './fs.js';
import {
  findSection,
  isCommentStart,
  parseIni,
  pythonStrip,
  readIniFile,
  sectionItems,
  sectionNames,
  delimiterIndex,
  type IniDocument,
  type IniEntry,
  type IniSection,
} from './ini.js';
import { printable } from './names.js';
import { toConfigFile } from './plugin.js';
import { didYouMean } from './suggest.js';

/**
 * `bootstrap-plugin config get|set`: read a value, edit values in place (every other byte of
 * the file kept). `config check` is in check.ts.
 */

const CONTINUATION_INDENT = '    ';
const DEFAULT_DELIMITER = ' = ';

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
  if (found.length > 1) throw ambiguous(options.address, file.shown, found.map((e) => e.section));
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
  return new UsageError(`"${printable(address)}" could be a key of [${sections.join('] or [')}] in ${file}: rename one of those sections`);
}

function missing(address: string, doc: IniDocument, file: string): UsageError {
  const known = sectionNames(doc).flatMap((name) => [...findSection(doc, name)!.entries.values()].map((e) => `${name}.${e.name}`));
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
}

/** A line being edited: its text and terminator. */
interface Line {
  text: string;
  eol: string;
}

/**
 * Sets values in place: a key's line is rewritten after its delimiter, a missing key is added
 * after the last key of its section, a missing section at the end; every other line stays as
 * it was. A value with newlines becomes indented continuation lines. Each edit is read back;
 * a value configparser would not read back exactly is refused. Written atomically, mode kept.
 */
export async function setConfigValues(options: SetOptions): Promise<SetResult> {
  if (options.assignments.length === 0) throw new UsageError('nothing to set: give SECTION.KEY=VALUE');
  const file = await toConfigFile(options.path, options.cwd);
  let doc = await readIniFile(file.absolute, file.shown);
  const changes: Change[] = [];
  for (const assignment of options.assignments) {
    const at = assignment.indexOf('=');
    if (at === -1) throw new UsageError(`"${printable(assignment)}": expected SECTION.KEY=VALUE`);
    const address = assignment.slice(0, at);
    const value = assignment.slice(at + 1);
    const target = chooseTarget(doc, address, file.shown);
    checkKey(target.key, address);
    checkValue(value, address);
    const { lines, previous } = edit(doc, target.section, target.key, value);
    const after = parseIni(joinLines(lines), file.shown);
    assertOnlyChange(doc, after, target.section, target.key, value, address);
    changes.push({ section: target.section, key: target.key, previous, value });
    doc = after;
  }
  await writeFileAtomic(file.absolute, joinLines(toLines(doc)), options.signal);
  return { file: file.shown, changes };
}

/** Where `a.b.c` goes: an existing key, else an existing section, else a new section (cut at the last dot, as git config does). */
function chooseTarget(doc: IniDocument, address: string, file: string): { section: string; key: string } {
  const cuts = splits(address);
  const withKey = cuts.filter((c) => findSection(doc, c.section)?.entries.has(c.key.toLowerCase()));
  const withSection = cuts.filter((c) => findSection(doc, c.section));
  const candidates = withKey.length > 0 ? withKey : withSection;
  if (candidates.length > 1) throw ambiguous(address, file, candidates.map((c) => c.section));
  if (candidates.length === 1) return candidates[0];
  const target = cuts[cuts.length - 1];
  const sameButCase = sectionNames(doc).find((name) => name.toLowerCase() === target.section.toLowerCase());
  if (sameButCase) {
    throw new UsageError(`${file} has no section [${target.section}] but has [${sameButCase}] (section names are case-sensitive): set ${sameButCase}.${target.key}`);
  }
  return target;
}

function checkKey(key: string, address: string): void {
  const bad = (reason: string) => new UsageError(`cannot set "${printable(address)}": ${reason}`);
  if (/[\r\n]/.test(key)) throw bad('a key cannot hold a line break');
  if (key.includes(':')) throw bad('a key cannot hold ":", which ini reads as the end of the key');
  if (pythonStrip(key) !== key) throw bad('a key cannot start or end with a space');
  if (isCommentStart(key.charCodeAt(0)) || key.startsWith('[')) throw bad(`a key cannot start with "${key[0]}"`);
}

/**
 * configparser strips each line of a value and drops trailing blank lines; a continuation line
 * starting with `#` or `;` is a comment. Such values could not be read back, so they are refused.
 */
function checkValue(value: string, address: string): void {
  const bad = (reason: string) => new UsageError(`cannot set "${printable(address)}": ${reason}`);
  if (value.includes('\r')) throw bad('a value cannot hold a carriage return (ini files end lines there)');
  if (value.includes('\0')) throw bad('a value cannot hold a NUL character (no environment variable can)');
  const lines = value.split('\n');
  if (lines.some((line) => pythonStrip(line) !== line)) {
    throw bad('configparser strips spaces at the start and end of a value and of each of its lines, so they would be lost');
  }
  if (lines.length > 1 && lines[lines.length - 1] === '') throw bad('configparser drops a value\'s trailing newlines');
  if (lines.slice(1).some((line) => isCommentStart(line.charCodeAt(0)))) {
    throw bad('a line of a multi-line value cannot start with "#" or ";" (configparser would read a comment)');
  }
}

function toLines(doc: IniDocument): Line[] {
  return doc.lines.map((text, index) => ({ text, eol: doc.eols[index] }));
}

function joinLines(lines: Line[]): string {
  return lines.map((line) => line.text + line.eol).join('');
}

/** The terminator new lines get: the file's own (CRLF files stay CRLF). */
function newlineOf(doc: IniDocument): string {
  return doc.eols.find((eol) => eol !== '') ?? '\n';
}

function edit(doc: IniDocument, sectionName: string, key: string, value: string): { lines: Line[]; previous?: string } {
  const lines = toLines(doc);
  const eol = newlineOf(doc);
  const section = findSection(doc, sectionName);
  const existing = section?.entries.get(key.toLowerCase());
  const [first, ...more] = value.split('\n');
  const continuation = (indent: string): Line[] => more.map((text) => ({ text: text === '' ? '' : `${indent}${CONTINUATION_INDENT}${text}`, eol }));
  if (existing) {
    const raw = lines[existing.line - 1].text;
    const prefix = keyLinePrefix(raw);
    const kept = lines.slice(existing.line, existing.endLine).filter((_, i) => doc.kinds[existing.line + i] === 'comment');
    const keyLine = { text: first === '' ? prefix.trimEnd() : prefix + first, eol: lines[existing.line - 1].eol || (more.length > 0 ? eol : '') };
    lines.splice(existing.line - 1, existing.endLine - existing.line + 1, keyLine, ...continuation(indentOf(raw)), ...kept);
    return { lines, previous: existing.value };
  }
  const style = keyStyle(doc, section);
  const keyLine = (indent: string): Line => ({ text: `${indent}${key}${first === '' ? style.trimEnd() : style + first}`, eol });
  if (section) {
    const { after, indent } = insertionPoint(doc, section);
    if (lines[after - 1].eol === '') lines[after - 1].eol = eol;
    lines.splice(after, 0, keyLine(indent), ...continuation(indent));
    return { lines };
  }
  if (lines.length > 0) {
    lines[lines.length - 1].eol ||= eol;
    if (lines[lines.length - 1].text.trim() !== '') lines.push({ text: '', eol });
  }
  lines.push({ text: `[${sectionName}]`, eol }, keyLine(''), ...continuation(''));
  return { lines };
}

/** The key line up to where its value starts: `  Key = ` of `  Key = old`. */
function keyLinePrefix(raw: string): string {
  let at = delimiterIndex(raw) + 1;
  while (at < raw.length && pythonStrip(raw[at]) === '') at++;
  return raw.slice(0, at);
}

function indentOf(raw: string): string {
  return raw.slice(0, raw.length - raw.trimStart().length);
}

/** How this file writes `key = value`: the delimiter and spaces of the section's (else the file's) last key. */
function keyStyle(doc: IniDocument, section: IniSection | undefined): string {
  const entries = [...(section?.entries.values() ?? [])];
  const reference = entries.at(-1) ?? lastEntry(doc);
  if (!reference) return DEFAULT_DELIMITER;
  const raw = doc.lines[reference.line - 1];
  const prefix = keyLinePrefix(raw);
  return prefix.slice(indentOf(raw).length + reference.key.length);
}

function lastEntry(doc: IniDocument): IniEntry | undefined {
  let last: IniEntry | undefined;
  for (const name of sectionNames(doc)) {
    for (const entry of findSection(doc, name)!.entries.values()) if (!last || entry.line > last.line) last = entry;
  }
  return last;
}

/**
 * After the section's last key (and its continuation lines), with that key's indent, so the
 * lines below keep their meaning; in a section without keys, after its header and the comment
 * lines right under it, which usually describe it. Trailing blank lines and comments stay below:
 * they often introduce the next section. Only `[DEFAULT]` has several blocks: the last one is used.
 */
function insertionPoint(doc: IniDocument, section: IniSection): { after: number; indent: string } {
  const header = section.headers[section.headers.length - 1];
  const entries = [...section.entries.values()].filter((e) => e.line > header);
  if (entries.length > 0) {
    const last = entries[entries.length - 1];
    return { after: last.endLine, indent: indentOf(doc.lines[last.line - 1]) };
  }
  let after = header;
  while (after < doc.lines.length && doc.kinds[after] === 'comment') after++;
  return { after, indent: indentOf(doc.lines[header - 1]) };
}

/** The edited file must read as the old one plus exactly this change, or nothing is written. */
function assertOnlyChange(before: IniDocument, after: IniDocument, section: string, key: string, value: string, address: string): void {
  const expected = snapshot(before);
  expected.set(JSON.stringify([section, key.toLowerCase()]), value);
  const actual = snapshot(after);
  const same = expected.size === actual.size && [...expected].every(([k, v]) => actual.get(k) === v);
  if (!same || !sectionNames(after).includes(section)) {
    throw new UsageError(`cannot set "${printable(address)}" in place: the lines around it would be read differently; edit the file by hand`);
  }
}

function snapshot(doc: IniDocument): Map<string, string> {
  const values = new Map<string, string>();
  for (const name of sectionNames(doc)) {
    for (const entry of findSection(doc, name)!.entries.values()) values.set(JSON.stringify([name, entry.name]), entry.value);
  }
  return values;
}

