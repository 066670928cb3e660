import type { IniDocument, IniEntry, IniSection } from './ini.js';
import { sectionItems } from './ini.js';

/**
 * How config.ini sections and keys become variable names, the one rule `env`, `config set` and
 * `config check` share: `_` names are private, a key holding `[` or `]` must be `KEY[VARIANT]`,
 * every other character than `[A-Za-z0-9_]` becomes `_`, and two keys (variants aside) that give
 * one name are an error whatever configuration is chosen.
 */

const PRIVATE_PREFIX = '_';
const VARIANT_KEY = /^([^[\]]+)\[([^[\]]+)\]$/;
const NOT_IN_NAMES = /[^A-Za-z0-9_]/gu;
const NAME_CHARACTERS = /^[A-Za-z0-9_]*$/;

/** Sections and keys starting with `_` are the plugin's own: never exported, never checked. */
export const isPrivate = (name: string): boolean => name.startsWith(PRIVATE_PREFIX);

export const isVariant = (entry: IniEntry): boolean => entry.name.includes('[') || entry.name.includes(']');

/** The key without its variant: `port` of `port[dev]`. */
export function realKey(entry: IniEntry): string {
  return isVariant(entry) ? entry.name.slice(0, entry.name.indexOf('[')) : entry.name;
}

/**
 * `port[DEV]` → port, dev (keys are lower-case already, so variants compare case-insensitively);
 * undefined when malformed.
 */
export function splitVariant(name: string): { key: string; variant: string } | undefined {
  const match = VARIANT_KEY.exec(name);
  return match ? { key: match[1], variant: match[2] } : undefined;
}

const MALFORMED_VARIANT = 'a key holding [ or ] must be a variant, KEY[CONFIG_NAME] (e.g. port[DEV])';

/** Why a key gives no variable (a bracket outside `KEY[VARIANT]`), or undefined. */
export function keyProblem(key: string): string | undefined {
  if (!key.includes('[') && !key.includes(']')) return undefined;
  return splitVariant(key.toLowerCase()) ? undefined : MALFORMED_VARIANT;
}

/** Every character outside `[A-Za-z0-9_]` (one per code point) becomes `_`, then upper-case. */
export function toVariableName(text: string): string {
  return (NAME_CHARACTERS.test(text) ? text : text.replace(NOT_IN_NAMES, '_')).toUpperCase();
}

/** The start of every name of a section's keys: `MFSERV_APP_MAIN_`. */
export const sectionPrefix = (prefix: string, section: string): string => toVariableName(`${prefix}_${section}_`);

/**
 * `namePrefix` (a sectionPrefix, upper-case already) and the key's name. Only the key is
 * upper-cased: upper-casing the joined name would first copy it whole (100k keys, 100k copies).
 */
export function variableName(namePrefix: string, entry: IniEntry): string {
  const key = realKey(entry);
  return namePrefix + (NAME_CHARACTERS.test(key) ? key.toUpperCase() : toVariableName(key));
}

/** A key that breaks the rule, and the earlier key it collides with (none for a malformed variant). */
export interface NamingProblem {
  entry: IniEntry;
  /** The section it is read in (a `[DEFAULT]` key is read in every section). */
  section: string;
  name?: string;
  other?: IniEntry;
  otherSection?: string;
}

/** A section's exported keys (private and malformed ones left out) and, index for index, their names. */
export interface NamedSection {
  section: IniSection;
  entries: IniEntry[];
  /** The variable name of each entry: a key's variants share it. */
  names: string[];
  /** Whether an entry is a `KEY[VARIANT]`: only then is there a variant to choose. */
  hasVariants: boolean;
}

export interface Naming {
  /** The sections `env` exports, in file order. */
  sections: NamedSection[];
  /** Every key that breaks the rule, in file order. */
  problems: NamingProblem[];
}

/**
 * Names every exported key of `doc` once, for `env` to use and `config check`/`config set` to
 * judge; `prefix` starts the names (`MFSERV_CURRENT_PLUGIN`). Built for 100k-key files: one map
 * operation and no object per key (a name's first key is kept as its position, not a record).
 */
export function nameKeys(doc: IniDocument, prefix: string): Naming {
  const problems: NamingProblem[] = [];
  const sections: NamedSection[] = [];
  /** Where each section's entries start in the numbering shared by all sections. */
  const starts: number[] = [];
  const firstKeyOf = new Map<string, number>();
  const malformed = new Set<IniEntry>();
  let start = 0;
  for (const section of doc.sections.values()) {
    if (isPrivate(section.name)) continue;
    const namePrefix = sectionPrefix(prefix, section.name);
    const named: NamedSection = { section, entries: [], names: [], hasVariants: false };
    sections.push(named);
    starts.push(start);
    // forEach, not for…of: a function run once per file iterates before V8 optimises it, and
    // an iterator then allocates a result object per key.
    sectionItems(doc, section).forEach((entry) => {
      if (isPrivate(entry.name)) return;
      const variant = isVariant(entry);
      if (variant && !VARIANT_KEY.test(entry.name)) {
        if (!malformed.has(entry)) problems.push({ entry, section: section.name });
        malformed.add(entry);
        return;
      }
      const name = variableName(namePrefix, entry);
      const first = firstKeyOf.get(name);
      // A name met again: a variant of the same key in the same section, else a collision.
      if (first === undefined) firstKeyOf.set(name, start + named.entries.length);
      else if (first < start || realKey(named.entries[first - start]) !== realKey(entry)) {
        const other = keyAt(sections, starts, first);
        problems.push({ entry, section: section.name, name, other: other.entry, otherSection: other.section });
      }
      named.entries.push(entry);
      named.names.push(name);
      if (variant) named.hasVariants = true;
    });
    start += named.entries.length;
  }
  return { sections, problems: problems.sort((a, b) => a.entry.line - b.entry.line) };
}

/** The key numbered `index` and the section it is read in (on the error path only). */
function keyAt(sections: NamedSection[], starts: number[], index: number): { entry: IniEntry; section: string } {
  let at = sections.length - 1;
  while (starts[at] > index) at--;
  return { entry: sections[at].entries[index - starts[at]], section: sections[at].section.name };
}

/** Every key of `doc` that breaks the rule, in file order (see nameKeys). */
export const namingProblems = (doc: IniDocument, prefix: string): NamingProblem[] => nameKeys(doc, prefix).problems;

/** The message for a problem; `where(entry)` places the other key (`config.ini:12`). */
export function describeProblem(problem: NamingProblem, where: (entry: IniEntry) => string): string {
  const { entry, other } = problem;
  if (!other) return `"${entry.key}": ${MALFORMED_VARIANT}`;
  return (
    `[${problem.section}] ${realKey(entry)} gives the variable ${problem.name}, as ` +
    `[${problem.otherSection}] ${realKey(other)} at ${where(other)} does: rename one of them`
  );
}
