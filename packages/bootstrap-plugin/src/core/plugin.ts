// `promises` of node:fs, not node:fs/promises: loaded on first use, not at every start-up (docs/decisions.md).
import { promises as fs } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
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

/** What marks a plugin's root: any one of them. */
const ROOT_MARKERS = [CONFIG_FILE, LABEL_FILE, STATE_FILE];

/**
 * The root of the plugin `dir` is in: `dir` itself or its nearest parent holding a config.ini,
 * a `.layerapi2_label` or a `.bootstrap-plugin.json`, found as git finds its repository;
 * undefined outside any plugin. Commands that take a plugin directory call it on theirs.
 */
export async function findPluginRoot(dir: string): Promise<string | undefined> {
  for (let current = resolve(dir); ; current = dirname(current)) {
    for (const marker of ROOT_MARKERS) {
      if (
        await fs.lstat(join(current, marker)).then(
          () => true,
          () => false,
        )
      )
        return current;
    }
    if (dirname(current) === current) return undefined;
  }
}

/**
 * The plugin an existing directory is in: itself or its nearest parent holding a plugin's files,
 * as git finds its repository. A path that is not a directory stays as given, for the caller's
 * own message.
 */
export async function pluginRootOf(dir: string): Promise<string> {
  const info = await fs.stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) return dir;
  return (await findPluginRoot(dir)) ?? dir;
}

/**
 * Resolves a PATH argument; one that does not exist is a usage error saying what is expected.
 * A directory stands for the plugin it is in (see findPluginRoot), shown relative to `cwd`.
 */
export async function toSource(path: string, cwd: string): Promise<Source> {
  const absolute = resolve(cwd, path);
  const info = await fs.stat(absolute).catch(() => undefined);
  if (!info) throw new UsageError(`${path}: no such file or directory (expected a plugin directory or an ini file)`);
  if (!info.isDirectory()) return { shown: path, absolute, isDirectory: false };
  const root = await findPluginRoot(absolute);
  if (root === undefined) {
    throw new UsageError(
      `${path} is not inside a plugin: neither it nor a folder above it holds ${CONFIG_FILE}, ${LABEL_FILE} ` +
        `or ${STATE_FILE} (give a plugin directory or an ini file)`,
    );
  }
  const shown = root === absolute ? path : isAbsolute(path) ? root : relative(cwd, root) || '.';
  return { shown, absolute: root, isDirectory: true };
}

/** The plugin's name and module from its `.layerapi2_label` (`plugin_NAME@module`), as MetWork reads them. */
export async function readPluginLabel(dir: string): Promise<{ name: string; module: string } | undefined> {
  const label = (await fs.readFile(join(dir, LABEL_FILE), 'utf8').catch(() => '')).trim();
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
  return { absolute: join(source.absolute, CONFIG_FILE), shown: join(source.shown, CONFIG_FILE) };
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
    bytes = await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { answers: {} };
    throw new UsageError(`cannot read ${file}: ${ioReason(error)}`);
  }
  const data = parseJson(file, decodeUtf8(bytes, file));
  if (!isPlainObject(data))
    throw new ConfigError(file, undefined, 'expected a JSON object {template, module, answers}');
  const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    template: optionalString(data.template),
    module: optionalString(data.module),
    answers: isPlainObject(data.answers) ? data.answers : {},
  };
}
