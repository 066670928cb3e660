import { ConfigError } from './errors.js';

/** JSON.parse with a `file:line: …` error instead of a position deep in a SyntaxError. */
export function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const line = position ? text.slice(0, Number(position[1])).split('\n').length : undefined;
    const reason = message.replace(/ in JSON at position \d+.*$/, '');
    throw new ConfigError(file, line, `invalid JSON: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
