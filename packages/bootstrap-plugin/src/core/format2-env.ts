import { lookup as dnsLookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { refusal } from './format2-check.js';
import { readFormat2Config, type Format2Finding } from './format2-config.js';
import { validateFormat2, type Format2Document, type Format2Scalar } from './format2-schema.js';
import { FORMAT_VERSION_FILE } from './metwork.js';
import { metworkLookup } from './metwork-defaults.js';
import { LABEL_FILE, readPluginLabel } from './plugin.js';

/**
 * `env` for a plugin of format 2: the environment MetWork's `plugin_env` gives it
 * (mfplugin's `get_plugin_env_dict`): the variables of the plugins it depends on, its public
 * keys (typed and defaulted as mfplugin reads them), NAME/DIR/LABEL, and PYTHONPATH.
 */

export interface Format2EnvOptions {
  /** The plugin directory, as given and absolute. */
  shown: string;
  dir: string;
  /** Ini files given after the directory: read after MetWork's override files, each overriding what comes before. */
  extraFiles: string[];
  /** Lower-case module name. */
  module: string;
  configName: string;
  environment: Record<string, string | undefined>;
}

export interface Format2Variable {
  name: string;
  value: string;
  file: string;
  line?: number;
}

export interface Format2EnvResult {
  variables: Format2Variable[];
  warnings: string[];
  /** MetWork variables computed from the machine because no MetWork environment is loaded. */
  notes: string[];
}

const DEPENDENCIES_FILE = '.layerapi2_dependencies';
const ENV_NAME_PART = /^[A-Za-z0-9_-]+$/;
const STATIC_HOSTS = new Map([
  ['127.0.0.1', '127.0.0.1'],
  ['localhost', '127.0.0.1'],
  ['localhost.localdomain', '127.0.0.1'],
]);
const DNS_ERROR = 'dns_error';

/** Whether `dir` holds a plugin of format 2 (MetWork >= 1.0). */
export function isFormat2Plugin(dir: string): boolean {
  return existsSync(join(dir, FORMAT_VERSION_FILE));
}

interface Run {
  options: Format2EnvOptions;
  MODULE: string;
  lookup: (name: string) => string | undefined;
  warnings: string[];
  /** Plugin homes already on the way, so a dependency cycle ends. */
  visiting: Set<string>;
}

export async function format2Environment(options: Format2EnvOptions): Promise<Format2EnvResult> {
  const notes: string[] = [];
  const run: Run = {
    options,
    MODULE: options.module.toUpperCase(),
    lookup: metworkLookup(options.environment, options.module, notes),
    warnings: [],
    visiting: new Set(),
  };
  const variables = await pluginVariables(run, options.dir, options.shown, true);
  return { variables: [...variables.values()], warnings: run.warnings, notes };
}

/** One plugin's variables; a dependency (`main` false) adds TMPDIR and no NAME/DIR/LABEL, as mfplugin does. */
async function pluginVariables(
  run: Run,
  dir: string,
  shown: string,
  main: boolean,
): Promise<Map<string, Format2Variable>> {
  const { options, MODULE } = run;
  run.visiting.add(dir);
  const label = await readPluginLabel(dir);
  if (!label || label.module !== options.module) {
    throw new ConfigError(
      join(shown, LABEL_FILE),
      undefined,
      `expected plugin_NAME@${options.module}, as MetWork requires (or give --module ${label?.module ?? 'MODULE'})`,
    );
  }
  const identity = new Map<string, string>([
    [`${MODULE}_CURRENT_PLUGIN_NAME`, label.name],
    [`${MODULE}_CURRENT_PLUGIN_DIR`, dir],
    [`${MODULE}_CURRENT_PLUGIN_LABEL`, `plugin_${label.name}@${options.module}`],
  ]);
  // mfplugin reads the configuration inside the plugin's own environment: {{MFSERV_CURRENT_PLUGIN_DIR}} works.
  const lookup = (name: string) => identity.get(name) ?? run.lookup(name);
  const config = await readFormat2Config({
    dir,
    shown,
    name: label.name,
    module: options.module,
    configName: options.configName.toLowerCase(),
    environment: options.environment,
    lookup,
    extraFiles: main ? options.extraFiles : [],
  });
  const { document, findings } = validateFormat2(config, { dir, module: options.module, lookup });
  const all = [...config.findings, ...findings];
  const error = refusal(all, shown);
  if (error) throw error;
  if (main) run.warnings.push(...all.map(findingText));
  if (options.module === 'mfserv') applyMfservApps(document);
  await addHostAddresses(document);

  const variables = new Map<string, Format2Variable>();
  for (const home of await dependencyHomes(run, dir)) {
    // As mfplugin: a dependency that cannot be read is left out, silently.
    const theirs = await pluginVariables(run, home, home, false).catch(() => new Map<string, Format2Variable>());
    for (const [name, variable] of theirs) variables.set(name, variable);
  }
  const file = join(shown, 'config.ini');
  for (const [section, keys] of document) {
    if (!ENV_NAME_PART.test(section)) continue;
    for (const [key, value] of keys) {
      if (key.startsWith('_') || !ENV_NAME_PART.test(key)) continue;
      const name = `${MODULE}_CURRENT_PLUGIN_${section.toUpperCase()}_${key.toUpperCase()}`.replaceAll('-', '_');
      const origin = config.sections.get(section)?.keys.get(key);
      variables.set(name, { name, value: toEnvValue(value), file: origin?.file ?? file, line: origin?.line });
    }
  }
  if (main) for (const [name, value] of identity) variables.set(name, { name, value, file: shown });
  else await addTmpDir(run, label.name, variables, shown);
  if (document.get('general')?.get('_add_plugin_dir_to_python_path') !== false) {
    const inherited = options.environment.PYTHONPATH;
    variables.set('PYTHONPATH', { name: 'PYTHONPATH', value: inherited ? `${dir}:${inherited}` : dir, file: shown });
  }
  run.visiting.delete(dir);
  return variables;
}

function findingText(finding: Format2Finding): string {
  return `${finding.line === undefined ? finding.file : `${finding.file}:${finding.line}`}: ${finding.message}`;
}

function toEnvValue(value: Format2Scalar): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

/**
 * MFSERV's App: debug forces one process and no max_age, and graceful_timeout is always
 * timeout + smart_stop_delay + 10 (so circus never kills the signal wrapper first).
 */
function applyMfservApps(document: Format2Document): void {
  for (const [section, keys] of document) {
    if (!section.startsWith('app_')) continue;
    const debug = keys.get('debug') === true;
    if (debug && Number(keys.get('numprocesses')) > 0) keys.set('numprocesses', 1);
    if (debug && Number(keys.get('max_age')) > 0) keys.set('max_age', 0);
    keys.set('graceful_timeout', Number(keys.get('timeout')) + Number(keys.get('smart_stop_delay')) + 10);
  }
}

/** `X_hostname` adds `X_hostname_ip`, `X_hostnames` adds `X_hostnames_ips` (`;`-separated), unless set already. */
async function addHostAddresses(document: Format2Document): Promise<void> {
  for (const keys of document.values()) {
    // A copy: the loop adds the `_ip` keys to the map it walks.
    // oxlint-disable-next-line unicorn/no-useless-spread
    for (const [key, value] of [...keys]) {
      const single = key === 'hostname' || key.endsWith('_hostname');
      const several = key === 'hostnames' || key.endsWith('_hostnames');
      if (!single && !several) continue;
      const target = single ? `${key}_ip` : `${key}_ips`;
      if (keys.has(target)) continue;
      const hosts = single ? [String(value)] : String(value).split(';');
      keys.set(target, (await Promise.all(hosts.map(resolveHost))).join(';'));
    }
  }
}

/** MetWork's resolve(): `null` and unix socket paths are kept; else the IPv4 address, or dns_error. */
async function resolveHost(host: string): Promise<string> {
  if (host.toLowerCase() === 'null' || host.startsWith('/')) return host;
  const known = STATIC_HOSTS.get(host.toLowerCase());
  if (known) return known;
  try {
    return (await dnsLookup(host.toLowerCase(), { family: 4 })).address;
  } catch {
    return DNS_ERROR;
  }
}

/** Homes of the `plugin_…` layers named in .layerapi2_dependencies, found in the plugins base directory. */
async function dependencyHomes(run: Run, dir: string): Promise<string[]> {
  const text = await readFile(join(dir, DEPENDENCIES_FILE), 'utf8').catch(() => '');
  const labels = text
    .split('\n')
    .map((line) => line.trim().replace(/^-/, ''))
    .filter((label) => label.startsWith('plugin_'));
  if (labels.length === 0) return [];
  const base = pluginsBaseDir(run.options.environment);
  if (!base) return [];
  const entries = await readdir(base).catch(() => [] as string[]);
  const homes: string[] = [];
  for (const label of labels) {
    for (const entry of entries) {
      if (entry === 'base') continue;
      const home = resolve(base, entry);
      const found = (await readFile(join(home, LABEL_FILE), 'utf8').catch(() => '')).trim();
      if (found !== label) continue;
      if (!run.visiting.has(home)) homes.push(home);
      break;
    }
  }
  return homes;
}

/** `$MFMODULE_PLUGINS_BASE_DIR`, else `$MFMODULE_RUNTIME_HOME/var/plugins` (nothing without either). */
function pluginsBaseDir(environment: Record<string, string | undefined>): string | undefined {
  if (environment.MFMODULE_PLUGINS_BASE_DIR) return environment.MFMODULE_PLUGINS_BASE_DIR;
  return environment.MFMODULE_RUNTIME_HOME ? join(environment.MFMODULE_RUNTIME_HOME, 'var', 'plugins') : undefined;
}

/** A dependency's own TMPDIR, `$MFMODULE_RUNTIME_HOME/tmp/NAME`, created as mfplugin creates it. */
async function addTmpDir(
  run: Run,
  name: string,
  variables: Map<string, Format2Variable>,
  shown: string,
): Promise<void> {
  const runtime = run.options.environment.MFMODULE_RUNTIME_HOME;
  if (!runtime) return;
  const tmpdir = join(runtime, 'tmp', name);
  if (
    await mkdir(tmpdir, { recursive: true }).then(
      () => true,
      () => false,
    )
  )
    variables.set('TMPDIR', { name: 'TMPDIR', value: tmpdir, file: shown });
}
