import { UsageError } from './errors.js';

/**
 * How long a user template may take to render (render-thread.ts ends it there), and where the
 * command line reads it: apart from the worker, so reading it loads no thread machinery.
 */

/** The environment variable the command line reads the time limit from, in seconds. */
export const RENDER_TIMEOUT_ENV = 'BOOTSTRAP_PLUGIN_RENDER_TIMEOUT';
/** Generous for any real template (they render in milliseconds), short enough to be noticed. */
export const DEFAULT_RENDER_TIME_LIMIT_MS = 10_000;

/** `BOOTSTRAP_PLUGIN_RENDER_TIMEOUT` (seconds) as milliseconds; undefined when unset. */
export function renderTimeLimitOf(environment: Record<string, string | undefined>): number | undefined {
  const value = environment[RENDER_TIMEOUT_ENV];
  if (value === undefined || value === '') return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : 0;
  if (!(seconds > 0))
    throw new UsageError(`${RENDER_TIMEOUT_ENV}="${value}": expected a number of seconds greater than 0, such as 30`);
  return seconds * 1000;
}
