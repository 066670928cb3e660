import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT } from '../core/errors.js';
import type { TemplateLookup } from '../core/templates.js';
import { BUILTIN_TEMPLATES, PACKAGE_ROOT } from '../paths.js';
import { endHungUp } from '../prompt.js';
import type { OptionSpec } from './command.js';

/** The edge's shared pieces: output, signals, and options several commands take. */

export const out = (text: string) => process.stdout.write(`${text}\n`);
export const warn = (text: string) => process.stderr.write(`bootstrap-plugin: ${text}\n`);

// `bootstrap-plugin list | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  // A closed terminal fails writes with EIO, sometimes before its SIGHUP arrives; output
  // happens only before (prompts) or after (results) writing files, so there is nothing to undo.
  if (error.code === 'EIO') return endHungUp();
  throw error;
});

let version: string | undefined;
/** This package's version, read once (`--version` and the plugin's state file both want it). */
export function toolVersion(): string {
  version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
}

/** After a SIGHUP, the process ends by SIGHUP once the work is cleaned up (see endHungUp). */
export let hungUp = false;

/**
 * Ctrl-C, SIGTERM and a closed terminal (SIGHUP) abort the work in progress; the core removes
 * what it had written. The listeners stay for the whole run: inquirer's signal-exit re-raises a
 * signal it thinks no one else handles, which would kill the process before it cleans up. A
 * second signal stops at once, for a user who does not want to wait.
 */
export function abortOnSignals(): AbortSignal {
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (controller.signal.aborted) process.exit(EXIT.interrupted);
      hungUp ||= signal === 'SIGHUP';
      controller.abort();
    });
  }
  return controller.signal;
}

const TEMPLATES_ENV = 'BOOTSTRAP_PLUGIN_TEMPLATES';

export const TEMPLATES_DIR_OPTION = {
  type: 'string',
  multiple: true,
  value: 'DIR',
  completes: 'dirs',
  summary: `extra template directory (also $${TEMPLATES_ENV}, ":"-separated)`,
} as const satisfies OptionSpec;

export const MODULE_OPTION = {
  type: 'string',
  value: 'M',
  summary: 'module name (default: $MFMODULE, else mfserv)',
} as const satisfies OptionSpec;

export function templateLookup(templatesDir: readonly string[] | undefined): TemplateLookup {
  const fromEnv = (process.env[TEMPLATES_ENV] ?? '').split(':').filter(Boolean);
  // Absolute, so a plugin's .bootstrap-plugin.json records a template path valid from anywhere.
  return { builtinDir: BUILTIN_TEMPLATES, userDirs: [...(templatesDir ?? []), ...fromEnv].map((dir) => resolve(dir)) };
}
