import { UsageError } from './errors.js';
import type { Variable } from './env.js';

/** `bootstrap-plugin env`'s output: variables as a profile a shell (or a dotenv reader) loads byte for byte. */

export type ProfileFormat = 'sh' | 'fish' | 'dotenv' | 'json';
export const PROFILE_FORMATS: readonly ProfileFormat[] = ['sh', 'fish', 'dotenv', 'json'];
const PROFILE_HEADER = '# written by bootstrap-plugin env';

/** `file:line`, for messages. */
function originOf(variable: Variable): string {
  return variable.line === undefined ? variable.file : `${variable.file}:${variable.line}`;
}

export interface Profile {
  text: string;
  warnings: string[];
}

/** The profile text in a format; values come out byte for byte (see each writer). */
export function renderProfile(variables: Variable[], format: ProfileFormat): Profile {
  if (format === 'json') {
    return { text: `${JSON.stringify(Object.fromEntries(variables.map((v) => [v.name, v.value])), null, 2)}\n`, warnings: [] };
  }
  const warnings: string[] = [];
  // Pieces joined once: no intermediate string per line (a profile can have 100k lines).
  const pieces = [PROFILE_HEADER, '\n'];
  for (const variable of variables) {
    const { name, value } = variable;
    if (format === 'sh') pieces.push('export ', name, '=', quoteSh(value), '\n');
    else if (format === 'fish') pieces.push('set -gx ', name, ' ', quoteFish(value), '\n');
    else {
      if (value.endsWith('\\')) {
        throw new UsageError(`${originOf(variable)}: the value of ${name} ends with a backslash, which dotenv readers take for an escaped quote (python-dotenv then misreads the lines after it too): use --format sh or json`);
      }
      const quoted = quoteDotenv(value);
      if (quoted.misreadBy.length > 0) {
        warnings.push(`${name}: no dotenv quoting keeps this value exact for every reader; ${quoted.misreadBy.join(' and ')} will read it differently (use --format sh or json)`);
      }
      pieces.push(name, '=', quoted.text, '\n');
    }
  }
  return { text: pieces.join(''), warnings };
}

/** POSIX single quotes hold every byte but NUL literally; a quote is closed, escaped, reopened. */
function quoteSh(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** In fish's single quotes only `\\` and `\'` are escapes. */
function quoteFish(value: string): string {
  return `'${value.replace(/[\\']/g, '\\$&')}'`;
}

/** python-dotenv's `${NAME}` / `${NAME:-default}` expansion, which it applies whatever the quotes. */
const PYTHON_DOTENV_EXPANSION = /\$\{[^}:]*(?::-[^}]*)?\}/;

/**
 * Single quotes when the value holds no `'`, `\` or CR: Node's `--env-file`, motdotla/dotenv and
 * python-dotenv all read those literally (newlines included). Otherwise double quotes with
 * `\\ \" \n \r` escapes, which python-dotenv (and docker compose) decode; Node's reader and
 * motdotla/dotenv decode only `\n` there. python-dotenv also expands `${NAME}` in any quotes
 * (unless `interpolate=False`), and nothing escapes it: such values are reported too.
 */
export function quoteDotenv(value: string): { text: string; misreadBy: string[] } {
  const single = !/['\\\r]/.test(value);
  const misreadBy = [
    ...(!single && /[\\"\r]/.test(value) ? ["Node's --env-file and motdotla/dotenv"] : []),
    ...(PYTHON_DOTENV_EXPANSION.test(value) ? ['python-dotenv (it expands ${…})'] : []),
  ];
  if (single) return { text: `'${value}'`, misreadBy };
  const escaped = value.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  return { text: `"${escaped}"`, misreadBy };
}
