import { isPlainObject } from './jsonfile.js';
import { didYouMean } from './suggest.js';

export type FieldType = 'string' | 'choice' | 'confirm' | 'integer';
export type FieldValue = string | number | boolean;
export type Answers = Record<string, FieldValue>;
/** A field applies when every named earlier field has the value (or one of the values) given. */
export type When = Record<string, FieldValue | FieldValue[]>;

/** One question of a template, as declared in its `template.json`. */
export interface Field {
  name: string;
  message: string;
  type: FieldType;
  default?: FieldValue;
  choices?: string[];
  /** For strings: a regular expression the whole answer must match. */
  pattern?: string;
  /** What the pattern means in words, shown when an answer does not match. */
  patternHint?: string;
  when?: When;
}

const FIELD_TYPES: readonly FieldType[] = ['string', 'choice', 'confirm', 'integer'];
const FIELD_KEYS = ['name', 'message', 'type', 'default', 'choices', 'pattern', 'patternHint', 'when'];
const FIELD_NAME = /^[a-z][a-z0-9_]*$/;
/** Names the render context already gives every template. */
const RESERVED_FIELD_NAMES = ['name', 'module', 'label', 'secret'];
const TRUE_WORDS = ['y', 'yes', 'true', '1', 'on'];
const FALSE_WORDS = ['n', 'no', 'false', '0', 'off'];

export type Checked = { ok: true; value: FieldValue } | { ok: false; reason: string };

/**
 * Turns a raw answer (typed, from `--set`, a JSON or ini answers file) into the field's type and
 * checks it: the one validation used by flags, files, prompts and the Yeoman generator.
 */
export function checkAnswer(field: Field, raw: unknown): Checked {
  const fail = (reason: string): Checked => ({ ok: false, reason });
  switch (field.type) {
    case 'confirm': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      const word = isScalar(raw) ? String(raw).trim().toLowerCase() : '';
      if (TRUE_WORDS.includes(word)) return { ok: true, value: true };
      if (FALSE_WORDS.includes(word)) return { ok: true, value: false };
      return fail('expected yes or no');
    }
    case 'integer': {
      const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) return fail('expected a whole number');
      return { ok: true, value: Number(text) };
    }
    case 'choice': {
      const choices = field.choices ?? [];
      const text = isScalar(raw) ? String(raw) : undefined;
      if (text !== undefined && choices.includes(text)) return { ok: true, value: text };
      return fail(`expected one of ${choices.join(', ')}${text === undefined ? '' : didYouMean(text, choices)}`);
    }
    case 'string': {
      if (!isScalar(raw)) return fail('expected text');
      const text = String(raw);
      if (text.includes('\0')) return fail('it contains a NUL character');
      if (field.pattern && !wholeMatch(field.pattern).test(text)) {
        return fail(`expected ${field.patternHint ?? 'a value'} (pattern ${field.pattern})`);
      }
      return { ok: true, value: text };
    }
  }
}

/** Text or a number: what an answers file may give for a text field (a list or an object is a mistake). */
function isScalar(raw: unknown): raw is string | number {
  return typeof raw === 'string' || typeof raw === 'number';
}

/** Whether a field is asked, given the answers to the fields before it. */
export function isApplicable(field: Field, answers: Answers): boolean {
  return field.when === undefined || matchesWhen(field.when, answers);
}

/** Every named field has the value, or one of the values, given (a field not answered matches nothing). */
export function matchesWhen(when: When, answers: Answers): boolean {
  return Object.entries(when).every(([name, expected]) => {
    const accepted = Array.isArray(expected) ? expected : [expected];
    return Object.hasOwn(answers, name) && accepted.includes(answers[name]);
  });
}

/** A template's pattern, matched against the whole answer: an unanchored `[0-9]+` must not accept `abc1x`. */
export function wholeMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/** What is wrong with a manifest's `pattern` and `patternHint` (fields, nameRules), as `.pattern: …`. */
export function findPatternProblem(spec: { pattern?: unknown; patternHint?: unknown }): string | undefined {
  const notText = (['pattern', 'patternHint'] as const).find(
    (key) => spec[key] !== undefined && typeof spec[key] !== 'string',
  );
  if (notText) return `.${notText}: expected a string`;
  if (spec.pattern === undefined) return undefined;
  try {
    // Compiled as written, so an error quotes the author's pattern, not its anchored form.
    new RegExp(spec.pattern as string, 'u');
    return undefined;
  } catch (error) {
    return `.pattern: ${(error as Error).message}`;
  }
}

/** Problems in a manifest's field list, each prefixed with where it is (`fields[2].type`). */
export function findFieldProblems(fields: unknown): string[] {
  if (!Array.isArray(fields)) return ['fields: expected an array'];
  const problems: string[] = [];
  const seen: Field[] = [];
  fields.forEach((value, index) => {
    const at = `fields[${index}]`;
    const problem = findFieldProblem(value, seen);
    if (problem) problems.push(`${at}${problem}`);
    else seen.push(value as Field);
  });
  return problems;
}

function findFieldProblem(value: unknown, before: Field[]): string | undefined {
  if (typeof value !== 'object' || value === null) return ': expected an object';
  const field = value as Partial<Field>;
  if (typeof field.name !== 'string' || !FIELD_NAME.test(field.name)) {
    return '.name: expected lower-case letters, digits and "_", starting with a letter';
  }
  const at = ` (${field.name})`;
  if (RESERVED_FIELD_NAMES.includes(field.name)) return `${at}.name: "${field.name}" is reserved`;
  if (before.some((f) => f.name === field.name)) return `${at}.name: declared twice`;
  const unknown = Object.keys(field).find((key) => !FIELD_KEYS.includes(key));
  if (unknown) return `${at}: unknown key "${unknown}"${didYouMean(unknown, FIELD_KEYS)}`;
  if (typeof field.message !== 'string' || field.message === '') return `${at}.message: expected a question`;
  if (!FIELD_TYPES.includes(field.type as FieldType)) {
    return `${at}.type: expected one of ${FIELD_TYPES.join(', ')}${didYouMean(String(field.type), FIELD_TYPES)}`;
  }
  if (field.type === 'choice') {
    const ok =
      Array.isArray(field.choices) && field.choices.length > 0 && field.choices.every((c) => typeof c === 'string');
    if (!ok) return `${at}.choices: a choice field needs a non-empty list of strings`;
  } else if (field.choices !== undefined) {
    return `${at}.choices: only a choice field has choices (set "type": "choice")`;
  }
  const patternProblem = findPatternProblem(field);
  if (patternProblem) return `${at}${patternProblem}`;
  if (field.default !== undefined) {
    const checked = checkAnswer(field as Field, field.default);
    if (!checked.ok) return `${at}.default: ${checked.reason}`;
  }
  return field.when === undefined ? undefined : findWhenProblem(field.when, before, at);
}

function findWhenProblem(when: unknown, before: Field[], at: string): string | undefined {
  if (!isPlainObject(when)) return `${at}.when: expected an object`;
  for (const name of Object.keys(when)) {
    if (!before.some((f) => f.name === name)) {
      return `${at}.when: "${name}" is not a field declared before this one`;
    }
  }
  return undefined;
}

/** The text shown for a value in prompts and messages (`yes`/`no` for confirms). */
export function formatValue(value: FieldValue): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}
