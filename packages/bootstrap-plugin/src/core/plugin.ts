import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ConfigError, ioReason, UsageError } from './errors.js';
import type { Answers } from './fields.js';
import { decodeUtf8 } from './fs.js';
import { isPlainObject, parseJson } from './jsonfile.js';
import type { RenderedFile } from './render.js';
import type { Template } from './templates.js';

/**
 * What a plugin directory is: its config.ini, its `.layerapi2_label` (`plugin_NAME@module`) and
 * the state file this tool leaves for later commands.
 */

export const CONFIG_FILE = 'config.ini';
/** The file a plugin keeps its template and answers in, for later commands (`config check`). */
export const STATE_FILE = '.bootstrap-plugin.json';
export const LABEL_FILE = '.layerapi2_label';
const LABEL_PATTERN = /^plugin_(.+)@(.+)$/;

/** A PATH argument: a plugin directory or an ini file. */
export interface Source {
  /** As the user wrote it, for messages. */
  shown: string;
  absolute: string;
  isDirectory: boolean;
}

/** Resolves a PATH argument; one that does not exist is a usage error saying what is expected. */
export async function toSource(path: string, cwd: string): Promise<Source> {
  const absolute = resolve(cwd, path);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) throw new UsageError(`${path}: no such file or directory (expected a plugin directory or an ini file)`);
  return { shown: path, absolute, isDirectory: info.isDirectory() };
}

/** The plugin's name and module from its `.layerapi2_label` (`plugin_NAME@module`), as MetWork reads them. */
export async function readPluginLabel(dir: string): Promise<{ name: string; module: string } | undefined> {
  const label = (await readFile(join(dir, LABEL_FILE), 'utf8').catch(() => '')).trim();
  const match = LABEL_PATTERN.exec(label);
  return match ? { name: match[1], module: match[2] } : undefined;
}

/** A plugin's name as MetWork knows it: from its `.layerapi2_label`, else its directory's name. */
export async function readPluginName(dir: string): Promise<string> {
  return (await readPluginLabel(dir))?.name ?? basename(dir);
}

/** PATH is a plugin directory (its config.ini) or an ini file. */
export async function toConfigFile(path: string, cwd: string): Promise<Omit<Source, 'isDirectory'>> {
  const source = await toSource(path, cwd);
  if (!source.isDirectory) return source;
  return { absolute: join(source.absolute, CONFIG_FILE), shown: join(path, CONFIG_FILE) };
}

export interface State {
  template?: string;
  module?: string;
  answers: Record<string, unknown>;
}

/**
 * `.bootstrap-plugin.json`: what `config check` and a re-run need to know about the plugin.
 * A user template is recorded by its directory, so it is found again without `--templates-dir`.
 */
export function stateFile(template: Template, module: string, toolVersion: string, answers: Answers): RenderedFile {
  const state = { template: template.source === 'user' ? template.dir : template.name, module, toolVersion, answers };
  return { path: STATE_FILE, content: Buffer.from(`${JSON.stringify(state, null, 2)}\n`), mode: 0o644 };
}

/** The plugin's `.bootstrap-plugin.json`; a plugin without one has no recorded template or answers. */
export async function readState(pluginDir: string): Promise<State> {
  const file = join(pluginDir, STATE_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { answers: {} };
    throw new UsageError(`cannot read ${file}: ${ioReason(error)}`);
  }
  const data = parseJson(file, decodeUtf8(bytes, file));
  if (!isPlainObject(data)) throw new ConfigError(file, undefined, 'expected a JSON object {template, module, answers}');
  const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    template: optionalString(data.template),
    module: optionalString(data.module),
    answers: isPlainObject(data.answers) ? data.answers : {},
  };
}
