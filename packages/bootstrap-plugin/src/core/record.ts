// `promises` of node:fs, not node:fs/promises: loaded on first use, not at every start-up (docs/decisions.md).
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ioReason, UsageError, WorkError } from './errors.js';
import { isPlainObject, parseJson } from './jsonfile.js';
import { printable } from './names.js';
import { STATE_FILE } from './plugin.js';
import { secretLogOf, type RenderContext } from './render-context.js';
import type { RenderedFile } from './render.js';

/**
 * What a plugin keeps about its own making, beside `.bootstrap-plugin.json` (template, module,
 * answers: see plugin.ts): `.bootstrap-plugin.base.json`, every file the template produced: the
 * common ancestor `update` merges against. Keeping the content itself, not a way to re-render
 * it, makes the base independent of git, of the network, of this tool's version and of a user
 * template edited in place since.
 */

/** The generated files, as JSON; `.releaseignore` keeps it out of `.plugin` archives. */
export const BASE_FILE = '.bootstrap-plugin.base.json';
/**
 * The base as earlier versions wrote it, gzip'd: still read, and replaced by BASE_FILE on the
 * next update. Plain JSON spares each create loading zlib and its streams and the first gzip
 * (~5.5 ms), and diffs line by line in version control.
 */
export const LEGACY_BASE_FILE = '.bootstrap-plugin.base.gz';
/** The files of the record itself, never merged: each run writes them anew. */
export const RECORD_FILES: readonly string[] = [STATE_FILE, BASE_FILE, LEGACY_BASE_FILE];
const BASE_FORMAT = 1;

/** One generated file as the base remembers it. */
export interface BaseFile {
  content: Buffer;
  mode: number;
}

export interface PluginBase {
  files: Map<string, BaseFile>;
  /** What `secret()` returned, in call order: a re-render replays them so a secret never changes by itself. */
  secrets: string[];
}

/**
 * `.bootstrap-plugin.base.json` for a rendered tree, a file a line. Text stays text in the JSON
 * (readable, and diffs in version control); bytes that are not UTF-8 go as base64.
 */
export function baseFile(files: RenderedFile[], secrets: string[]): RenderedFile {
  const entries = files
    .filter((file) => !RECORD_FILES.includes(file.path))
    .map((file) => {
      const text = file.content.toString('utf8');
      const exact = Buffer.from(text, 'utf8').equals(file.content);
      return exact
        ? { path: file.path, mode: file.mode, text }
        : { path: file.path, mode: file.mode, base64: file.content.toString('base64') };
    });
  const lines = entries.map((entry) => JSON.stringify(entry));
  const head = `{"format": ${BASE_FORMAT}, "secrets": ${JSON.stringify(secrets)}, "files": [`;
  const json = `${head}\n${lines.join(',\n')}\n]}\n`;
  return { path: BASE_FILE, content: Buffer.from(json), mode: 0o644 };
}

/**
 * Makes the context's `secret()` hand out `replay` first (the secrets of the base, in order), then
 * fresh ones; the returned list grows with every value handed out, in this thread or the render
 * worker's.
 */
export function recordSecrets(context: RenderContext, replay: string[] = []): string[] {
  const log = secretLogOf(context);
  log.replay = replay;
  return log.handedOut;
}

/**
 * Reads `.bootstrap-plugin.base.json` (or an earlier version's `.bootstrap-plugin.base.gz`); a
 * missing or damaged one is the user's to fix, with the reason.
 */
export async function readBase(pluginDir: string, shown: string): Promise<PluginBase> {
  const plain = await readRecordFile(pluginDir, shown, BASE_FILE);
  if (plain) return toBase(parseJson(join(shown, BASE_FILE), plain.toString('utf8')), join(shown, BASE_FILE));
  const where = join(shown, LEGACY_BASE_FILE);
  const gzipped = await readRecordFile(pluginDir, shown, LEGACY_BASE_FILE);
  if (!gzipped) {
    throw new UsageError(
      `${join(shown, BASE_FILE)} is missing: it holds what the plugin was generated from, which update merges ` +
        'against; a plugin created before bootstrap-plugin recorded it has none (create it again beside, then ' +
        'copy your changes over)',
    );
  }
  let json: string;
  try {
    json = process.getBuiltinModule('node:zlib').gunzipSync(gzipped).toString('utf8');
  } catch {
    throw new ConfigError(where, undefined, 'damaged: not gzip data (restore it from version control)');
  }
  return toBase(parseJson(where, json), where);
}

/** A record file's bytes; undefined when there is none. */
async function readRecordFile(pluginDir: string, shown: string, name: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(join(pluginDir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WorkError(`cannot read ${join(shown, name)}: ${ioReason(error)}`);
  }
}

/** A relative `/`-separated path with no empty, `.` or `..` segment: it cannot leave the directory it is read from. */
export function isInsidePath(path: string): boolean {
  return path
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..' && !segment.includes('\0'));
}

function toBase(data: unknown, where: string): PluginBase {
  const damaged = (detail: string) =>
    new ConfigError(where, undefined, `damaged: ${detail} (restore it from version control)`);
  if (!isPlainObject(data) || data.format !== BASE_FORMAT || !Array.isArray(data.files))
    throw damaged(`expected {"format": ${BASE_FORMAT}, "files": [...]}`);
  const secrets = Array.isArray(data.secrets) ? data.secrets.filter((s): s is string => typeof s === 'string') : [];
  const files = new Map<string, BaseFile>();
  for (const entry of data.files as unknown[]) {
    if (!isPlainObject(entry) || typeof entry.path !== 'string' || typeof entry.mode !== 'number')
      throw damaged('a file entry needs a path and a mode');
    // The base decides what update may remove: a path leaving the plugin would remove a file elsewhere.
    if (!isInsidePath(entry.path)) throw damaged(`"${printable(entry.path)}" is not a path inside the plugin`);
    const content =
      typeof entry.text === 'string'
        ? Buffer.from(entry.text, 'utf8')
        : typeof entry.base64 === 'string'
          ? Buffer.from(entry.base64, 'base64')
          : undefined;
    if (!content) throw damaged(`${entry.path}: no content`);
    files.set(entry.path, { content, mode: entry.mode });
  }
  return { files, secrets };
}
