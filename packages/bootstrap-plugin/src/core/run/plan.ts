import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';
import { collectVariables, readSettings } from '../env.js';
import { CONFIG_FILE, readPluginName, toSource } from '../plugin.js';
import { UsageError } from '../errors.js';
import type { Runtime } from './commands.js';
import { APP_PREFIX, DAEMON_PREFIX, planApp, planDaemon, SectionReader, withPythonPath } from './plan-sections.js';

/**
 * What a plugin's config.ini asks `run` to start and serve: its `[app_*]` applications with
 * their workers, URL prefixes and static directories, its `[extra_daemon_*]` commands, and
 * the environment they all get (`env`'s variables, as MFSERV gives them).
 */

export interface AppPlan {
  name: string;
  /** Number of worker processes (0 for a static application). */
  workers: number;
  /** One worker's command for its socket; undefined for a static application. */
  command?: (socketPath: string) => string[];
  /** URL prefixes routed to it, longest match first; the path keeps the prefix. */
  prefixes: string[];
  /** URL prefixes (full, from `/`) served from a directory instead. */
  statics: { urlPrefix: string; dir: string }[];
  timeoutSeconds: number;
  /** Its workers' environment. */
  env: Record<string, string>;
}

export interface DaemonPlan {
  name: string;
  copies: number;
  command: string[];
  env: Record<string, string>;
}

export interface RunPlan {
  pluginName: string;
  pluginDir: string;
  /** The plugin root as messages show it: found upward from a sub-folder, as env does. */
  shown: string;
  apps: AppPlan[];
  daemons: DaemonPlan[];
  warnings: string[];
}

export interface PlanOptions {
  dir: string;
  cwd: string;
  module: string;
  configName: string;
  environment: Record<string, string | undefined>;
  runtime: Runtime;
}

/** MFSERV's nginx timeout (`MFSERV_NGINX_TIMEOUT`) when an application's is 0. */
const DEFAULT_TIMEOUT_SECONDS = 60;
/** The hardware placeholders the templates use for `workers`: MetWork 2's, then 0.9's. */
const HARDWARE_PLACEHOLDERS = [
  ['MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2', 2],
  ['MFCOM_HARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2', 2],
  ['MFCOM_HARDWARE_NUMBER_OF_CPU_CORES', 1],
] as const;

/** Reads the plugin in `options.dir` and works out everything `run` starts. */
export async function planRun(options: PlanOptions): Promise<RunPlan> {
  const source = await toSource(options.dir, options.cwd);
  if (!source.isDirectory)
    throw new UsageError(`${options.dir}: not a directory (run takes a plugin directory, the one holding config.ini)`);
  const pluginDir = source.absolute;
  const shown = join(source.shown, CONFIG_FILE);
  // MetWork's hardware placeholders, which the templates use for `workers`.
  const hardware = Object.fromEntries(
    HARDWARE_PLACEHOLDERS.map(([name, factor]) => [name, String(availableParallelism() * factor)]),
  );
  const environment: Record<string, string | undefined> = { ...hardware, ...options.environment };
  const { variables, warnings } = await collectVariables({
    paths: [options.dir],
    cwd: options.cwd,
    module: options.module,
    configName: options.configName,
    environment,
  });
  const { sections } = await readSettings({
    file: join(pluginDir, CONFIG_FILE),
    shown,
    configName: options.configName,
    environment,
  });
  const pluginName = await readPluginName(pluginDir);
  const env = childEnvironment(environment, variables, pluginDir, options.runtime);
  // 0.9 says it per application, 2.x once in [general]; both default to true.
  const general = sections.get('general');
  const pluginOnPath = general
    ? new SectionReader(shown, 'general', general).flag('add_plugin_dir_to_python_path', true)
    : true;
  const nginxTimeout = Number(environment[`${options.module.toUpperCase()}_NGINX_TIMEOUT`]) || DEFAULT_TIMEOUT_SECONDS;
  const appSections = [...sections].filter(([name]) => name.startsWith(APP_PREFIX));
  const apps = appSections.map(([section, settings]) => {
    const reader = new SectionReader(shown, section, settings);
    return planApp(reader, {
      pluginName,
      pluginDir,
      single: appSections.length === 1,
      nginxTimeout,
      runtime: options.runtime,
      env,
      pluginOnPath,
    });
  });
  const daemons = [...sections]
    .filter(([name]) => name.startsWith(DAEMON_PREFIX))
    .map(([section, settings]) =>
      planDaemon(
        new SectionReader(shown, section, settings),
        pluginName,
        pluginDir,
        withPythonPath(env, pluginOnPath ? [pluginDir] : []),
      ),
    );
  return { pluginName, pluginDir, shown: source.shown, apps, daemons, warnings };
}

/**
 * What every worker and daemon gets: the caller's environment, the plugin's variables, its
 * bin/ first on the PATH (MFSERV's layer does that), and the package's runtime stand-ins
 * last, so a real MetWork's win.
 */
function childEnvironment(
  environment: Record<string, string | undefined>,
  variables: { name: string; value: string }[],
  pluginDir: string,
  runtime: Runtime,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) if (typeof value === 'string') env[name] = value;
  for (const variable of variables) env[variable.name] = variable.value;
  env.PATH = [join(pluginDir, 'bin'), env.PATH, runtime.binDir].filter(Boolean).join(delimiter);
  return env;
}
