import { createWriteStream, lstatSync, readdirSync, readFileSync, readlinkSync, type Dirent } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import ignore, { type Ignore } from 'ignore';
import { CONFIG_FILE, pluginRootOf, readPluginLabel } from './plugin.js';
import { ConfigError, InterruptedError, ioReason, UsageError, WorkError } from './errors.js';
import { findSection, readIniFile, sectionItems, type IniDocument } from './ini.js';
import { tempSibling } from './fs-temp.js';
import { tarChunks, type TarEntry } from './tar.js';
import { assertFormat2Plugin } from './format2-check.js';
import { isFormat2Plugin } from './format2-env.js';

/**
 * `bootstrap-plugin release`: the plugin as MetWork's plugin builder packs it, without MetWork:
 * `NAME-VERSION-RELEASE.metwork.MODULE.plugin`, a gzip'd tar whose root is `metwork_plugin/`
 * (the plugin directory filtered by its `.releaseignore`, gitignore rules), plus
 * `metwork_plugin/.files.json` (the files, as MetWork lists them) and
 * `metwork_plugin/.metadata.json` (version, release, build host and date, size, and the
 * `[general]` summary, license, maintainer as packager, vendor, url).
 */

const ROOT = 'metwork_plugin';
const IGNORE_FILE = '.releaseignore';
const FILES_JSON = '.files.json';
const METADATA_JSON = '.metadata.json';
/** What a version or release may hold: it becomes part of a file name. */
const FILE_NAME_PART = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;
const PLACEHOLDER = /\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}/g;
const DIRECTORY_MODE = 0o755;
const ARCHIVE_MODE = 0o644;
const MS_PER_SECOND = 1000;

export interface ReleaseOptions {
  /** The plugin directory (relative to `cwd`). */
  dir: string;
  cwd: string;
  /** Where the archive goes (relative to `cwd`, created if missing); the plugin directory when absent. */
  outputDir?: string;
  /**
   * Looked up for `{{VAR}}` in `[general]` (MetWork writes `{{MFMODULE_VERSION}}`),
   * `MFHOSTNAME_FULL` and `SOURCE_DATE_EPOCH`.
   */
  environment: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export interface Metadata {
  version: string;
  release: string;
  build_host: string;
  build_date: string;
  size: string;
  summary: string;
  license: string;
  packager: string;
  vendor: string;
  url: string;
}

export interface ReleaseResult {
  /** Absolute path of the archive written. */
  file: string;
  name: string;
  module: string;
  metadata: Metadata;
  /** The archive's files, as `.files.json` lists them (`metwork_plugin/…`). */
  files: string[];
  /** Paths left out because they are neither files, directories nor symbolic links (sockets, FIFOs). */
  skipped: string[];
}

/** Builds the plugin's `.plugin` archive; written beside its final name, then renamed into place. */
export async function buildRelease(options: ReleaseOptions): Promise<ReleaseResult> {
  const home = await pluginRootOf(resolve(options.cwd, options.dir));
  const shown = relative(options.cwd, home) || '.';
  const label = await readPluginLabel(home);
  if (!label)
    throw new UsageError(
      `${join(shown, '.layerapi2_label')}: not a plugin directory (expected plugin_NAME@module in .layerapi2_label)`,
    );
  // A format-2 plugin is built only when MetWork's mfplugin would load it, as its build does.
  if (isFormat2Plugin(home)) {
    const environment = options.environment;
    await assertFormat2Plugin({
      shown,
      dir: home,
      module: label.module.toLowerCase(),
      configName: environment.MFCONFIG ?? 'GENERIC',
      environment,
    });
  }
  const configShown = join(shown, CONFIG_FILE);
  const doc = await readIniFile(join(home, CONFIG_FILE), configShown);
  const general = readGeneral(doc, configShown, options.environment);
  const module = label.module.toLowerCase();
  const outputDir = options.outputDir === undefined ? home : resolve(options.cwd, options.outputDir);
  const file = join(outputDir, `${label.name}-${general.version}-${general.release}.metwork.${module}.plugin`);
  const mtime = buildTime(options.environment);
  const walk = walkPlugin(home, readIgnore(home), file, mtime);
  const files = walk.entries
    .filter((e) => e.type !== 'directory')
    .map((e) => e.path)
    .sort();
  const size = walk.entries.reduce((sum, e) => sum + (e.type === 'file' ? e.size : 0), 0);
  const metadata: Metadata = {
    version: general.version,
    release: general.release,
    build_host: options.environment.MFHOSTNAME_FULL || hostname(),
    build_date: `${new Date(mtime * MS_PER_SECOND).toISOString().slice(0, 19)}Z`,
    size: String(size),
    summary: general.summary,
    license: general.license,
    packager: general.maintainer,
    vendor: general.vendor,
    url: general.url,
  };
  const generated = (name: string, data: unknown): TarEntry => ({
    type: 'bytes',
    path: `${ROOT}/${name}`,
    mode: ARCHIVE_MODE,
    mtime,
    content: Buffer.from(toPythonJson(data)),
  });
  const entries = [...walk.entries, generated(FILES_JSON, files), generated(METADATA_JSON, metadata)];
  await writeArchive(entries, file, options.signal);
  return { file, name: label.name, module, metadata, files, skipped: walk.skipped };
}

interface General {
  version: string;
  release: string;
  summary: string;
  license: string;
  url: string;
  maintainer: string;
  vendor: string;
}

/** `[general]`'s metadata, under MetWork 0.9's names (`version`) or 2's (`_version`), placeholders resolved. */
function readGeneral(doc: IniDocument, file: string, environment: Record<string, string | undefined>): General {
  const section = findSection(doc, 'general');
  if (!section)
    throw new ConfigError(file, undefined, 'no [general] section: the plugin version and metadata live there');
  const items = sectionItems(doc, section);
  const read = (key: string, fallback?: string): string => {
    const entry = items.get(key) ?? items.get(`_${key}`);
    if (!entry) {
      if (fallback !== undefined) return fallback;
      throw new ConfigError(file, section.headers[0], `[general] has no ${key}: add "${key} = …"`);
    }
    return entry.value.replace(PLACEHOLDER, (_, name: string) => {
      const value = environment[name];
      if (value === undefined)
        throw new ConfigError(
          file,
          entry.line,
          `[general] ${entry.key} uses {{${name}}}, which is not set in the environment: set ${name} or ` +
            'write the value',
        );
      return value;
    });
  };
  const general: General = {
    version: read('version'),
    release: read('release', '1'),
    summary: read('summary', ''),
    license: read('license', ''),
    url: read('url', ''),
    maintainer: read('maintainer', ''),
    vendor: read('vendor', ''),
  };
  for (const key of ['version', 'release'] as const) {
    if (!FILE_NAME_PART.test(general[key])) {
      const entry = items.get(key) ?? items.get(`_${key}`);
      throw new ConfigError(
        file,
        entry?.line,
        `[general] ${key} = "${general[key]}" cannot name the archive: use letters, digits and . + ~ - _ ` +
          '(such as 1.2.3)',
      );
    }
  }
  return general;
}

/** Build time in seconds: SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
function buildTime(environment: Record<string, string | undefined>): number {
  const epoch = environment.SOURCE_DATE_EPOCH;
  if (epoch === undefined || epoch === '') return Math.floor(Date.now() / MS_PER_SECOND);
  if (!/^\d+$/.test(epoch))
    throw new UsageError(`SOURCE_DATE_EPOCH="${epoch}": expected a number of seconds since 1970`);
  return Number(epoch);
}

function readIgnore(home: string): Ignore {
  // git compares names case-sensitively (core.ignorecase is false on Linux); the library does not by default.
  const matcher = ignore({ ignorecase: false });
  let text: string;
  try {
    text = readFileSync(join(home, IGNORE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return matcher;
    throw new WorkError(`cannot read ${join(home, IGNORE_FILE)}: ${ioReason(error)}`);
  }
  return matcher.add(text);
}

/**
 * The plugin's members, in path order: directories (kept even when empty, as MetWork copies
 * them), files and symbolic links (stored as links, never followed). An ignored directory is
 * left out with all it holds, as git does. The archive being written is never part of itself.
 */
function walkPlugin(
  home: string,
  matcher: Ignore,
  output: string,
  mtime: number,
): { entries: TarEntry[]; skipped: string[] } {
  const entries: TarEntry[] = [{ type: 'directory', path: `${ROOT}/`, mode: DIRECTORY_MODE, mtime }];
  const skipped: string[] = [];
  const visit = (relative: string) => {
    let listing: Dirent[];
    try {
      listing = readdirSync(join(home, relative), { withFileTypes: true });
    } catch (error) {
      throw new WorkError(`cannot read ${join(home, relative)}: ${ioReason(error)}`);
    }
    for (const entry of listing.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const absolute = join(home, path);
      if (absolute === output || (relative === '' && (entry.name === FILES_JSON || entry.name === METADATA_JSON)))
        continue;
      if (matcher.ignores(entry.isDirectory() ? `${path}/` : path)) continue;
      const mode = lstatSync(absolute).mode & 0o7777;
      if (entry.isDirectory()) {
        entries.push({ type: 'directory', path: `${ROOT}/${path}/`, mode, mtime });
        visit(path);
      } else if (entry.isFile()) {
        entries.push({
          type: 'file',
          path: `${ROOT}/${path}`,
          mode,
          mtime,
          size: lstatSync(absolute).size,
          source: absolute,
        });
      } else if (entry.isSymbolicLink()) {
        entries.push({ type: 'symlink', path: `${ROOT}/${path}`, mode: 0o777, mtime, target: readlinkSync(absolute) });
      } else {
        skipped.push(path);
      }
    }
  };
  visit('');
  return { entries, skipped };
}

/** JSON as Python's `json.dumps(data, indent=4)` writes it, which is how MetWork writes these files. */
function toPythonJson(data: unknown): string {
  return JSON.stringify(data, null, 4).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

async function writeArchive(entries: TarEntry[], file: string, signal?: AbortSignal): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOTDIR' || code === 'EEXIST' ? 'it or one of its parents is a file' : ioReason(error);
    throw new (code === 'ENOTDIR' || code === 'EEXIST' ? UsageError : WorkError)(
      `cannot create the output directory ${dirname(file)}: ${reason}`,
    );
  }
  const temp = tempSibling(file);
  try {
    await pipeline(
      Readable.from(tarChunks(entries)),
      createGzip(),
      createWriteStream(temp, { mode: ARCHIVE_MODE, flags: 'wx' }),
      { signal },
    );
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    if (signal?.aborted) throw new InterruptedError('interrupted, no archive was written');
    if (error instanceof WorkError) throw error;
    throw new WorkError(`cannot write ${file}: ${ioReason(error)}; no archive was written`);
  }
}
