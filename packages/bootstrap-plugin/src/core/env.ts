import { basename, join, resolve } from 'node:path';
import { ConfigError, UsageError } from './errors.js';
import { notUtf8, REPLACEMENT_CHARACTER } from './fs.js';
import { CONFIG_FILE, LABEL_FILE, readPluginLabel, toSource, type Source } from './plugin.js';
import { format2Environment, isFormat2Plugin } from './format2-env.js';
import { readIniFile, sectionItems, type IniDocument, type IniEntry } from './ini.js';
import { metworkLookup } from './metwork-defaults.js';
import { describeProblem, isVariant, nameKeys, realKey, splitVariant } from './naming.js';

/**
 * `bootstrap-plugin env`: config.ini → environment variables, with MetWork's naming
 * (`{MODULE}_{SECTION}_{KEY}`), variants and `{{VAR}}` placeholders, made safe: names are
 * sanitised and checked for collisions, values are quoted so no shell ever runs them.
 */

const CURRENT_PLUGIN = 'CURRENT_PLUGIN';
const PLACEHOLDER = /\{\{(.*?)\}\}/gs;
const PLACEHOLDER_NAME = /^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*$/;

export interface EnvOptions {
  /** Plugin directories or ini files, relative to `cwd`; the first one decides the mode. */
  paths: string[];
  cwd: string;
  /** Lower-case module name (`mfserv`). */
  module: string;
  /** Chooses `key[VARIANT]` values (`--config-name`, `$MFCONFIG`, `GENERIC`). */
  configName: string;
  /** Where `{{VAR}}` placeholders are looked up. */
  environment: Record<string, string | undefined>;
}

export interface Variable {
  name: string;
  value: string;
  /** The file of the key it comes from, or the plugin directory. */
  file: string;
  /** The key's line. */
  line?: number;
}

export interface EnvResult {
  variables: Variable[];
  /** Undefined placeholders, a label naming another module: worth saying, not worth failing. */
  warnings: string[];
  /** MetWork variables computed from this machine because no MetWork environment set them. */
  notes: string[];
  /** For a plugin directory, `{MODULE}_CURRENT_PLUGIN_`: every variable of that prefix belongs to this profile. */
  scope?: string;
}

/**
 * Collects the variables of a plugin directory (first PATH a directory: `{MODULE}_CURRENT_PLUGIN_*`,
 * further PATHs are ini files layered over its config.ini) or of module ini files. A later file
 * overrides an earlier one variable by variable, each file's variants resolved on their own.
 */
export async function collectVariables(options: EnvOptions): Promise<EnvResult> {
  const sources = await Promise.all(
    (options.paths.length > 0 ? options.paths : ['.']).map((p) => toSource(p, options.cwd)),
  );
  const [first, ...rest] = sources;
  const misplaced = rest.find((s) => s.isDirectory);
  if (misplaced) {
    throw new UsageError(
      `${misplaced.shown} is a directory: only the first PATH may be a plugin directory, the others are ini ` +
        'files layered over it',
    );
  }
  if (first.isDirectory && isFormat2Plugin(first.absolute)) {
    return format2Environment({
      shown: first.shown,
      dir: first.absolute,
      extraFiles: rest.map((s) => s.absolute),
      module: options.module,
      configName: options.configName,
      environment: options.environment,
    });
  }
  const warnings: string[] = [];
  const notes: string[] = [];
  const module = options.module.toUpperCase();
  let prefix = module;
  let files = sources.map((s) => s.shown);
  let identity: Variable[] = [];
  if (first.isDirectory) {
    prefix = `${module}_${CURRENT_PLUGIN}`;
    files = [join(first.shown, CONFIG_FILE), ...rest.map((s) => s.shown)];
    identity = await pluginIdentity(first, options.module, module, warnings);
  }
  const seen = new Map<string, string | undefined>();
  const fromEnvironment = metworkLookup(options.environment, options.module, notes);
  const lookup = (name: string) => {
    if (!seen.has(name)) seen.set(name, fromEnvironment(name));
    return seen.get(name);
  };
  const context = { prefix, configName: options.configName.toLowerCase(), lookup, warnings };
  const read = (file: string) => readIniFile(resolve(options.cwd, file), file);
  const scope = first.isDirectory ? `${prefix}_` : undefined;
  if (files.length === 1) {
    // One file overrides nothing: its names are unique (nameKeys), and the plugin's NAME, DIR
    // and LABEL never meet a key's `_SECTION_KEY`; so no map, which 100k keys would feel.
    return { variables: fileVariables(await read(files[0]), context, identity), warnings, notes, scope };
  }
  const layers = [identity];
  for (const file of files) layers.push(fileVariables(await read(file), context));
  return { variables: overlay(layers), warnings, notes, scope };
}

/**
 * Layers in the order given, a file named again included: the last one to set a variable wins,
 * in the place where it was first set.
 */
function overlay(layers: Variable[][]): Variable[] {
  const byName = new Map<string, Variable>();
  for (const layer of layers) for (const variable of layer) byName.set(variable.name, variable);
  return [...byName.values()];
}

/** A value as `run` reads it: its variant chosen, `{{VAR}}` replaced, and the line it came from. */
export interface Setting {
  value: string;
  line: number;
}

/**
 * Every section of one ini file by name, keys lower-case, with the same variants and
 * placeholders as the variables, private (`_`) sections and keys included: `run` needs
 * `_cmd_and_args`, which MetWork keeps out of the environment.
 */
export async function readSettings(options: {
  file: string;
  shown: string;
  configName: string;
  environment: EnvOptions['environment'];
}) {
  const doc = await readIniFile(options.file, options.shown);
  const warnings: string[] = [];
  const context = {
    prefix: '',
    configName: options.configName.toLowerCase(),
    lookup: (name: string) => ownString(options.environment, name),
    warnings,
  };
  const sections = new Map<string, Map<string, Setting>>();
  for (const section of doc.sections.values()) {
    const settings = new Map<string, Setting>();
    const entries = [...sectionItems(doc, section).values()];
    const malformed = entries.find((entry) => isVariant(entry) && !splitVariant(entry.name));
    if (malformed) {
      throw new ConfigError(
        doc.file,
        malformed.line,
        describeProblem({ entry: malformed, section: section.name }, () => ''),
      );
    }
    const keys = entries.map(realKey);
    for (const index of chooseVariants(entries, keys, context.configName)) {
      const entry = entries[index];
      settings.set(keys[index], { value: expand(entry, doc.file, context), line: entry.line });
    }
    sections.set(section.name, settings);
  }
  return { sections, warnings };
}

function ownString(environment: Record<string, string | undefined>, name: string): string | undefined {
  const value = environment[name];
  return typeof value === 'string' ? value : undefined;
}

/** NAME, DIR and LABEL, the name read from `.layerapi2_label`, else the directory's. */
async function pluginIdentity(source: Source, module: string, prefix: string, warnings: string[]): Promise<Variable[]> {
  const label = await readPluginLabel(source.absolute);
  const name = label?.name ?? basename(source.absolute);
  if (label && label.module !== module) {
    warnings.push(
      `${join(source.shown, LABEL_FILE)}: the plugin belongs to module "${label.module}" but the variables ` +
        `are named for "${module}" (use --module ${label.module})`,
    );
  }
  const file = source.shown;
  return [
    { name: `${prefix}_${CURRENT_PLUGIN}_NAME`, value: name, file },
    { name: `${prefix}_${CURRENT_PLUGIN}_DIR`, value: source.absolute, file },
    { name: `${prefix}_${CURRENT_PLUGIN}_LABEL`, value: `plugin_${name}@${module}`, file },
  ];
}

interface Context {
  /** Upper-case start of every name: `MFSERV` or `MFSERV_CURRENT_PLUGIN`. */
  prefix: string;
  /** Lower-case configuration name. */
  configName: string;
  /** The environment's value of a placeholder (cached: `process.env` reads cost a system call each). */
  lookup: (name: string) => string | undefined;
  warnings: string[];
}

/**
 * One file's variables, each name once, added to `variables`; a key that breaks the naming
 * rule (naming.ts) is an error naming both places. Written for 100k-key files: each name is
 * computed once, and a key costs one map operation (nameKeys's) and one object, its variable.
 */
function fileVariables(doc: IniDocument, context: Context, variables: Variable[] = []): Variable[] {
  const { sections, problems } = nameKeys(doc, context.prefix);
  const [problem] = problems;
  if (problem)
    throw new ConfigError(
      doc.file,
      problem.entry.line,
      describeProblem(problem, (entry) => `${doc.file}:${entry.line}`),
    );
  const { file } = doc;
  for (const { entries, names, hasVariants } of sections) {
    const add = (index: number) => {
      const entry = entries[index];
      variables.push({ name: names[index], value: expand(entry, file, context), file, line: entry.line });
    };
    if (hasVariants) chooseVariants(entries, names, context.configName).forEach(add);
    else for (let index = 0; index < entries.length; index++) add(index);
  }
  return variables;
}

/**
 * The positions of the entries chosen for the configuration name, one per key (`keys[i]`: the
 * key of `entries[i]`, or its variable name), in the order keys first appear: each key's best
 * variant, else the plain key. The entries are well-formed (see readSettings, nameKeys).
 */
function chooseVariants(entries: IniEntry[], keys: string[], configName: string): number[] {
  const chosen = new Map<string, number>();
  const scores: number[] = [];
  for (let index = 0; index < entries.length; index++) {
    const split = isVariant(entries[index]) ? splitVariant(entries[index].name) : undefined;
    const score = split === undefined ? 0 : variantScore(split.variant, configName);
    scores.push(score);
    if (score < 0) continue;
    const previous = chosen.get(keys[index]);
    if (previous === undefined || score > scores[previous]) chosen.set(keys[index], index);
  }
  return [...chosen.values()];
}

/**
 * MetWork's rule: the variant equal to the configuration name wins, then the longest `_`-prefix
 * of it (`dev` for `dev_john`), then the plain key; any other variant is dropped (-1).
 */
export function variantScore(variant: string, configName: string): number {
  if (variant === configName) return Infinity;
  const parts = configName.split('_');
  for (let length = parts.length - 1; length >= 1; length--) {
    if (variant === parts.slice(0, length).join('_')) return length;
  }
  return -1;
}

/** `{{VAR}}` → the environment's VAR: a lookup, never an evaluation. */
function expand(entry: IniEntry, file: string, context: Context): string {
  const value = entry.value.includes('{{')
    ? entry.value.replace(PLACEHOLDER, (whole, inner: string) => {
        const name = PLACEHOLDER_NAME.exec(inner)?.[1];
        if (name === undefined) {
          context.warnings.push(
            `${file}:${entry.line}: "${whole}" is kept as written: only {{VARIABLE}} placeholders are replaced`,
          );
          return whole;
        }
        const found = context.lookup(name);
        if (found?.includes(REPLACEMENT_CHARACTER))
          throw new ConfigError(file, entry.line, `{{${name}}}: ${notUtf8(`the environment's ${name}`)}`);
        if (found === undefined)
          context.warnings.push(
            `${file}:${entry.line}: {{${name}}} is not set in the environment, so it is replaced by nothing`,
          );
        return found ?? '';
      })
    : entry.value;
  if (value.includes('\0')) {
    throw new ConfigError(
      file,
      entry.line,
      `the value of "${entry.key}" holds a NUL character, which no environment variable can carry`,
    );
  }
  return value;
}
