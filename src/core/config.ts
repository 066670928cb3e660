import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { STATE_FILE } from './create.js';
import { CONFIG_FILE, readPluginLabel, toSource, type Source } from './env.js';
import { ConfigError, UsageError, WorkError } from './errors.js';
import { checkAnswer, isApplicable, type Answers } from './fields.js';
import {
  findSection,
  isCommentStart,
  parseIni,
  pythonStrip,
  readIniFile,
  sectionHeader,
  sectionItems,
  sectionNames,
  delimiterIndex,
  type IniDocument,
  type IniEntry,
  type IniSection,
} from './ini.js';
import { isPlainObject, parseJson } from './jsonfile.js';
import { printable } from './names.js';
import { renderContext, renderTemplate } from './render.js';
import { didYouMean } from './suggest.js';
import { findTemplate, type TemplateLookup } from './templates.js';

/**
 * `bootstrap-plugin config get|set|check`: read a value, edit values in place (every other
 * byte of the file kept), and check a plugin's config.ini against the template it came from.
 */

const CONTINUATION_INDENT = '    ';
const DEFAULT_DELIMITER = ' = ';
/** Sections whose keys are the user's own. */
const OPEN_SECTION = 'custom';
const DEPRECATED_KEYS: Record<string, string> = { gunicorn_arg: 'main_arg' };
/** `[app_xxx]` in a comment names a family of sections: `[app_main]`, `[app_api]`… */
const FAMILY_MENTION = /\[([A-Za-z0-9_.-]*_)xxx\]/gi;
/** `# [extra_daemon_example]` alone on a comment line: a section to uncomment. */
const COMMENTED_HEADER = /^[#;][#; \t]*\[([^\]]+)\][ \t]*$/;
/** `# key = value` documents an optional key (`=>` in prose is not one). */
const COMMENTED_KEY = /^[#;][#; \t]*([a-z_][a-z0-9_]*)[ \t]*=(?!>)/;
const VARIANT_SUFFIX = /\[[^\]]*\]$/;
const PLACEHOLDER = /^\{\{[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*\}\}$/;

/** PATH is a plugin directory (its config.ini) or an ini file. */
async function toConfigFile(path: string, cwd: string): Promise<Omit<Source, 'isDirectory'>> {
  const source = await toSource(path, cwd);
  if (!source.isDirectory) return source;
  return { absolute: join(source.absolute, CONFIG_FILE), shown: join(path, CONFIG_FILE) };
}

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
  await writeFileAtomic(file.absolute, joinLines(toLines(doc)));
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

/**
 * Replaces a file atomically: a temporary file in the same directory, flushed, then renamed over
 * it (a symbolic link's target is replaced, the link kept); an existing file keeps its mode.
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const target = await realpath(path).catch(() => path);
  const existing = await stat(target).catch(() => undefined);
  const temp = join(dirname(target), `.${basename(target)}.bootstrap-plugin-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(temp, 'wx', 0o666);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (existing) await chmod(temp, existing.mode & 0o7777);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    const { code, message } = error as NodeJS.ErrnoException;
    throw new WorkError(`cannot write ${path}: ${code ?? message}; the file is unchanged`);
  }
}

export interface CheckOptions extends TemplateLookup {
  path: string;
  cwd: string;
  /** The template to check against, when the plugin's `.bootstrap-plugin.json` does not say (or to override it). */
  template?: string;
  /** The module to render the template for, when `.bootstrap-plugin.json` does not say. */
  module: string;
}

export interface Finding {
  line: number;
  message: string;
}

export interface CheckResult {
  file: string;
  template: string;
  /** Sorted by line; empty when the file is clean. */
  findings: Finding[];
}

interface State {
  template?: string;
  module?: string;
  answers: Record<string, unknown>;
}

/** What a key of the template's config.ini accepts, told by its default value there. */
type ValueType = 'any' | 'bit' | 'integer' | 'number' | 'boolean';
const BOOLEAN_WORDS = ['1', 'yes', 'true', 'on', '0', 'no', 'false', 'off'];
const EXPECTED: Record<Exclude<ValueType, 'any'>, string> = {
  bit: '0 or 1',
  integer: 'a whole number',
  number: 'a number',
  boolean: `one of ${BOOLEAN_WORDS.join(', ')}`,
};

interface Schema {
  doc: IniDocument;
  /** Lower-case keys documented only in comments (`# debug = 1`), by section. */
  optional: Map<string, Set<string>>;
  /** Commented example sections (`# [extra_daemon_example]`): uncommented, they accept any key. */
  examples: Set<string>;
  /** Name prefixes of section families mentioned as `[prefix_xxx]`. */
  families: string[];
}

/**
 * Checks a plugin's config.ini against the config.ini its template renders with the plugin's
 * stored answers: unknown sections and keys (with a did-you-mean), values of the wrong type
 * (inferred from the template's default), deprecated keys. `[custom]`, private `_` names and
 * sections uncommented from a commented example accept anything.
 */
export async function checkConfig(options: CheckOptions): Promise<CheckResult> {
  const file = await toConfigFile(options.path, options.cwd);
  const pluginDir = dirname(file.absolute);
  const state = await readState(pluginDir);
  const templateName = options.template ?? state.template;
  if (!templateName) {
    throw new UsageError(`${join(dirname(file.shown), STATE_FILE)} does not name the plugin's template: pass --template=NAME or PATH`);
  }
  const template = findTemplate(templateName, options, options.cwd);
  const answers: Answers = {};
  for (const field of template.fields) {
    if (!isApplicable(field, answers)) continue;
    const stored = field.name in state.answers ? checkAnswer(field, state.answers[field.name]) : undefined;
    answers[field.name] = stored?.ok ? stored.value : field.default ?? '';
  }
  const rendered = await renderTemplate(template, renderContext((await readPluginLabel(pluginDir))?.name ?? basename(pluginDir), state.module ?? options.module, answers));
  const schemaFile = rendered.find((f) => f.path === CONFIG_FILE);
  if (!schemaFile) throw new UsageError(`template ${template.name} has no ${CONFIG_FILE} to check against`);
  const schema = toSchema(parseIni(schemaFile.content.toString('utf8'), `${join(template.dir, 'files', CONFIG_FILE)} (rendered)`));
  const doc = await readIniFile(file.absolute, file.shown);
  const findings = sectionNames(doc).flatMap((name) => checkSection(findSection(doc, name)!, schema));
  return { file: file.shown, template: template.name, findings: findings.sort((a, b) => a.line - b.line) };
}

async function readState(pluginDir: string): Promise<State> {
  const file = join(pluginDir, STATE_FILE);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return { answers: {} };
  const data = parseJson(file, text);
  if (!isPlainObject(data)) throw new ConfigError(file, undefined, 'expected a JSON object {template, module, answers}');
  const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    template: optionalString(data.template),
    module: optionalString(data.module),
    answers: isPlainObject(data.answers) ? data.answers : {},
  };
}

function toSchema(doc: IniDocument): Schema {
  const optional = new Map<string, Set<string>>();
  const examples = new Set<string>();
  const families = new Set<string>();
  let section: string | undefined;
  doc.lines.forEach((raw, index) => {
    const kind = doc.kinds[index];
    const text = raw.trim();
    if (kind === 'section') section = sectionHeader(text);
    if (kind !== 'comment') return;
    for (const mention of text.matchAll(FAMILY_MENTION)) families.add(mention[1]);
    const header = COMMENTED_HEADER.exec(text)?.[1];
    if (header !== undefined) {
      examples.add(header);
      // Keys commented under an example belong to it, not to the real section above.
      section = undefined;
      return;
    }
    const key = COMMENTED_KEY.exec(text)?.[1];
    if (key !== undefined && section !== undefined) {
      if (!optional.has(section)) optional.set(section, new Set());
      optional.get(section)!.add(key);
    }
  });
  return { doc, optional, examples, families: [...families] };
}

/**
 * The template section a plugin section is checked against: its namesake, else the template's
 * section of the same family (`[app_api]` → `[app_main]` when the template mentions `[app_xxx]`).
 * `open` when any key is accepted: `[custom]`, private `_` sections, uncommented examples and
 * families the template has no section of.
 */
function modelOf(name: string, schema: Schema): { section?: IniSection; open: boolean } | undefined {
  if (name === OPEN_SECTION || name.startsWith('_') || schema.examples.has(name)) return { open: true };
  const namesake = findSection(schema.doc, name);
  if (namesake) return { section: namesake, open: false };
  const family = schema.families.find((prefix) => name.startsWith(prefix) && name.length > prefix.length);
  if (family === undefined) return undefined;
  const member = [...schema.doc.sections.values()].find((s) => s.name.startsWith(family));
  return member ? { section: member, open: false } : { open: true };
}

function checkSection(section: IniSection, schema: Schema): Finding[] {
  const model = modelOf(section.name, schema);
  if (!model) {
    const known = [...sectionNames(schema.doc), ...schema.examples, ...schema.families.map((prefix) => `${prefix}xxx`)];
    return [{ line: section.headers[0], message: `unknown section [${section.name}]${didYouMean(section.name, known)}` }];
  }
  if (model.open || !model.section) return [];
  const keys = sectionItems(schema.doc, model.section);
  const optional = schema.optional.get(model.section.name) ?? new Set<string>();
  const findings: Finding[] = [];
  for (const entry of section.entries.values()) {
    const key = entry.name.replace(VARIANT_SUFFIX, '');
    if (key.startsWith('_')) continue;
    const documented = keys.get(key);
    const replacement = DEPRECATED_KEYS[key];
    if (documented) {
      const problem = typeProblem(entry.value, documented, schema.doc);
      if (problem) findings.push({ line: entry.line, message: `[${section.name}] ${entry.key} = "${printable(entry.value)}": ${problem}` });
    } else if (replacement) {
      findings.push({ line: entry.line, message: `[${section.name}] ${entry.key} is deprecated: rename it to ${replacement}` });
    } else if (!optional.has(key)) {
      const candidates = [...keys.keys(), ...optional];
      findings.push({ line: entry.line, message: `unknown key "${entry.key}" in [${section.name}]${didYouMean(key, candidates)}` });
    }
  }
  return findings;
}

/**
 * The type a template's default value implies: a whole number → a whole number, except 0 or 1
 * whose comment above mentions both 0 and 1 (`1 = on, 0 = off`) → 0 or 1; a decimal → a number;
 * a configparser boolean word → one of them; anything else (text, `null`, empty, a
 * `{{VARIABLE}}`) → anything. A `{{VARIABLE}}` placeholder is accepted for every type.
 */
export function valueType(defaultValue: string, comment: string): ValueType {
  if ((defaultValue === '0' || defaultValue === '1') && /\b0\b/.test(comment) && /\b1\b/.test(comment)) return 'bit';
  if (/^-?\d+$/.test(defaultValue)) return 'integer';
  if (/^-?\d+\.\d+$/.test(defaultValue)) return 'number';
  if (BOOLEAN_WORDS.includes(defaultValue.toLowerCase())) return 'boolean';
  return 'any';
}

/** The comment lines right above a key, where templates document it. */
function commentAbove(doc: IniDocument, entry: IniEntry): string {
  let first = entry.line - 1;
  while (first > 0 && doc.kinds[first - 1] === 'comment') first--;
  return doc.lines.slice(first, entry.line - 1).join('\n');
}

function typeProblem(value: string, documented: IniEntry, doc: IniDocument): string | undefined {
  const type = valueType(documented.value, commentAbove(doc, documented));
  if (type === 'any' || PLACEHOLDER.test(value)) return undefined;
  const ok =
    type === 'bit' ? value === '0' || value === '1'
    : type === 'integer' ? /^-?\d+$/.test(value)
    : type === 'number' ? /^-?\d+(\.\d+)?$/.test(value)
    : BOOLEAN_WORDS.includes(value.toLowerCase());
  return ok ? undefined : `expected ${EXPECTED[type]} or a {{VARIABLE}} placeholder (the template's default is ${documented.value})`;
}
