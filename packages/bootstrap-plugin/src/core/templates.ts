import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, UsageError } from './errors.js';
import { findFieldProblems, type Field, type When } from './fields.js';
import { inDir } from './fs.js';
import { isPlainObject, parseJson } from './jsonfile.js';
import { readManifest } from './manifest.js';
import { printable, type NameRules } from './names.js';
import { METWORK2_TEMPLATES_DIR, type MetworkGeneration } from './metwork.js';
import { didYouMean } from './suggest.js';

const MANIFEST = 'template.json';
const CATALOG = 'catalog.json';
const NEXT_STEPS = 'next-steps.ejs';

/** Where a template comes from: shipped with the tool, a shipped pack, or a user's directory. */
export type TemplateSource = 'builtin' | 'pack' | 'user';

/** A validated template, with its `extends` chain resolved. */
export interface Template {
  name: string;
  description: string;
  source: TemplateSource;
  dir: string;
  fields: Field[];
  nameRules?: NameRules;
  /** Source paths under `files/` (a file or a directory) rendered only when their condition holds. */
  conditions: Record<string, When>;
  /** `files/` directories, base template first: later layers override earlier ones path by path. */
  layers: TemplateFile[];
  /** The `next-steps.ejs` printed after `create`, from the nearest layer that has one. */
  nextSteps?: TemplateFile;
}

/**
 * A path of a template with the folder its root-relative includes start from
 * (`include('/_common/partials/config.ini.ejs')`): the shipped templates folder for built-ins
 * and packs, the template's own directory for a user template, which no include may leave.
 */
export interface TemplateFile {
  path: string;
  root: string;
}

export interface TemplateLookup {
  /** The directory of built-in templates (this package's `templates/`). */
  builtinDir: string;
  /** User template directories, in order (`--templates-dir`, then `BOOTSTRAP_PLUGIN_TEMPLATES`). */
  userDirs: string[];
  /**
   * Which MetWork's MFSERV templates are the built-ins (default `0.9`); packs and user templates
   * are the same for both.
   */
  generation?: MetworkGeneration;
}

export interface TemplateList {
  templates: Template[];
  /** Non-fatal findings, e.g. a user template shadowed by an earlier one of the same name. */
  warnings: string[];
}

interface Catalog {
  builtin: string[];
  packs: string[];
}

/** Every available template: built-ins in catalogue order, then packs, then user templates. */
export function listTemplates(lookup: TemplateLookup): TemplateList {
  const shipped = shippedCatalog(lookup);
  // The MFSERV templates extend one base: read and check it once, not once per template.
  const bases = new Map<string, Template>();
  const templates = [
    ...shipped.builtin.map((name) => loadTemplate(inDir(shipped.dir, name), 'builtin', lookup.builtinDir, [], bases)),
    ...shipped.packs.map((name) => loadTemplate(inDir(lookup.builtinDir, name), 'pack', lookup.builtinDir, [], bases)),
  ];
  const warnings: string[] = [];
  for (const dir of lookup.userDirs) {
    for (const templateDir of userTemplateDirs(dir)) {
      const template = loadTemplate(templateDir, 'user', templateDir, [], bases);
      const taken = templates.find((t) => t.name === template.name);
      if (taken) warnings.push(`${templateDir}: ignored, the name "${template.name}" is taken by ${taken.dir}`);
      else templates.push(template);
    }
  }
  return { templates, warnings };
}

/**
 * Finds a template by name (built-ins, packs, user directories) or by path (a value holding
 * a `/`, or starting with `.`), so `--template=./my-template` works without registering it.
 */
export function findTemplate(nameOrPath: string, lookup: TemplateLookup, cwd: string): Template {
  if (isTemplatePath(nameOrPath)) {
    const dir = resolve(cwd, nameOrPath);
    if (!existsSync(join(dir, MANIFEST))) {
      throw new UsageError(`no template at ${dir} (expected ${join(dir, MANIFEST)})`);
    }
    return loadTemplate(dir, 'user');
  }
  const shipped = shippedCatalog(lookup);
  if (shipped.builtin.includes(nameOrPath))
    return loadTemplate(inDir(shipped.dir, nameOrPath), 'builtin', lookup.builtinDir);
  if (shipped.packs.includes(nameOrPath))
    return loadTemplate(inDir(lookup.builtinDir, nameOrPath), 'pack', lookup.builtinDir);
  const userDirs = lookup.userDirs.flatMap(userTemplateDirs);
  const match = userDirs.find((dir) => basename(dir) === nameOrPath);
  if (match) return loadTemplate(match, 'user');
  const other: MetworkGeneration = lookup.generation === '2' ? '0.9' : '2';
  if (shippedCatalog({ ...lookup, generation: other }).builtin.includes(nameOrPath)) {
    throw new UsageError(
      `template "${nameOrPath}" is one of MetWork ${other}'s: add --metwork ${other} (see: bootstrap-plugin ` +
        `list --metwork ${other})`,
    );
  }
  const known = [...shipped.builtin, ...shipped.packs, ...userDirs.map((dir) => basename(dir))];
  throw new UsageError(`unknown template "${nameOrPath}"${didYouMean(nameOrPath, known)} (see: bootstrap-plugin list)`);
}

/**
 * The shipped templates, in catalogue order: the built-in MFSERV templates of the chosen MetWork
 * generation (`builtin`, in `dir`) and the packs (in `builtinDir`, whichever the generation).
 */
function shippedCatalog(lookup: TemplateLookup): Catalog & { dir: string } {
  const main = readCatalog(lookup.builtinDir);
  if (lookup.generation !== '2') return { ...main, dir: lookup.builtinDir };
  const dir = join(lookup.builtinDir, METWORK2_TEMPLATES_DIR);
  return { builtin: readCatalog(dir).builtin, packs: main.packs, dir };
}

const isTemplatePath = (nameOrPath: string) => nameOrPath.includes('/') || nameOrPath.startsWith('.');

/**
 * The template a plugin's `.bootstrap-plugin.json` names, trusted as a name (looked up in the
 * built-ins, packs and the user's own template directories) or as a path only when it is one of
 * those directories' templates: any other path could point at code that came with the plugin,
 * and rendering a template runs its EJS.
 */
export function trustedStateTemplate(name: string, stateFile: string, lookup: TemplateLookup): string {
  const isUsersOwn = () => lookup.userDirs.flatMap(userTemplateDirs).some((dir) => resolve(dir) === resolve(name));
  if (isTemplatePath(name) && !isUsersOwn()) {
    throw new UsageError(
      `${stateFile} names its template by path (${printable(name)}), which is not trusted from a plugin's ` +
        `own files: pass --template ${printable(name)} if you trust that template`,
    );
  }
  return name;
}

function readCatalog(builtinDir: string): Catalog {
  const file = join(builtinDir, CATALOG);
  const data = parseJson(file, readFileSync(file, 'utf8'));
  const isNames = (v: unknown) => Array.isArray(v) && v.every((n) => typeof n === 'string');
  if (!isPlainObject(data) || !isNames(data.builtin) || !isNames(data.packs)) {
    throw new ConfigError(file, undefined, 'expected {"builtin": [names], "packs": [names]}');
  }
  return data as unknown as Catalog;
}

/** Sub-directories of a user template directory that hold a manifest, sorted by name. */
function userTemplateDirs(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    throw new UsageError(
      `templates directory ${dir} cannot be read (check --templates-dir and BOOTSTRAP_PLUGIN_TEMPLATES)`,
    );
  }
  return entries
    .filter((entry) => !entry.startsWith('_') && !entry.startsWith('.'))
    .sort()
    .map((entry) => join(dir, entry))
    .filter((path) => existsSync(inDir(path, MANIFEST)));
}

/**
 * Reads and validates `dir/template.json`, following `extends` (a sibling directory name).
 * `root` is where its includes start (see TemplateFile); `bases` keeps the base templates already
 * loaded by the same listing.
 */
export function loadTemplate(
  dir: string,
  source: TemplateSource,
  root = dir,
  chain: string[] = [],
  bases = new Map<string, Template>(),
): Template {
  const file = inDir(dir, MANIFEST);
  if (chain.includes(dir))
    throw new ConfigError(file, undefined, `"extends" makes a cycle: ${[...chain, dir].join(' -> ')}`);
  // The package's own templates are trusted as its code is: their fields are checked by its tests
  // (engine.test.ts), not at each start, and their manifests read in one call.
  const shipped = source !== 'user';
  const manifest = readManifest(file, basename(dir), shipped);
  const base =
    manifest.extends === undefined
      ? undefined
      : loadBase(dir, manifest.extends, { source, root }, [...chain, dir], file, bases);
  const ownFields = manifest.fields ?? [];
  const fields = [...(base?.fields ?? []).filter((f) => !ownFields.some((own) => own.name === f.name)), ...ownFields];
  const problems = shipped ? [] : findFieldProblems(fields);
  if (problems.length > 0) throw new ConfigError(file, undefined, problems[0]);
  const filesDir = inDir(dir, 'files');
  const nextSteps = inDir(dir, NEXT_STEPS);
  const hasFiles = kindOf(filesDir, 'directory');
  const hasNextSteps = kindOf(nextSteps, 'file');
  return {
    name: manifest.name ?? basename(dir),
    description: manifest.description ?? '',
    source,
    dir,
    fields,
    nameRules: mergeNameRules(base?.nameRules, manifest.nameRules),
    conditions: { ...base?.conditions, ...manifest.conditions },
    layers: [...(base?.layers ?? []), ...(hasFiles ? [{ path: filesDir, root }] : [])],
    nextSteps: hasNextSteps ? { path: nextSteps, root } : base?.nextSteps,
  };
}

function loadBase(
  dir: string,
  name: string,
  { source, root }: { source: TemplateSource; root: string },
  chain: string[],
  file: string,
  bases: Map<string, Template>,
): Template {
  const baseDir = resolve(dirname(dir), name);
  const loaded = bases.get(baseDir);
  if (loaded && loaded.source === source) return loaded;
  if (!existsSync(inDir(baseDir, MANIFEST))) {
    throw new ConfigError(file, undefined, `extends: no template at ${baseDir}`);
  }
  // A user base is a template of its own: its includes start from its own directory.
  const base = loadTemplate(baseDir, source, source === 'user' ? baseDir : root, chain, bases);
  bases.set(baseDir, base);
  return base;
}

function mergeNameRules(base: NameRules | undefined, own: NameRules | undefined): NameRules | undefined {
  if (!base || !own) return own ?? base;
  return { ...base, ...own, reserved: [...(base.reserved ?? []), ...(own.reserved ?? [])] };
}

/**
 * Whether a template's `files/` or `next-steps.ejs` is there, as the `expected` kind. A symbolic
 * link is refused, not followed: it could copy or print any file of the machine (a secret).
 */
function kindOf(path: string, expected: 'directory' | 'file'): boolean {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (!stats) return false;
  if (stats.isSymbolicLink())
    throw new ConfigError(path, undefined, 'templates cannot hold symbolic links (copy it instead)');
  if (expected === 'directory' ? !stats.isDirectory() : !stats.isFile())
    throw new ConfigError(path, undefined, `expected a ${expected === 'file' ? 'plain file' : expected}`);
  return true;
}
