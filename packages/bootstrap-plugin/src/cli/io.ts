import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG_NAME } from '../core/env.js';
import { EXIT, ioReason } from '../core/errors.js';
import { METWORK_GENERATIONS, resolveMetwork } from '../core/metwork.js';
import { renderTimeLimitOf } from '../core/render-thread.js';
import type { TemplateLookup } from '../core/templates.js';
import { BUILTIN_TEMPLATES, PACKAGE_ROOT } from '../paths.js';
import { endHungUp } from '../prompt.js';
import type { OptionSpec } from './command.js';

/** The edge's shared pieces: output, signals, and options several commands take. */

export const out = (text: string) => process.stdout.write(`${text}\n`);
export const warn = (text: string) => process.stderr.write(`bootstrap-plugin: ${text}\n`);

/** Leftovers of killed runs (temporary files, a stale lock) that a command removed on the way. */
export function noteRemoved(paths: string[]): void {
  for (const path of paths) warn(`note: removed ${path}, left by an interrupted run`);
}

// `bootstrap-plugin list | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // `run` has processes to stop first: exiting here would leave them behind.
  if (error.code === 'EPIPE') return running ? running.abort() : process.exit(EXIT.ok);
  // A closed terminal fails writes with EIO, sometimes before its SIGHUP arrives; output
  // happens only before (prompts) or after (results) writing files, so there is nothing to undo.
  if (error.code === 'EIO') return endHungUp();
  // `> /dev/full`, a full disk: one line, not a stack trace. Output comes after the work, so
  // what was written stays written.
  process.stderr.write(
    `bootstrap-plugin: error: cannot write the output to standard output: ${ioReason(error)}; check where it is redirected\n`,
  );
  process.exit(EXIT.failure);
});

let version: string | undefined;
/** This package's version, read once (`--version` and the plugin's state file both want it). */
export function toolVersion(): string {
  version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/** A terminal to read answers from and one to ask on: `create foo | tee log` still asks, on stderr. */
export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && (process.stdout.isTTY || process.stderr.isTTY)) && !process.env.CI;
}

/** After a SIGHUP, the process ends by SIGHUP once the work is cleaned up (see endHungUp). */
export let hungUp = false;

/** The work a signal aborts. */
let running: AbortController | undefined;

/**
 * Ctrl-C, SIGTERM and a closed terminal (SIGHUP) abort the work in progress; the core removes
 * what it had written. The listeners stay for the whole run: inquirer's signal-exit re-raises a
 * signal it thinks no one else handles, which would kill the process before it cleans up. A
 * second signal stops at once, for a user who does not want to wait.
 */
export function abortOnSignals(): AbortSignal {
  const controller = new AbortController();
  running = controller;
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

export const CONFIG_NAME_OPTION = {
  type: 'string',
  value: 'N',
  summary: `chooses key[VARIANT] values (default: $MFCONFIG, else ${DEFAULT_CONFIG_NAME})`,
} as const satisfies OptionSpec;

export const METWORK_OPTION = {
  type: 'string',
  value: 'G',
  summary: `MetWork generation of the MFSERV templates: ${METWORK_GENERATIONS.join(' or ')} (default: 2 when $MFMODULE_VERSION is >= 1, else 0.9)`,
} as const satisfies OptionSpec;

/** The template options of list, create and config check: `--templates-dir` and `--metwork`. */
export const TEMPLATE_OPTIONS = { 'templates-dir': TEMPLATES_DIR_OPTION, metwork: METWORK_OPTION } as const;

export function templateLookup(options: { 'templates-dir'?: readonly string[]; metwork?: string }): TemplateLookup {
  const fromEnv = (process.env[TEMPLATES_ENV] ?? '').split(':').filter(Boolean);
  // Absolute, so a plugin's .bootstrap-plugin.json records a template path valid from anywhere.
  const userDirs = [...(options['templates-dir'] ?? []), ...fromEnv].map((dir) => resolve(dir));
  return {
    builtinDir: BUILTIN_TEMPLATES,
    userDirs,
    generation: resolveMetwork(options.metwork, process.env).generation,
    renderTimeLimit: renderTimeLimitOf(process.env),
  };
}
