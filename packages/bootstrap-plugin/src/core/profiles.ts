import type { Variable } from './env.js';
import { UsageError } from './errors.js';

/**
 * Profiles: collected variables written as sh, fish, dotenv or JSON. Every writer keeps values
 * byte for byte and runs nothing, whoever reads the profile (see each writer).
 */

export type ProfileFormat = 'sh' | 'fish' | 'dotenv' | 'json';
export const PROFILE_FORMATS: readonly ProfileFormat[] = ['sh', 'fish', 'dotenv', 'json'];
const PROFILE_HEADER = '# written by bootstrap-plugin env';
/** The loop variable of the unset preamble, private to this tool. */
const LOOP_VARIABLE = '_bootstrap_plugin_name';
/** Linux's MAX_ARG_STRLEN: no single `NAME=value` string over this reaches a program (execve fails with E2BIG). */
const MAX_VARIABLE_BYTES = 128 * 1024;
/**
 * Half the usual ARG_MAX (2 MiB on Linux, arguments and environment together): past it, the
 * rest of the environment and a command line soon overflow it.
 */
const MAX_ENVIRONMENT_BYTES = 1024 * 1024;
/** Each variable also costs the program a pointer. */
const POINTER_BYTES = 8;
/** See renderProfile: about a thousand lines. */
const PIECES_PER_JOIN = 5000;
/** How many over-long variables a warning names. */
const NAMED_AT_MOST = 3;

export interface Profile {
  text: string;
  warnings: string[];
}

/**
 * The profile text in a format. With `scope` (`MFSERV_CURRENT_PLUGIN_`, a plugin's profile), the
 * sh and fish profiles first unset every variable starting with it, so sourcing the profile of
 * a plugin whose key was removed leaves no stale variable behind.
 */
export function renderProfile(variables: Variable[], format: ProfileFormat, scope?: string): Profile {
  const warnings = sizeWarnings(variables);
  if (format === 'json') {
    return {
      text: `${JSON.stringify(Object.fromEntries(variables.map((v) => [v.name, v.value])), null, 2)}\n`,
      warnings,
    };
  }
  // No string per line (a profile can have 100k lines): pieces, joined a chunk of lines at a
  // time, as V8 joins one array of 500k pieces about three times slower than 100 of 5k.
  const chunks: string[] = [];
  let pieces = [PROFILE_HEADER, '\n'];
  if (scope !== undefined && format !== 'dotenv') pieces.push(format === 'sh' ? unsetSh(scope) : unsetFish(scope));
  // Indexed loops here and in sizeWarnings: before V8 optimises a loop run once, for…of
  // allocates an iterator result per variable.
  for (let index = 0; index < variables.length; index++) {
    const variable = variables[index];
    const { name, value } = variable;
    // The quotes go in the pieces around the value: no quoted copy of each value to allocate.
    if (format === 'sh') pieces.push('export ', name, "='", inShQuotes(value), "'\n");
    else if (format === 'fish') pieces.push('set -gx ', name, " '", inFishQuotes(value), "'\n");
    else {
      const quoted = quoteDotenv(value);
      if ('refused' in quoted) {
        const origin = variable.line === undefined ? variable.file : `${variable.file}:${variable.line}`;
        throw new UsageError(
          `${origin}: the value of ${name} ${quoted.refused}: no dotenv spelling keeps it inert for sh and ` +
            `exact for Node's --env-file and python-dotenv; use --format sh or json`,
        );
      }
      if (quoted.expandedByPython) {
        warnings.push(
          `${name}: python-dotenv expands the \${…} in this value unless read with interpolate=False (sh and ` +
            'Node read it as written)',
        );
      }
      pieces.push(name, '=', quoted.text, '\n');
    }
    if (pieces.length >= PIECES_PER_JOIN) {
      chunks.push(pieces.join(''));
      pieces = [];
    }
  }
  chunks.push(pieces.join(''));
  return { text: chunks.join(''), warnings };
}

/** Names are `[A-Z0-9_]`, so `env | sed` cannot be fooled into unsetting anything outside the scope. */
function unsetSh(scope: string): string {
  return [
    `for ${LOOP_VARIABLE} in $(env | sed -n 's/^\\(${scope}[A-Za-z0-9_]*\\)=.*/\\1/p'); do unset ` +
      `"$${LOOP_VARIABLE}"; done`,
    `unset ${LOOP_VARIABLE}`,
    '',
  ].join('\n');
}

function unsetFish(scope: string): string {
  return [
    `for ${LOOP_VARIABLE} in (set --names | string match -- '${scope}*'); set -e $${LOOP_VARIABLE}; end`,
    `set -e ${LOOP_VARIABLE}`,
    '',
  ].join('\n');
}

/** What a program started with these variables would fail on: one too long, all too many. */
function sizeWarnings(variables: Variable[]): string[] {
  let total = 0;
  const tooLong: string[] = [];
  for (let index = 0; index < variables.length; index++) {
    const { name, value } = variables[index];
    const bytes = name.length + Buffer.byteLength(value) + 2;
    // One variable too long is its own warning; the total is about the many.
    if (bytes > MAX_VARIABLE_BYTES) tooLong.push(name);
    else total += bytes + POINTER_BYTES;
  }
  const warnings: string[] = [];
  if (tooLong.length > 0) {
    const named =
      tooLong.slice(0, NAMED_AT_MOST).join(', ') +
      (tooLong.length > NAMED_AT_MOST ? ` and ${tooLong.length - NAMED_AT_MOST} more` : '');
    warnings.push(
      `${named}: over 128 KiB, more than Linux passes to a program in one variable; with it set, every ` +
        'command fails with "Argument list too long" (keep big values in a file and put its path in config.ini)',
    );
  }
  if (total > MAX_ENVIRONMENT_BYTES) {
    warnings.push(
      `the ${variables.length} variables take ${(total / 1024 / 1024).toFixed(1)} MiB, over half of what ` +
        'Linux passes to a program (ARG_MAX, usually 2 MiB for arguments and environment together); with ' +
        'them set, commands may fail with "Argument list too long"',
    );
  }
  return warnings;
}

/**
 * A value inside POSIX single quotes, which hold every byte but NUL literally: a quote is closed,
 * escaped, reopened. Most values hold none, and are returned as they are.
 */
function inShQuotes(value: string): string {
  return value.includes("'") ? value.replaceAll("'", "'\\''") : value;
}

/** In fish's single quotes only `\\` and `\'` are escapes. */
const FISH_ESCAPES = /[\\']/g;

function inFishQuotes(value: string): string {
  return value.includes("'") || value.includes('\\') ? value.replace(FISH_ESCAPES, '\\$&') : value;
}

/** python-dotenv's `${NAME}` / `${NAME:-default}` expansion, which it applies whatever the quotes. */
const PYTHON_DOTENV_EXPANSION = /\$\{[^}:]*(?::-[^}]*)?\}/;
/** In single quotes python-dotenv decodes `\\` (and `\'`, which a value ending in `\` would make). */
const NOT_IN_SINGLE_QUOTES = /['\r]|\\\\|\\$/;
/** In double quotes sh expands `$` and backticks, and sh, Node and python-dotenv each read `\` their own way. */
const NOT_IN_DOUBLE_QUOTES = /["$`\\\r]/;

/**
 * The one dotenv spelling that sh (`set -a; . ./plugin.env`), bash, dash and zsh read as inert
 * text and Node's `--env-file` and python-dotenv read exactly: single quotes, else (for a value
 * holding `'`) double quotes without escapes. A value neither can carry is refused, with the reason.
 */
export function quoteDotenv(value: string): { text: string; expandedByPython: boolean } | { refused: string } {
  const expandedByPython = PYTHON_DOTENV_EXPANSION.test(value);
  if (!NOT_IN_SINGLE_QUOTES.test(value)) return { text: `'${value}'`, expandedByPython };
  if (!NOT_IN_DOUBLE_QUOTES.test(value)) return { text: `"${value}"`, expandedByPython };
  return { refused: refusal(value) };
}

function refusal(value: string): string {
  if (value.includes('\r')) return "holds a carriage return, which Node's reader drops";
  if (value.endsWith('\\')) return 'ends with a backslash, which dotenv readers take for an escaped quote';
  if (!value.includes("'")) return 'holds "\\\\", which python-dotenv reads as one backslash';
  return (
    `holds a ' (which ends a single-quoted value) and one of " $ \` \\ (which sh expands or reads its ` +
    'own way in double quotes)'
  );
}
