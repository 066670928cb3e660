import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { styleText } from 'node:util';
import type { Ask } from '../core/answers.js';
import { EXIT, ioReason } from '../core/errors.js';
import { PACKAGE_ROOT } from '../paths.js';
import { createAsk, endHungUp } from '../prompt.js';
import { PROGRAM } from './command.js';

/** The edge's shared pieces: output and colours, signals, asking for answers, how we were invoked. */

export const out = (text: string) => process.stdout.write(`${text}\n`);

/**
 * Colours for a person at a terminal only: never in a pipe or a file, never under NO_COLOR
 * (no-color.org). The terminal's own stream decides (`hasColors`: TERM=dumb, a CI without a
 * known service, FORCE_COLOR), not stdout, which may be piped while stderr is a terminal.
 */
export function paint(stream: NodeJS.WriteStream, style: Parameters<typeof styleText>[0], text: string): string {
  const wanted = stream.isTTY && stream.hasColors() && !process.env.NO_COLOR;
  return wanted ? styleText(style, text, { validateStream: false }) : text;
}

const LABEL_STYLES = { error: 'red', warning: 'yellow', note: 'cyan' } as const;
const LABEL = /^(error|warning|note):/;

export const warn = (text: string) => {
  const labelled = text.replace(LABEL, (label, word: keyof typeof LABEL_STYLES) =>
    paint(process.stderr, ['bold', LABEL_STYLES[word]], label),
  );
  process.stderr.write(`bootstrap-plugin: ${labelled}\n`);
};

/** Leftovers of killed runs (temporary files, a stale lock) that a command removed on the way. */
export function noteRemoved(paths: string[], dryRun = false): void {
  for (const path of paths) warn(`note: ${dryRun ? 'would remove' : 'removed'} ${path}, left by an interrupted run`);
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
    `bootstrap-plugin: error: cannot write the output to standard output: ${ioReason(error)}; check where it ` +
      `is redirected\n`,
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

/** How create and update get their answers: asked on a terminal unless --yes, else defaults, noted. */
export function fieldAnswering(yes: boolean, signal: AbortSignal) {
  const interactive = !yes && isInteractive();
  return {
    ask: interactive ? createAsk(signal) : (undefined as Ask | undefined),
    /** Says which `fields` took their defaults because there was no terminal to ask on. */
    noteDefaulted(fields: string[], what = 'these'): void {
      if (yes || interactive || fields.length === 0) return;
      warn(
        `no terminal to ask on, so ${what} took their defaults: ${fields.join(', ')} ` +
          '(choose with --set FIELD=VALUE; --yes silences this note)',
      );
    },
  };
}

/**
 * The command that runs this tool again from the user's shell, for the next steps it prints.
 * Under npx or an npm script, npm's PATH is not the user's: `npx bootstrap-plugin`. The bare
 * name when the user's PATH finds this same program; else its path, which works from anywhere.
 */
export function invokedAs(environment = process.env, program = process.argv[1]): string {
  // npx quotes the command it runs (`'bootstrap-plugin'`); a package.json script is as written.
  if (new RegExp(`^'?${PROGRAM}('|\\s|$)`).test(environment.npm_lifecycle_script ?? '')) return `npx ${PROGRAM}`;
  const self = executable(program);
  const dirs = (environment.PATH ?? '').split(delimiter).filter(Boolean);
  if (self && dirs.some((dir) => executable(join(dir, PROGRAM)) === self)) return PROGRAM;
  return self ? shellWord(program) : `node ${shellWord(program)}`;
}

/** The real path of an executable file, else undefined. */
function executable(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK);
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

const shellWord = (word: string) => (/^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);
