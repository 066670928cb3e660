import { resolve } from 'node:path';
import { ConfigError, UsageError } from './errors.js';
import { checkAnswer, formatValue, isApplicable, type Answers, type Field, type FieldValue } from './fields.js';
import { decodeUtf8, readRegularFile } from './fs.js';
import { parseIni, sectionItems } from './ini.js';
import { isPlainObject, parseJson } from './jsonfile.js';
import { printable } from './names.js';
import { didYouMean } from './suggest.js';

/** Asks one field interactively; given the default (if any), returns the raw answer. */
export type Ask = (field: Field, defaultValue: FieldValue | undefined) => Promise<unknown>;

export interface AnswerSources {
  /** `--set FIELD=VALUE` flags, in order. */
  set: string[];
  /** `--answers FILE`: relative to `cwd`. */
  answersFile?: string;
  /** The directory a relative `answersFile` is found from (the process's when absent). */
  cwd?: string;
  /** Interactive prompt; absent without a TTY or with `--yes`. */
  ask?: Ask;
  /**
   * Answers an earlier run recorded (`update`): one still valid for its field is taken without
   * asking; a field without one is asked, or defaulted, like any other. Unknown names are ignored:
   * the template may have dropped a field since.
   */
  recorded?: Record<string, unknown>;
}

const REPLACEMENT_CHARACTER = '\uFFFD';

/** Splits `--set` flags into a map; a later flag for the same field wins. */
export function parseSetFlags(flags: string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const flag of flags) {
    const at = flag.indexOf('=');
    if (at <= 0) throw new UsageError(`--set "${printable(flag)}": expected FIELD=VALUE`);
    // Node decodes the command line as UTF-8, turning invalid bytes into U+FFFD: refused, not written.
    if (flag.includes(REPLACEMENT_CHARACTER)) {
      throw new UsageError(
        `--set ${printable(flag.slice(0, at))}: the value is not valid UTF-8 (it decodes to U+FFFD); pass it in UTF-8`,
      );
    }
    values.set(flag.slice(0, at), flag.slice(at + 1));
  }
  return values;
}

/** Answers files read as ini rather than JSON, by their name. */
const INI_ANSWERS_FILE = /\.(ini|cfg)$/i;
const ANSWERS_SECTION = 'answers';

/**
 * Reads an answers file: a JSON object of field → value (or the `answers` of a plugin's
 * `.bootstrap-plugin.json`, so a plugin can be re-created from another's answers), or, for a
 * `*.ini`/`*.cfg` file, the `field = value` lines of its `[answers]` section (read as Python's
 * configparser reads it: keys are case-insensitive, `[DEFAULT]` keys count too). A relative
 * `file` is found from `cwd`; errors name it as given.
 */
export async function readAnswersFile(file: string, cwd = '.'): Promise<Map<string, unknown>> {
  const bytes = readRegularFile(resolve(cwd, file), 'check --answers', file);
  if (INI_ANSWERS_FILE.test(file)) return readIniAnswers(file, decodeUtf8(bytes, file));
  const data = parseJson(file, decodeUtf8(bytes, file));
  const answers = isPlainObject(data) && isPlainObject(data.answers) ? data.answers : data;
  if (!isPlainObject(answers)) throw new ConfigError(file, undefined, 'expected a JSON object of field: value');
  return new Map(Object.entries(answers));
}

function readIniAnswers(file: string, text: string): Map<string, unknown> {
  const doc = parseIni(text, file);
  const other = [...doc.sections.values()].find((s) => s.name !== ANSWERS_SECTION);
  if (other)
    throw new ConfigError(
      file,
      other.headers[0],
      `unknown section [${other.name}]: answers go in the [${ANSWERS_SECTION}] section`,
    );
  const section = doc.sections.get(ANSWERS_SECTION);
  if (!section)
    throw new ConfigError(file, undefined, `expected an [${ANSWERS_SECTION}] section of "field = value" lines`);
  return new Map([...sectionItems(doc, section).values()].map((entry) => [entry.name, entry.value]));
}

export interface Resolved {
  answers: Answers;
  /** Fields that took their default because nothing else answered them (no prompt). */
  defaulted: string[];
}

/**
 * Resolves every applicable field, in order: `--set` > answers file > prompt > default.
 * Each value goes through the field's validation whatever its source.
 */
export async function resolveAnswers(fields: Field[], sources: AnswerSources): Promise<Resolved> {
  const fromFlags = parseSetFlags(sources.set);
  const fromFile = sources.answersFile
    ? await readAnswersFile(sources.answersFile, sources.cwd)
    : new Map<string, unknown>();
  const names = fields.map((f) => f.name);
  for (const name of fromFlags.keys()) {
    if (!names.includes(name))
      throw new UsageError(`--set ${name}: unknown field${didYouMean(name, names)} (fields: ${names.join(', ')})`);
  }
  for (const name of fromFile.keys()) {
    if (!names.includes(name))
      throw new ConfigError(sources.answersFile!, undefined, `unknown field "${name}"${didYouMean(name, names)}`);
  }
  const answers: Answers = {};
  const defaulted: string[] = [];
  for (const field of fields) {
    if (!isApplicable(field, answers)) continue;
    const given = fromFlags.has(field.name) || fromFile.has(field.name) || recordedAnswer(field, sources) !== undefined;
    if (!given && !sources.ask) defaulted.push(field.name);
    answers[field.name] = await resolveOne(field, fromFlags, fromFile, sources);
  }
  return { answers, defaulted };
}

async function resolveOne(
  field: Field,
  fromFlags: Map<string, string>,
  fromFile: Map<string, unknown>,
  sources: AnswerSources,
): Promise<FieldValue> {
  const check = (raw: unknown, fail: (reason: string) => Error) => {
    const checked = checkAnswer(field, raw);
    if (!checked.ok) throw fail(checked.reason);
    return checked.value;
  };
  if (fromFlags.has(field.name)) {
    const raw = fromFlags.get(field.name);
    return check(raw, (reason) => new UsageError(`--set ${field.name}="${printable(String(raw))}": ${reason}`));
  }
  if (fromFile.has(field.name)) {
    return check(
      fromFile.get(field.name),
      (reason) => new ConfigError(sources.answersFile!, undefined, `${field.name}: ${reason}`),
    );
  }
  const recorded = recordedAnswer(field, sources);
  if (recorded !== undefined) return recorded;
  if (sources.ask) {
    return check(await sources.ask(field, field.default), (reason) => new UsageError(`${field.name}: ${reason}`));
  }
  if (field.default === undefined) {
    throw new UsageError(`field "${field.name}" has no default: pass --set ${field.name}=${exampleValue(field)}`);
  }
  return field.default;
}

/** The recorded answer for a field, when there is one and the field (perhaps changed since) still accepts it. */
export function recordedAnswer(field: Field, sources: Pick<AnswerSources, 'recorded'>): FieldValue | undefined {
  if (!sources.recorded || !Object.hasOwn(sources.recorded, field.name)) return undefined;
  const checked = checkAnswer(field, sources.recorded[field.name]);
  return checked.ok ? checked.value : undefined;
}

function exampleValue(field: Field): string {
  if (field.choices) return field.choices[0];
  if (field.type === 'confirm') return formatValue(true);
  return field.type === 'integer' ? '1' : 'VALUE';
}
