import { UsageError } from './errors.js';
import { wholeMatch } from './fields.js';

/** MFSERV's plugin name rules, plus a length bound so the name stays a valid file and variable name. */
const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
const RESERVED_PREFIXES = ['plugin_', '__'];
const RESERVED_NAMES = ['base', 'config'];
export const MAX_NAME_LENGTH = 64;
export const DEFAULT_MODULE = 'mfserv';
const MODULE_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Extra rules a template adds in its manifest (`nameRules`). */
export interface NameRules {
  /** A stricter pattern, e.g. a Python identifier for packages. */
  pattern?: string;
  /** What the pattern means, for the error message. */
  patternHint?: string;
  /** Names the template cannot use (django: `main`, its application directory). */
  reserved?: string[];
}

/** Throws a UsageError naming the rule the plugin name breaks. */
export function validatePluginName(name: string, template?: { name: string; nameRules?: NameRules }): void {
  const bad = (rule: string) => new UsageError(`invalid plugin name "${printable(name)}": ${rule}`);
  if (name === '') throw bad('it is empty');
  if (name.length > MAX_NAME_LENGTH) throw bad(`it is longer than ${MAX_NAME_LENGTH} characters`);
  if (!NAME_PATTERN.test(name)) throw bad('use only letters, digits, "_" and "-"');
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) throw bad(`it must not start with "${prefix}"`);
  if (RESERVED_NAMES.includes(name)) throw bad(`"${name}" is reserved`);
  const rules = template?.nameRules;
  if (!rules) return;
  if (rules.reserved?.includes(name)) throw bad(`"${name}" is reserved by the ${template.name} template`);
  if (rules.pattern && !wholeMatch(rules.pattern).test(name)) {
    throw bad(`the ${template.name} template needs ${rules.patternHint ?? `a name matching ${rules.pattern}`}`);
  }
}

/** The module name given (`--module`, else `$MFMODULE`), else mfserv; lower-case as in `plugin_NAME@mfserv` labels. */
export function resolveModule(given: string | undefined): string {
  const module = given ?? DEFAULT_MODULE;
  if (!MODULE_PATTERN.test(module)) {
    throw new UsageError(
      `invalid module "${printable(module)}": use letters, digits and "_", starting with a letter (--module ` +
        'or MFMODULE)',
    );
  }
  return module.toLowerCase();
}

/** Control characters (NUL, escapes) shown as JSON escapes so an error line stays one safe line. */
export function printable(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(shown).slice(1, -1);
}
