import { UsageError } from './errors.js';
import { printable } from './names.js';

/**
 * The MetWork generation a plugin is made for: `0.9` (the six templates, the old config.ini
 * format) or `2` (MetWork >= 1.0: the 13 mfserv 2.x templates and the plugin format read by
 * MetWork's mfplugin library).
 */
export type MetworkGeneration = '0.9' | '2';

export const METWORK_GENERATIONS: readonly MetworkGeneration[] = ['0.9', '2'];

/** Where the format-2 templates live, under the built-in templates directory. */
export const METWORK2_TEMPLATES_DIR = 'metwork2';

/**
 * The mfserv release our format-2 templates follow: written in `.plugin_format_version` when
 * no loaded MetWork environment names its own version.
 */
export const METWORK2_REFERENCE_VERSION = '2.3.9';

/** The file that marks a plugin of format 2 (mfplugin refuses a plugin without it). */
export const FORMAT_VERSION_FILE = '.plugin_format_version';

/** MFCONFIG's default: the configuration whose `key[VARIANT]` values apply when none is named. */
export const DEFAULT_CONFIG_NAME = 'GENERIC';

/** The port of MFSERV's nginx, where a plugin NAME is served at `/NAME/`. */
export const MFSERV_PORT = 18868;

const VERSION_PREFIX = /^(\d+)\.(\d+)\.(\d+)/;

export interface MetworkSelection {
  generation: MetworkGeneration;
  /** What `.plugin_format_version` holds for a format-2 plugin: MFMODULE_VERSION's x.y.z, or our reference. */
  formatVersion: string;
}

/**
 * `--metwork` when given, else `2` when MFMODULE_VERSION names MetWork >= 1 (a loaded MetWork
 * 1.x/2.x environment), else `0.9`.
 */
export function resolveMetwork(given: string | undefined, environment: NodeJS.ProcessEnv): MetworkSelection {
  const loaded = VERSION_PREFIX.exec(environment.MFMODULE_VERSION ?? '');
  const loadedMajor = loaded ? Number(loaded[1]) : undefined;
  if (given !== undefined && !(METWORK_GENERATIONS as readonly string[]).includes(given)) {
    throw new UsageError(`--metwork "${printable(given)}": expected ${METWORK_GENERATIONS.join(' or ')}`);
  }
  const generation =
    (given as MetworkGeneration | undefined) ?? (loadedMajor !== undefined && loadedMajor >= 1 ? '2' : '0.9');
  const formatVersion = loaded && loadedMajor! >= 1 ? loaded[0] : METWORK2_REFERENCE_VERSION;
  return { generation, formatVersion };
}
