import { dirname, join } from 'node:path';
import { UsageError } from './errors.js';
import { checkAnswer, isApplicable, type Answers } from './fields.js';
import {
  DEFAULT_SECTION,
  findSection,
  parseIni,
  readIniFile,
  sectionItems,
  sections,
  type IniDocument,
  type IniEntry,
  type IniSection,
} from './ini.js';
import { checkFormat2Plugin } from './format2-check.js';
import { sectionHeader } from './ini-syntax.js';
import { isFormat2Plugin } from './format2-env.js';
import { printable } from './names.js';
import { describeProblem, isPrivate, keyProblem, namingProblems, realKey } from './naming.js';
import { CONFIG_FILE, readPluginName, readState, STATE_FILE, toConfigFile } from './plugin.js';
import { renderContext, renderTemplate, type RenderLimit } from './render.js';
import { didYouMean } from './suggest.js';
import { findTemplate, trustedStateTemplate, type TemplateLookup } from './templates.js';

/**
 * `bootstrap-plugin config check`: a plugin's config.ini against the config.ini its template
 * renders, which serves as the schema (keys, sections, value types told by the defaults).
 */

/** Sections whose keys are the user's own. */
const OPEN_SECTION = 'custom';
const DEPRECATED_KEYS = new Map([['gunicorn_arg', 'main_arg']]);
/** `[app_xxx]` in a comment names a family of sections: `[app_main]`, `[app_api]`… */
const FAMILY_MENTION = /\[([A-Za-z0-9_.-]*_)xxx\]/gi;
/** `# [extra_daemon_example]` alone on a comment line: a section to uncomment. */
const COMMENTED_HEADER = /^[#;][#; \t]*\[([^\]]+)\][ \t]*$/;
/** `# key = value` documents an optional key (`=>` in prose is not one). */
const COMMENTED_KEY = /^[#;][#; \t]*([a-z_][a-z0-9_]*)[ \t]*=(?!>)/;
const PLACEHOLDER = /^\{\{[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*\}\}$/;

export interface CheckOptions extends TemplateLookup, RenderLimit {
  path: string;
  cwd: string;
  /** The template to check against, when the plugin's `.bootstrap-plugin.json` does not say (or to override it). */
  template?: string;
  /** The module to render the template for, when `.bootstrap-plugin.json` does not say. */
  module: string;
  /** Format 2: MetWork's variables and MFCONFIG, as its configuration reader sees them. */
  environment?: Record<string, string | undefined>;
}

export interface Finding {
  /** 0 when the finding is about the whole file. */
  line: number;
  message: string;
  /** Format 2: the file, when not the plugin's config.ini (an override file, the label). */
  file?: string;
  /** A warning is said without failing the check. */
  severity?: 'error' | 'warning';
}

export interface CheckResult {
  file: string;
  template: string;
  /** Sorted by line; empty when the file is clean. */
  findings: Finding[];
}

/** What a key of the template's config.ini accepts, told by its default value there. */
type ValueType = 'any' | 'bit' | 'integer' | 'number' | 'boolean';
const BOOLEAN_WORDS = ['1', 'yes', 'true', 'on', '0', 'no', 'false', 'off'];
const EXPECTED: Record<Exclude<ValueType, 'any'>, string> = {
  bit: '0 or 1',
  integer: 'a whole number',
  number: 'a number',
  boolean: `one of ${BOOLEAN_WORDS.join(', ')}`,
};

interface Schema {
  doc: IniDocument;
  /** Lower-case keys documented only in comments (`# debug = 1`), by section. */
  optional: Map<string, Set<string>>;
  /** Commented example sections (`# [extra_daemon_example]`): uncommented, they accept any key. */
  examples: Set<string>;
  /** Name prefixes of section families mentioned as `[prefix_xxx]`. */
  families: string[];
}

/**
 * Checks a plugin's config.ini against the config.ini its template renders with the plugin's
 * stored answers: unknown sections and keys (with a did-you-mean), values of the wrong type
 * (inferred from the template's default), deprecated keys. `[custom]`, private `_` names and
 * sections uncommented from a commented example accept anything.
 */
export async function checkConfig(options: CheckOptions): Promise<CheckResult> {
  const file = await toConfigFile(options.path, options.cwd);
  const pluginDir = dirname(file.absolute);
  if (isFormat2Plugin(pluginDir)) {
    const environment = options.environment ?? {};
    const found = await checkFormat2Plugin({
      shown: dirname(file.shown),
      dir: pluginDir,
      module: options.module,
      configName: environment.MFCONFIG ?? 'GENERIC',
      environment,
    });
    const findings = found.map((f) => ({
      line: f.line ?? 0,
      message: f.message,
      severity: f.severity,
      ...(f.file === file.shown ? {} : { file: f.file }),
    }));
    return {
      file: file.shown,
      template: 'MetWork 2 (mfplugin)',
      findings: findings.sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || a.line - b.line),
    };
  }
  const state = await readState(pluginDir);
  const stateFile = join(dirname(file.shown), STATE_FILE);
  if (!options.template && !state.template)
    throw new UsageError(`${stateFile} does not name the plugin's template: pass --template=NAME or PATH`);
  const templateName = options.template ?? trustedStateTemplate(state.template!, stateFile, options);
  const template = findTemplate(templateName, options, options.cwd);
  const answers: Answers = {};
  for (const field of template.fields) {
    if (!isApplicable(field, answers)) continue;
    const stored = Object.hasOwn(state.answers, field.name) ? checkAnswer(field, state.answers[field.name]) : undefined;
    answers[field.name] = stored?.ok ? stored.value : (field.default ?? '');
  }
  const rendered = await renderTemplate(
    template,
    renderContext(await readPluginName(pluginDir), state.module ?? options.module, answers),
    { timeLimit: options.renderTimeLimit },
  );
  const schemaFile = rendered.find((f) => f.path === CONFIG_FILE);
  if (!schemaFile) throw new UsageError(`template ${template.name} has no ${CONFIG_FILE} to check against`);
  const schema = toSchema(
    parseIni(schemaFile.content.toString('utf8'), `${join(template.dir, 'files', CONFIG_FILE)} (rendered)`),
  );
  const doc = await readIniFile(file.absolute, file.shown);
  // env's naming rule, with env's words: a key env would refuse is a finding here too.
  const prefix = `${(state.module ?? options.module).toUpperCase()}_CURRENT_PLUGIN`;
  const naming = namingProblems(doc, prefix).map((p) => ({
    line: p.entry.line,
    message: describeProblem(p, (e) => `${file.shown}:${e.line}`),
  }));
  const findings = [...naming, ...sections(doc).flatMap((section) => checkSection(section, schema))];
  return { file: file.shown, template: template.name, findings: findings.sort((a, b) => a.line - b.line) };
}

function toSchema(doc: IniDocument): Schema {
  const optional = new Map<string, Set<string>>();
  const examples = new Set<string>();
  const families = new Set<string>();
  let section: string | undefined;
  doc.lines.forEach((raw, index) => {
    const kind = doc.kinds[index];
    const text = raw.trim();
    if (kind === 'section') section = sectionHeader(text);
    if (kind !== 'comment') return;
    for (const mention of text.matchAll(FAMILY_MENTION)) families.add(mention[1]);
    const header = COMMENTED_HEADER.exec(text)?.[1];
    if (header !== undefined) {
      examples.add(header);
      // Keys commented under an example belong to it, not to the real section above.
      section = undefined;
      return;
    }
    const key = COMMENTED_KEY.exec(text)?.[1];
    if (key !== undefined && section !== undefined) {
      if (!optional.has(section)) optional.set(section, new Set());
      optional.get(section)!.add(key);
    }
  });
  return { doc, optional, examples, families: [...families] };
}

/**
 * The template section a plugin section is checked against: its namesake, else the template's
 * section of the same family (`[app_api]` → `[app_main]` when the template mentions `[app_xxx]`).
 * `open` when any key is accepted: `[custom]`, private `_` sections, uncommented examples and
 * families the template has no section of.
 */
function modelOf(name: string, schema: Schema): { section?: IniSection; open: boolean } | undefined {
  // [DEFAULT] lends its keys to every section (configparser's rule, which env follows): any key.
  if (name === OPEN_SECTION || name === DEFAULT_SECTION || isPrivate(name) || schema.examples.has(name))
    return { open: true };
  const namesake = findSection(schema.doc, name);
  if (namesake) return { section: namesake, open: false };
  const family = schema.families.find((prefix) => name.startsWith(prefix) && name.length > prefix.length);
  if (family === undefined) return undefined;
  const member = [...schema.doc.sections.values()].find((s) => s.name.startsWith(family));
  return member ? { section: member, open: false } : { open: true };
}

function checkSection(section: IniSection, schema: Schema): Finding[] {
  const model = modelOf(section.name, schema);
  if (!model) {
    const known = [
      ...sections(schema.doc).map((s) => s.name),
      ...schema.examples,
      ...schema.families.map((prefix) => `${prefix}xxx`),
    ];
    return [
      { line: section.headers[0], message: `unknown section [${section.name}]${didYouMean(section.name, known)}` },
    ];
  }
  if (model.open || !model.section) return [];
  const keys = sectionItems(schema.doc, model.section);
  const optional = schema.optional.get(model.section.name) ?? new Set<string>();
  const findings: Finding[] = [];
  for (const entry of section.entries.values()) {
    const key = realKey(entry);
    if (isPrivate(key) || keyProblem(entry.name)) continue;
    const documented = keys.get(key);
    const replacement = DEPRECATED_KEYS.get(key);
    if (documented) {
      const problem = typeProblem(entry.value, documented, schema.doc);
      if (problem)
        findings.push({
          line: entry.line,
          message: `[${section.name}] ${entry.key} = "${printable(entry.value)}": ${problem}`,
        });
    } else if (replacement) {
      findings.push({
        line: entry.line,
        message: `[${section.name}] ${entry.key} is deprecated: rename it to ${replacement}`,
      });
    } else if (!optional.has(key)) {
      const candidates = [...keys.keys(), ...optional];
      findings.push({
        line: entry.line,
        message: `unknown key "${entry.key}" in [${section.name}]${didYouMean(key, candidates)}`,
      });
    }
  }
  return findings;
}

/**
 * The type a template's default value implies: a whole number → a whole number, except 0 or 1
 * whose comment above mentions both 0 and 1 (`1 = on, 0 = off`) → 0 or 1; a decimal → a number;
 * a configparser boolean word → one of them; anything else (text, `null`, empty, a
 * `{{VARIABLE}}`) → anything. A `{{VARIABLE}}` placeholder is accepted for every type.
 */
function valueType(defaultValue: string, comment: string): ValueType {
  if ((defaultValue === '0' || defaultValue === '1') && /\b0\b/.test(comment) && /\b1\b/.test(comment)) return 'bit';
  if (/^-?\d+$/.test(defaultValue)) return 'integer';
  if (/^-?\d+\.\d+$/.test(defaultValue)) return 'number';
  if (BOOLEAN_WORDS.includes(defaultValue.toLowerCase())) return 'boolean';
  return 'any';
}

/** The comment lines right above a key, where templates document it. */
function commentAbove(doc: IniDocument, entry: IniEntry): string {
  let first = entry.line - 1;
  while (first > 0 && doc.kinds[first - 1] === 'comment') first--;
  return doc.lines.slice(first, entry.line - 1).join('\n');
}

function typeProblem(value: string, documented: IniEntry, doc: IniDocument): string | undefined {
  const type = valueType(documented.value, commentAbove(doc, documented));
  if (type === 'any' || PLACEHOLDER.test(value)) return undefined;
  const ok =
    type === 'bit'
      ? value === '0' || value === '1'
      : type === 'integer'
        ? /^-?\d+$/.test(value)
        : type === 'number'
          ? /^-?\d+(\.\d+)?$/.test(value)
          : BOOLEAN_WORDS.includes(value.toLowerCase());
  return ok
    ? undefined
    : `expected ${EXPECTED[type]} or a {{VARIABLE}} placeholder (the template's default is ${documented.value})`;
}
