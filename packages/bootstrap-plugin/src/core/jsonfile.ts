import { ConfigError } from './errors.js';

/** JSON.parse with a `file:line: …` error: Node 20's messages do not always give a position. */
export function parseJson(file: string, text: string): unknown {
  // JSON.parse would say "Unexpected token" at a character no editor shows.
  if (text.startsWith('\uFEFF'))
    throw new ConfigError(
      file,
      1,
      'the file starts with a byte order mark (BOM), which JSON does not allow: save it as UTF-8 without BOM',
    );
  try {
    return JSON.parse(text);
  } catch (error) {
    const offset = findSyntaxErrorOffset(text);
    const line = text.slice(0, offset).split('\n').length;
    const reason = (error as Error).message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/^(Unexpected token '.+?'), .* is not valid JSON$/s, '$1');
    throw new ConfigError(file, line, `invalid JSON: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Offset of the first character a JSON reader would reject (only called on invalid text). */
function findSyntaxErrorOffset(text: string): number {
  let at = 0;
  const space = () => {
    while (/\s/.test(text[at] ?? '')) at++;
  };
  const expect = (pattern: RegExp) => {
    const match = pattern.exec(text.slice(at));
    if (!match || match.index !== 0) throw at;
    at += match[0].length;
  };
  const value = (): void => {
    space();
    const c = text[at];
    if (c === '{') return container('}', () => (string(), space(), expect(/:/), value()));
    if (c === '[') return container(']', value);
    if (c === '"') return string();
    expect(/-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null/);
  };
  // JSON strings may not hold control characters: the pattern names them on purpose.
  // oxlint-disable-next-line no-control-regex
  const string = () => expect(/"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/);
  const container = (close: string, item: () => void) => {
    at++;
    space();
    if (text[at] === close) return void at++;
    for (;;) {
      space();
      item();
      space();
      if (text[at] === ',') at++;
      else if (text[at] === close) return void at++;
      else throw at;
    }
  };
  try {
    value();
    space();
    return at;
  } catch (offset) {
    return offset as number;
  }
}
