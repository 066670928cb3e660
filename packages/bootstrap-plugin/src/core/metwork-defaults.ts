import { availableParallelism } from 'node:os';

/**
 * MetWork variables a plugin's configuration relies on, for when no MetWork environment is
 * loaded: the MFHARDWARE_* values MetWork's profile computes from the machine, and the module
 * settings whose defaults mfplugin falls back on (MFSERV's nginx timeout, its log splitting).
 */

export interface MetworkDefault {
  value: string;
  /** Why this value, for the note on stderr. */
  reason: string;
}

/** mfserv's default `[nginx] timeout` (seconds), used for an app's `timeout` of 0 or less. */
const NGINX_TIMEOUT_SECONDS = '60';
/** mfserv's default for both `[log] try_to_split_*` settings: do not split. */
const LOG_SPLIT_DEFAULT = '0';

/** The value MetWork would give `name` on this machine, or undefined when it is not one of its variables. */
export function metworkDefault(name: string, module: string): MetworkDefault | undefined {
  const cores = availableParallelism();
  // MFCOM_HARDWARE_* are MetWork 0.9's names for the same values (its templates write them).
  if (name === 'MFHARDWARE_NUMBER_OF_CPU_CORES' || name === 'MFCOM_HARDWARE_NUMBER_OF_CPU_CORES') {
    return { value: String(cores), reason: `this machine's ${cores} CPU cores` };
  }
  if (
    name === 'MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2' ||
    name === 'MFCOM_HARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2'
  ) {
    return { value: String(cores * 2), reason: `this machine's ${cores} CPU cores, times 2` };
  }
  const MODULE = module.toUpperCase();
  if (name === `${MODULE}_NGINX_TIMEOUT`)
    return { value: NGINX_TIMEOUT_SECONDS, reason: `${module}'s default nginx timeout` };
  if (name === `${MODULE}_LOG_TRY_TO_SPLIT_STDOUT_STDERR` || name === `${MODULE}_LOG_TRY_TO_SPLIT_MULTIPLE_WORKERS`) {
    return { value: LOG_SPLIT_DEFAULT, reason: `${module}'s default (do not split)` };
  }
  return undefined;
}

/**
 * Looks names up in `environment`, falling back on MetWork's value for this machine; each
 * fallback is said once in `notes`, so the user knows the value did not come from MetWork.
 */
export function metworkLookup(
  environment: Record<string, string | undefined>,
  module: string,
  notes: string[],
): (name: string) => string | undefined {
  const noted = new Set<string>();
  return (name) => {
    const value = environment[name];
    // Only the environment's own strings: `{{toString}}` must not reach Object.prototype.
    if (typeof value === 'string' && Object.hasOwn(environment, name)) return value;
    const fallback = metworkDefault(name, module);
    if (fallback && !noted.has(name)) {
      noted.add(name);
      notes.push(`${name} is not set (no MetWork environment loaded): using ${fallback.value}, ${fallback.reason}`);
    }
    return fallback?.value;
  };
}
