// `promises` of node:fs, not node:fs/promises: loaded on first use, not at every start-up (docs/decisions.md).
import { promises as fs } from 'node:fs';
import { ConfigError, UsageError } from './errors.js';
import { decodeUtf8 } from './fs.js';
import {
  CR,
  delimiterIndex,
  firstNonSpace,
  isCommentStart,
  lastNonSpace,
  LF,
  lineEndOf,
  OPEN_BRACKET,
  pythonRstrip,
  sectionHeader,
} from './ini-syntax.js';

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
  readonly lines: string[];
  /** Each line's terminator (`\n`, `\r\n`, `\r`), `''` for a last line without one. */
  readonly eols: string[];
  kinds: LineKind[];
  /** `[DEFAULT]`: configparser lends its keys to every section that does not set them. */
  defaults: IniSection | undefined;
  /** Every other section, in file order; names are case-sensitive, as in configparser. */
  sections: Map<string, IniSection>;
}

export const DEFAULT_SECTION = 'DEFAULT';
const UTF8_BOM = 0xfeff;
/** Keys are mostly lower-case ASCII already: lower-casing them would only copy them. */
const HAS_UPPER_CASE = /[^a-z0-9_.\-[\] ]/;
const STRAY_LINE = 'expected "key = value" or "[section]"';
const UNCLOSED_HEADER = 'a [section] header needs its closing "]"';
/** A line that looks like a header but is none: on the error path only, to say why. */
const isUnclosedHeader = (text: string, first: number) => text.charCodeAt(first) === OPEN_BRACKET;

/**
 * Parses ini text; `file` names it in errors (`file:line: …`). Lines are read in place by their
 * offsets (no string per line: a 100k-key file stays cheap); `lines` and `eols` are built only
 * when asked for, by `config set`.
 */
export function parseIni(text: string, file: string): IniDocument {
  if (text.charCodeAt(0) === UTF8_BOM) {
    throw new ConfigError(
      file,
      1,
      "the file starts with a byte order mark (BOM), which Python's configparser rejects: save it as UTF-8 without BOM",
    );
  }
  const hasCarriageReturn = text.includes('\r');
  const starts: number[] = [];
  const ends: number[] = [];
  const kinds: LineKind[] = [];
  const sections = new Map<string, IniSection>();
  let defaults: IniSection | undefined;
  let current: IniSection | undefined;
  let entry: IniEntry | undefined;
  let parts: string[] | undefined;
  const multiline: Array<[IniEntry, string[]]> = [];
  let indentLevel = 0;

  for (let lineStart = 0; lineStart < text.length;) {
    const lineEnd = lineEndOf(text, lineStart, hasCarriageReturn);
    starts.push(lineStart);
    ends.push(lineEnd);
    const lineNumber = starts.length;
    const next = lineEnd + (text.charCodeAt(lineEnd) === CR && text.charCodeAt(lineEnd + 1) === LF ? 2 : 1);
    const first = firstNonSpace(text, lineStart, lineEnd);
    const start = first - lineStart;
    lineStart = next;
    if (first === -1) {
      kinds.push('blank');
      // configparser keeps blank lines inside a value; trailing ones are stripped when joining.
      if (entry) (parts ??= startParts(entry, multiline)).push('');
      continue;
    }
    if (isCommentStart(text.charCodeAt(first))) {
      kinds.push('comment');
      continue;
    }
    const last = lastNonSpace(text, first, lineEnd) + 1;
    if (entry && start > indentLevel) {
      kinds.push('continuation');
      (parts ??= startParts(entry, multiline)).push(text.slice(first, last));
      entry.endLine = lineNumber;
      continue;
    }
    indentLevel = start;
    const header = text.charCodeAt(first) === OPEN_BRACKET ? sectionHeader(text.slice(first, last)) : undefined;
    if (header !== undefined) {
      kinds.push('section');
      entry = undefined;
      parts = undefined;
      if (header === DEFAULT_SECTION) {
        defaults ??= { name: header, headers: [], entries: new Map() };
        defaults.headers.push(lineNumber);
        current = defaults;
      } else {
        const existing = sections.get(header);
        if (existing)
          throw new ConfigError(
            file,
            lineNumber,
            `duplicate section [${header}] (first at line ${existing.headers[0]})`,
          );
        current = { name: header, headers: [lineNumber], entries: new Map() };
        sections.set(header, current);
      }
      continue;
    }
    if (!current)
      throw new ConfigError(
        file,
        lineNumber,
        `${STRAY_LINE}: ${isUnclosedHeader(text, first) ? UNCLOSED_HEADER : 'a key comes before any [section] header'}`,
      );
    const delimiter = delimiterIndex(text, first, last);
    if (delimiter === -1)
      throw new ConfigError(
        file,
        lineNumber,
        isUnclosedHeader(text, first) ? `${STRAY_LINE}: ${UNCLOSED_HEADER}` : STRAY_LINE,
      );
    const keyEnd = lastNonSpace(text, first, delimiter) + 1;
    if (keyEnd === 0) throw new ConfigError(file, lineNumber, `${STRAY_LINE}: the key is empty`);
    const key = text.slice(first, keyEnd);
    const name = HAS_UPPER_CASE.test(key) ? key.toLowerCase() : key;
    const duplicate = current.entries.get(name);
    if (duplicate) {
      throw new ConfigError(
        file,
        lineNumber,
        `duplicate key "${name}" in [${current.name}] (first at line ${duplicate.line})`,
      );
    }
    kinds.push('key');
    const valueStart = firstNonSpace(text, delimiter + 1, last);
    const value = valueStart === -1 ? '' : text.slice(valueStart, last);
    entry = { key, name, value, section: current.name, line: lineNumber, endLine: lineNumber };
    parts = undefined;
    current.entries.set(name, entry);
  }
  for (const [joined, pieces] of multiline) joined.value = pythonRstrip(pieces.join('\n'));
  return withLines({ file, kinds, defaults, sections }, text, starts, ends);
}

/** Adds `lines` and `eols`, computed on first use from the line offsets. */
function withLines(
  doc: Omit<IniDocument, 'lines' | 'eols'>,
  text: string,
  starts: number[],
  ends: number[],
): IniDocument {
  let lines: string[] | undefined;
  let eols: string[] | undefined;
  return Object.defineProperties(doc as IniDocument, {
    lines: { get: () => (lines ??= starts.map((start, index) => text.slice(start, ends[index]))), enumerable: true },
    eols: {
      get: () => (eols ??= ends.map((end, index) => text.slice(end, starts[index + 1] ?? text.length))),
      enumerable: true,
    },
  });
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
    bytes = await fs.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${shown}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}`);
  }
  return parseIni(decodeUtf8(bytes, shown), shown);
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

/** The sections in file order, `DEFAULT` (when present) first. */
export function sections(doc: IniDocument): IniSection[] {
  return [...(doc.defaults ? [doc.defaults] : []), ...doc.sections.values()];
}
