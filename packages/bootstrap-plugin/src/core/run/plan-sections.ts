import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Setting } from '../env.js';
import { ConfigError, UsageError } from '../errors.js';
import { command09, command2, isType09, splitWords, TYPES_09, type Runtime, type WorkerContext } from './commands.js';
import type { AppPlan, DaemonPlan } from './plan.js';

/**
 * What one section of config.ini asks `run` for: an `[app_*]` application (MetWork 0.9's
 * `type`, or 2.x's `_cmd_and_args`), an `[extra_daemon_*]` command; and the checks that name a
 * command that cannot start before any worker is restarted forever.
 */

export const APP_PREFIX = 'app_';
export const DAEMON_PREFIX = 'extra_daemon_';
const TRUE_WORDS = new Set(['1', 'yes', 'true', 'on']);

/** One section's settings, 2.x's `_key` read where 0.9 says `key`, errors naming file:line. */
export class SectionReader {
  constructor(
    readonly file: string,
    readonly section: string,
    private readonly settings: Map<string, Setting>,
  ) {}

  setting(key: string): (Setting & { key: string }) | undefined {
    for (const name of [key, `_${key}`]) {
      const found = this.settings.get(name);
      if (found) return { ...found, key: name };
    }
    return undefined;
  }

  get(key: string): string | undefined {
    const value = this.setting(key)?.value.trim();
    return value === undefined || value === '' || value === 'null' ? undefined : value;
  }

  flag(key: string, fallback: boolean): boolean {
    const value = this.get(key);
    return value === undefined ? fallback : TRUE_WORDS.has(value.toLowerCase());
  }

  count(key: string, fallback: number): number {
    const setting = this.setting(key);
    const value = this.get(key);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < 1)
      throw this.error(setting!, `must be a whole number of at least 1, not "${value}"`);
    return Number(value);
  }

  /** The value split into command words; an unclosed quote is the file's error. */
  words(key: string): string[] {
    const value = this.get(key);
    try {
      return value === undefined ? [] : splitWords(value);
    } catch (error) {
      throw this.error(this.setting(key)!, `${(error as Error).message}: ${value}`);
    }
  }

  error(setting: Setting & { key: string }, detail: string): ConfigError {
    return new ConfigError(this.file, setting.line, `[${this.section}] ${setting.key} ${detail}`);
  }
}

export interface AppContext {
  pluginName: string;
  pluginDir: string;
  single: boolean;
  nginxTimeout: number;
  runtime: Runtime;
  env: Record<string, string>;
  pluginOnPath: boolean;
}

export function planApp(reader: SectionReader, context: AppContext): AppPlan {
  const name = reader.section.slice(APP_PREFIX.length);
  const appDir = join(context.pluginDir, name);
  const debug = reader.flag('debug', false);
  const timeout = Number(reader.get('timeout') ?? 0);
  const timeoutSeconds = timeout > 0 ? timeout : context.nginxTimeout;
  const worker = (socketPath: string): WorkerContext => ({
    pluginName: context.pluginName,
    pluginDir: context.pluginDir,
    appName: name,
    socketPath,
    timeoutSeconds,
    debug,
  });
  let command: AppPlan['command'];
  const statics: AppPlan['statics'] = [];
  const prefixes = routedPrefixes(reader, context.pluginName, name, context.single);
  const cmdAndArgs = reader.setting('cmd_and_args');
  // A 2.x static application has neither `_cmd_and_args` nor `type`, only `_static_routing`.
  const generation2 =
    cmdAndArgs !== undefined ||
    (!reader.setting('type') && reader.setting('static_routing')?.key === '_static_routing');
  if (generation2) {
    const line = reader.get('cmd_and_args');
    if (cmdAndArgs && line !== undefined) {
      checkProgram(reader, cmdAndArgs, reader.words('cmd_and_args')[0], context);
      if (reader.words('cmd_and_args')[0] === 'node') checkNodeModules(context.pluginDir);
      reader.words('debug_extra_options');
      command = (socketPath) => command2(line, reader.get('debug_extra_options') ?? '', worker(socketPath));
    }
    if (reader.flag('static_routing', false)) {
      const urlPrefix = reader.setting('static_url_prefix')?.value.trim() ?? '/static';
      const dir = reader.setting('static_directory')?.value.trim() ?? '/static';
      for (const prefix of prefixes) statics.push({ urlPrefix: `${prefix}${urlPrefix}`, dir: join(appDir, dir) });
    }
  } else {
    const typeSetting = reader.setting('type');
    const type = reader.get('type') ?? '';
    if (!typeSetting || !isType09(type)) {
      const where = typeSetting ?? { key: 'type', line: 1, value: '' };
      throw reader.error(
        where,
        `${typeSetting ? `= ${type}: unknown type` : 'is missing'} (expected one of ${TYPES_09.join(', ')}, ` +
          'or a MetWork 2 _cmd_and_args)',
      );
    }
    const mainArg = reader.get('main_arg') ?? reader.get('gunicorn_arg') ?? '';
    const nodeOptions = reader.get('node_extra_opts') ?? '';
    reader.words('node_extra_opts');
    if (type === 'static') for (const prefix of prefixes) statics.push({ urlPrefix: prefix, dir: appDir });
    else {
      command = (socketPath) => command09(type, mainArg, nodeOptions, context.runtime, worker(socketPath))!;
      if (type === 'node') checkNodeModules(context.pluginDir);
      if (reader.flag('static_routing', true))
        for (const prefix of prefixes) statics.push({ urlPrefix: `${prefix}/static`, dir: join(appDir, 'static') });
    }
  }
  // debug=1 forces one worker, as MFSERV does, so a debugger session stays on one process.
  const workers = command ? (debug ? 1 : reader.count('workers', reader.count('numprocesses', 1))) : 0;
  const pythonPath = [
    ...(reader.flag('add_plugin_dir_to_python_path', context.pluginOnPath) ? [context.pluginDir] : []),
    ...(reader.flag('add_app_dir_to_python_path', false) ? [appDir] : []),
  ];
  return { name, workers, command, prefixes, statics, timeoutSeconds, env: withPythonPath(context.env, pythonPath) };
}

/** `/NAME/APP` for every application; `/NAME` too for `main` or a plugin's only one; extra routes. */
function routedPrefixes(reader: SectionReader, pluginName: string, name: string, single: boolean): string[] {
  const prefixes: string[] = [];
  if (reader.flag('prefix_based_routing', true)) {
    prefixes.push(`/${pluginName}/${name}`);
    if (name === 'main' || single) prefixes.push(`/${pluginName}`);
  }
  const extra = reader.get('prefix_based_routing_extra_routes');
  for (const route of extra?.split(';') ?? [])
    if (route.trim()) prefixes.push(route.trim() === '/' ? '' : route.trim().replace(/\/+$/, ''));
  return prefixes;
}

export function planDaemon(
  reader: SectionReader,
  pluginName: string,
  pluginDir: string,
  env: Record<string, string>,
): DaemonPlan {
  const name = reader.section.slice(DAEMON_PREFIX.length);
  const line = reader.get('cmd_and_args');
  const setting = reader.setting('cmd_and_args');
  if (line === undefined)
    throw reader.error(
      setting ?? { key: 'cmd_and_args', line: 1, value: '' },
      'is missing: an extra daemon needs the command to run',
    );
  const values: Record<string, string> = { plugin_name: pluginName, plugin_dir: pluginDir };
  const command = reader
    .words('cmd_and_args')
    .map((word) => word.replace(/\{(plugin_name|plugin_dir)\}/g, (_, key: string) => values[key]));
  return { name, copies: reader.count('numprocesses', 1), command, env };
}

/** A command that cannot start is a configuration problem to name now, not a worker to restart forever. */
function checkProgram(
  reader: SectionReader,
  setting: Setting & { key: string },
  program: string | undefined,
  context: AppContext,
): void {
  if (!program) throw reader.error(setting, 'is empty');
  if (program.includes('{')) return;
  if (!findProgram(program, context.env.PATH ?? '', context.pluginDir)) {
    throw reader.error(
      setting,
      `runs "${program}", which is not on the PATH (it is part of MetWork's runtime, or a program to install)`,
    );
  }
}

/**
 * MFSERV installs a node plugin's dependencies when it builds it; without them every worker
 * would fail and restart forever, so say what to run instead.
 */
function checkNodeModules(pluginDir: string): void {
  let dependencies = 0;
  try {
    const manifest = JSON.parse(readFileSync(join(pluginDir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    dependencies = Object.keys(manifest.dependencies ?? {}).length;
  } catch {
    return;
  }
  if (dependencies > 0 && !existsSync(join(pluginDir, 'node_modules'))) {
    throw new UsageError(
      `${join(pluginDir, 'package.json')}: its dependencies are not installed: run "npm install" in ` +
        `${pluginDir} first (MFSERV does it when it builds the plugin)`,
    );
  }
}

/** The program a command's first word names, as execvp finds it. */
export function findProgram(program: string, path: string, cwd: string): string | undefined {
  const candidates = program.includes('/')
    ? [resolve(cwd, program)]
    : path
        .split(delimiter)
        .filter(isAbsolute)
        .map((dir) => join(dir, program));
  return candidates.find(isExecutable);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `env` with `dirs` in front of its PYTHONPATH (`add_plugin_dir_to_python_path`, `add_app_dir_to_python_path`). */
export function withPythonPath(env: Record<string, string>, dirs: string[]): Record<string, string> {
  const pythonPath = [...dirs, env.PYTHONPATH].filter(Boolean).join(delimiter);
  return pythonPath ? { ...env, PYTHONPATH: pythonPath } : env;
}
