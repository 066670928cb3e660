import { findSection, sections, type IniDocument, type IniEntry, type IniSection } from './ini.js';
import { delimiterIndex, pythonStrip } from './ini-syntax.js';

/**
 * Editing an ini file in place: a key's value rewritten after its delimiter, a missing key added
 * in the section's style, a missing section at the end; every other byte kept.
 */

const CONTINUATION_INDENT = '    ';
const DEFAULT_DELIMITER = ' = ';

/** A line being edited: its text and terminator. */
interface Line {
  text: string;
  eol: string;
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

function editLines(
  doc: IniDocument,
  sectionName: string,
  key: string,
  value: string,
): { lines: Line[]; previous?: string } {
  const lines = toLines(doc);
  const eol = newlineOf(doc);
  const section = findSection(doc, sectionName);
  const existing = section?.entries.get(key.toLowerCase());
  const [first, ...more] = value.split('\n');
  const continuation = (indent: string): Line[] =>
    more.map((text) => ({ text: text === '' ? '' : `${indent}${CONTINUATION_INDENT}${text}`, eol }));
  if (existing) {
    const raw = lines[existing.line - 1].text;
    const prefix = keyLinePrefix(raw);
    const kept = lines
      .slice(existing.line, existing.endLine)
      .filter((_, i) => doc.kinds[existing.line + i] === 'comment');
    const keyLine = {
      text: first === '' ? prefix.trimEnd() : prefix + first,
      eol: lines[existing.line - 1].eol || (more.length > 0 ? eol : ''),
    };
    lines.splice(
      existing.line - 1,
      existing.endLine - existing.line + 1,
      keyLine,
      ...continuation(indentOf(raw)),
      ...kept,
    );
    return { lines, previous: existing.value };
  }
  const style = keyStyle(doc, section);
  const keyLine = (indent: string): Line => ({
    text: `${indent}${key}${first === '' ? style.trimEnd() : style + first}`,
    eol,
  });
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
  for (const section of sections(doc)) {
    for (const entry of section.entries.values()) if (!last || entry.line > last.line) last = entry;
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

/** The file's text with `section.key` set to `value`, and the value it replaced, if any. */
export function editValue(
  doc: IniDocument,
  section: string,
  key: string,
  value: string,
): { text: string; previous?: string } {
  const { lines, previous } = editLines(doc, section, key, value);
  return { text: joinLines(lines), previous };
}

/** The document's text, byte for byte. */
export function iniText(doc: IniDocument): string {
  return joinLines(toLines(doc));
}
