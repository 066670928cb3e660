/**
 * configparser's lexical rules, byte for byte: Python's whitespace, comments, section headers,
 * delimiters and universal newlines. The reader (`ini.ts`) and the editor (`ini-edit.ts`) share them.
 */

const HASH = 0x23;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const COLON = 0x3a;
export const CR = 0x0d;
export const LF = 0x0a;
export const OPEN_BRACKET = 0x5b;

/** Python's `str.isspace()` (also what its `re` calls `\s`), which differs from JavaScript's `trim`. */
function isPythonSpace(code: number): boolean {
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

/** First index in [from, to) that is not Python whitespace, or -1. */
export function firstNonSpace(text: string, from = 0, to = text.length): number {
  for (let i = from; i < to; i++) if (!isPythonSpace(text.charCodeAt(i))) return i;
  return -1;
}

/** Last index in [from, to) that is not Python whitespace, or -1. */
export function lastNonSpace(text: string, from = 0, to = text.length): number {
  for (let i = to - 1; i >= from; i--) if (!isPythonSpace(text.charCodeAt(i))) return i;
  return -1;
}

/** Python's `str.strip()`. */
export function pythonStrip(text: string): string {
  const start = firstNonSpace(text);
  return start === -1 ? '' : text.slice(start, lastNonSpace(text) + 1);
}

export function pythonRstrip(text: string): string {
  return text.slice(0, lastNonSpace(text) + 1);
}

/** `[name]` as configparser's greedy `\[(?P<header>.+)\]` reads it (text after the last `]` is ignored). */
export function sectionHeader(stripped: string): string | undefined {
  if (stripped.charCodeAt(0) !== OPEN_BRACKET) return undefined;
  const close = stripped.lastIndexOf(']');
  return close >= 2 ? stripped.slice(1, close) : undefined;
}

/** Index of the first `=` or `:` in [from, to): configparser's key is everything before it. */
export function delimiterIndex(text: string, from = 0, to = text.length): number {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code === EQUALS || code === COLON) return i;
  }
  return -1;
}

/** Whether a non-blank line is a full-line comment (configparser strips it first, so indented ones count). */
export function isCommentStart(code: number): boolean {
  return code === HASH || code === SEMICOLON;
}

/**
 * Where the line starting at `from` ends (before its terminator). Python's universal newlines:
 * `\r\n`, `\r` and `\n` are the only terminators `open()` knows.
 */
export function lineEndOf(text: string, from: number, hasCarriageReturn: boolean): number {
  if (!hasCarriageReturn) {
    const end = text.indexOf('\n', from);
    return end === -1 ? text.length : end;
  }
  for (let at = from; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === LF || code === CR) return at;
  }
  return text.length;
}
