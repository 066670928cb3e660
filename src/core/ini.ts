import { readFile } from 'node:fs/promises';
import { ConfigError, UsageError } from './errors.js';

/**
 * An ini reader that reads exactly what Python's `configparser.ConfigParser(interpolation=None)`
 * reads with its default options (MetWork's `config.ini` are read by it): `=` and `:` delimiters,
 * full-line `#`/`;` comments (indented ones too), no inline comments, indented continuation
 * lines, `[DEFAULT]` lent to every section, strict duplicate checks. Every line is kept, so
 * `config set` can edit a file in place.
 */

/** What a line is to configparser. */
export type LineKind = 'blank' | 'comment' | 'section' | 'key' | 'continuation';

export interface IniEntry {
  /** The key as written; configparser compares keys lower-cased. */
  key: string;
  /** The key lower-cased, as configparser's `optionxform` gives it. */
  name: string;
  value: string;
  section: string;
  /** 1-based line of `key = value`. */
  line: number;
  /** Last line holding part of the value (the key line unless continued). */
  endLine: number;
}

export interface IniSection {
  name: string;
  /** 1-based lines of its headers: several only for `[DEFAULT]`, which configparser lets repeat. */
  headers: number[];
  /** Entries by lower-cased key, in file order. */
  entries: Map<string, IniEntry>;
}

export interface IniDocument {
  file: string;
  /** The lines, without their terminators. */
  lines: string[];
  /** Each line's terminator (`\n`, `\r\n`, `\r`), `''` for a last line without one. */
  eols: string[];
  kinds: LineKind[];
  /** `[DEFAULT]`: configparser lends its keys to every section that does not set them. */
  defaults: IniSection | undefined;
  /** Every other section, in file order; names are case-sensitive, as in configparser. */
  sections: Map<string, IniSection>;
}

export const DEFAULT_SECTION = 'DEFAULT';
const UTF8_BOM = 0xfeff;
const HASH = 0x23;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const COLON = 0x3a;
/** Python's universal newlines: the only line terminators `open()` knows. */
const LINE_BREAK = /\r\n|\r|\n/g;
export const STRAY_LINE = 'expected "key = value" or "[section]"';

/** Python's `str.isspace()` (also what its `re` calls `\s`), which differs from JavaScript's `trim`. */
export function isPythonSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code >= 0x1c && code <= 0x1f);
  if (code < 0x85) return false;
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

function firstNonSpace(text: string, from = 0): number {
  for (let i = from; i < text.length; i++) if (!isPythonSpace(text.charCodeAt(i))) return i;
  return -1;
}

function lastNonSpace(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) if (!isPythonSpace(text.charCodeAt(i))) return i;
  return -1;
}

/** Python's `str.strip()`. */
export function pythonStrip(text: string): string {
  const start = firstNonSpace(text);
  return start === -1 ? '' : text.slice(start, lastNonSpace(text) + 1);
}

function pythonRstrip(text: string): string {
  return text.slice(0, lastNonSpace(text) + 1);
}

/** `[name]` as configparser's greedy `\[(?P<header>.+)\]` reads it (text after the last `]` is ignored). */
export function sectionHeader(stripped: string): string | undefined {
  if (stripped.charCodeAt(0) !== 0x5b) return undefined;
  const close = stripped.lastIndexOf(']');
  return close >= 2 ? stripped.slice(1, close) : undefined;
}

/** Index of the first `=` or `:`: configparser's key is everything before it. */
export function delimiterIndex(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === EQUALS || code === COLON) return i;
  }
  return -1;
}

/** Whether a non-blank line is a full-line comment (configparser strips it first, so indented ones count). */
export function isCommentStart(code: number): boolean {
  return code === HASH || code === SEMICOLON;
}

/** Splits text into lines the way Python's text mode does, keeping each terminator. */
function splitLines(text: string): { lines: string[]; eols: string[] } {
  const lines: string[] = [];
  const eols: string[] = [];
  let start = 0;
  LINE_BREAK.lastIndex = 0;
  for (let match = LINE_BREAK.exec(text); match; match = LINE_BREAK.exec(text)) {
    lines.push(text.slice(start, match.index));
    eols.push(match[0]);
    start = match.index + match[0].length;
  }
  if (start < text.length) {
    lines.push(text.slice(start));
    eols.push('');
  }
  return { lines, eols };
}

/** Parses ini text; `file` names it in errors (`file:line: …`). */
export function parseIni(text: string, file: string): IniDocument {
  if (text.charCodeAt(0) === UTF8_BOM) {
    throw new ConfigError(file, 1, "the file starts with a byte order mark (BOM), which Python's configparser rejects: save it as UTF-8 without BOM");
  }
  const { lines, eols } = splitLines(text);
  const kinds: LineKind[] = new Array(lines.length);
  const sections = new Map<string, IniSection>();
  let defaults: IniSection | undefined;
  let current: IniSection | undefined;
  let entry: IniEntry | undefined;
  let parts: string[] | undefined;
  const multiline: Array<[IniEntry, string[]]> = [];
  let indentLevel = 0;

  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index];
    const lineNumber = index + 1;
    const start = firstNonSpace(raw);
    if (start === -1) {
      kinds[index] = 'blank';
      // configparser keeps blank lines inside a value; trailing ones are stripped when joining.
      if (entry) (parts ??= startParts(entry, multiline)).push('');
      continue;
    }
    if (isCommentStart(raw.charCodeAt(start))) {
      kinds[index] = 'comment';
      continue;
    }
    const stripped = raw.slice(start, lastNonSpace(raw) + 1);
    if (entry && start > indentLevel) {
      kinds[index] = 'continuation';
      (parts ??= startParts(entry, multiline)).push(stripped);
      entry.endLine = lineNumber;
      continue;
    }
    indentLevel = start;
    const header = sectionHeader(stripped);
    if (header !== undefined) {
      kinds[index] = 'section';
      entry = undefined;
      parts = undefined;
      if (header === DEFAULT_SECTION) {
        defaults ??= { name: header, headers: [], entries: new Map() };
        defaults.headers.push(lineNumber);
        current = defaults;
      } else {
        const existing = sections.get(header);
        if (existing) throw new ConfigError(file, lineNumber, `duplicate section [${header}] (first at line ${existing.headers[0]})`);
        current = { name: header, headers: [lineNumber], entries: new Map() };
        sections.set(header, current);
      }
      continue;
    }
    if (!current) throw new ConfigError(file, lineNumber, `${STRAY_LINE}: a key comes before any [section] header`);
    const delimiter = delimiterIndex(stripped);
    if (delimiter === -1) throw new ConfigError(file, lineNumber, STRAY_LINE);
    const key = pythonRstrip(stripped.slice(0, delimiter));
    if (key === '') throw new ConfigError(file, lineNumber, `${STRAY_LINE}: the key is empty`);
    const name = key.toLowerCase();
    const duplicate = current.entries.get(name);
    if (duplicate) {
      throw new ConfigError(file, lineNumber, `duplicate key "${name}" in [${current.name}] (first at line ${duplicate.line})`);
    }
    kinds[index] = 'key';
    const value = pythonStrip(stripped.slice(delimiter + 1));
    entry = { key, name, value, section: current.name, line: lineNumber, endLine: lineNumber };
    parts = undefined;
    current.entries.set(name, entry);
  }
  for (const [joined, pieces] of multiline) joined.value = pythonRstrip(pieces.join('\n'));
  return { file, lines, eols, kinds, defaults, sections };
}

/** Values only become lists when they continue, which keeps the common one-line case cheap. */
function startParts(entry: IniEntry, multiline: Array<[IniEntry, string[]]>): string[] {
  const parts = [entry.value];
  multiline.push([entry, parts]);
  return parts;
}

/**
 * Reads and parses an ini file: UTF-8 (as Python's `open` on a UTF-8 system). Errors say
 * `shown:line`, `shown` being the path as the user wrote it.
 */
export async function readIniFile(path: string, shown = path): Promise<IniDocument> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${shown}: ${code === 'ENOENT' ? 'no such file' : code ?? 'error'}`);
  }
  return parseIni(decodeUtf8(bytes, shown), shown);
}

export function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, bad).toString('latin1').split(/\r\n|\r|\n/).length;
    throw new ConfigError(file, line, 'not valid UTF-8: save the file as UTF-8');
  }
}

/** Offset of the first byte that does not start a valid UTF-8 sequence (only called on invalid input). */
function firstInvalidUtf8(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let at = 0;
  while (at < bytes.length) {
    const lead = bytes[at];
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0 || at + length > bytes.length) return at;
    try {
      decoder.decode(bytes.subarray(at, at + length));
    } catch {
      return at;
    }
    at += length;
  }
  return at;
}

/**
 * A section's keys as configparser's `items(section)` gives them: `[DEFAULT]`'s first, then
 * the section's own, a section key replacing a default of the same name.
 */
export function sectionItems(doc: IniDocument, section: IniSection): Map<string, IniEntry> {
  if (!doc.defaults || section === doc.defaults) return section.entries;
  const items = new Map(doc.defaults.entries);
  for (const [name, entry] of section.entries) items.set(name, entry);
  return items;
}

/** Finds a section by its exact name, `DEFAULT` included. */
export function findSection(doc: IniDocument, name: string): IniSection | undefined {
  return name === DEFAULT_SECTION ? doc.defaults : doc.sections.get(name);
}

/** The section names in file order, `DEFAULT` (when present) first. */
export function sectionNames(doc: IniDocument): string[] {
  return [...(doc.defaults ? [DEFAULT_SECTION] : []), ...doc.sections.keys()];
}
