import { accessSync, constants, fstatSync, readFileSync, realpathSync, statSync, writeSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { styleText } from 'node:util';
import type { Ask } from '../core/answers.js';
import { EXIT, ioReason } from '../core/errors.js';
import { inDir } from '../core/fs.js';
import { PACKAGE_ROOT } from '../paths.js';
import { createAsk, endHungUp } from '../prompt.js';
import { PROGRAM } from './command.js';

/** The edge's shared pieces: output and colours, signals, asking for answers, how we were invoked. */

export const STDOUT = 1;
export const STDERR = 2;
type Output = typeof STDOUT | typeof STDERR;
const streamOf = (fd: Output) => (fd === STDOUT ? process.stdout : process.stderr);

/** The outputs that a full non-blocking pipe moved to their stream (see write). */
const throughStream = new Set<Output>();

/**
 * Output is written to the file descriptor itself: process.stdout would load Node's streams, a
 * few milliseconds of every command's start-up. A pipe that another process made non-blocking
 * and that is full (EAGAIN) moves the output to its stream for the rest of the run, which waits
 * for the reader in the event loop, where a signal can still end the process.
 */
function write(fd: Output, text: string): void {
  if (throughStream.has(fd)) return void streamOf(fd).write(text);
  let rest = Buffer.from(text);
  try {
    while (rest.length > 0) rest = rest.subarray(writeSync(fd, rest));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return failedWrite(fd, error as NodeJS.ErrnoException);
    throughStream.add(fd);
    streamOf(fd).on('error', (streamError: NodeJS.ErrnoException) => failedWrite(fd, streamError));
    streamOf(fd).write(rest);
  }
}

/** Standard error has no one to tell of its own failures; standard output's are told there. */
function failedWrite(fd: Output, error: NodeJS.ErrnoException): void {
  if (fd === STDERR) return;
  // `bootstrap-plugin list | head` closes the pipe early: that is the reader's choice, not an error.
  // `run` has processes to stop first: exiting here would leave them behind.
  if (error.code === 'EPIPE') return running ? running.abort() : process.exit(EXIT.ok);
  // A closed terminal fails writes with EIO, sometimes before its SIGHUP arrives; output
  // happens only before (prompts) or after (results) writing files, so there is nothing to undo.
  if (error.code === 'EIO') return endHungUp();
  // `> /dev/full`, a full disk: one line, not a stack trace. Output comes after the work, so
  // what was written stays written.
  write(
    STDERR,
    `bootstrap-plugin: error: cannot write the output to standard output: ${ioReason(error)}; check where it ` +
      `is redirected\n`,
  );
  process.exit(EXIT.failure);
}

/** Text for standard output, as it is. */
export const print = (text: string) => write(STDOUT, text);
/** A line for standard output. */
export const out = (text: string) => print(`${text}\n`);
/** Text for standard error, as it is (warn adds the program's name and colours). */
export const printError = (text: string) => write(STDERR, text);

let devNull: number | undefined;
/**
 * Whether `fd` may be a terminal, answered without Node's tty module (and its streams) for a
 * pipe, a file or /dev/null, where most scripted runs send their output.
 */
function mayBeTerminal(fd: number): boolean {
  try {
    const stats = fstatSync(fd);
    devNull ??= statSync('/dev/null').rdev;
    return stats.isCharacterDevice() && stats.rdev !== devNull;
  } catch {
    return false;
  }
}

const isTerminal = (fd: Output) => mayBeTerminal(fd) && Boolean(streamOf(fd).isTTY);

/**
 * Colours for a person at a terminal only: never in a pipe or a file, never under NO_COLOR
 * (no-color.org). The terminal's own stream decides (`hasColors`: TERM=dumb, a CI without a
 * known service, FORCE_COLOR), not stdout, which may be piped while stderr is a terminal.
 */
export function paint(fd: Output, style: Parameters<typeof styleText>[0], text: string): string {
  return coloured(fd) ? styleText(style, text, { validateStream: false }) : text;
}

/** Decided once per output: `list` paints a name a line, and each decision asks the system (fstat). */
const colouredOutputs = new Map<Output, boolean>();
function coloured(fd: Output): boolean {
  let wanted = colouredOutputs.get(fd);
  if (wanted === undefined) {
    wanted = !process.env.NO_COLOR && isTerminal(fd) && streamOf(fd).hasColors();
    colouredOutputs.set(fd, wanted);
  }
  return wanted;
}

const LABEL_STYLES = { error: 'red', warning: 'yellow', note: 'cyan' } as const;
const LABEL = /^(error|warning|note):/;

export const warn = (text: string) => {
  const labelled = text.replace(LABEL, (label, word: keyof typeof LABEL_STYLES) =>
    paint(STDERR, ['bold', LABEL_STYLES[word]], label),
  );
  printError(`bootstrap-plugin: ${labelled}\n`);
};

/** Leftovers of killed runs (temporary files, a stale lock) that a command removed on the way. */
export function noteRemoved(paths: string[], dryRun = false): void {
  for (const path of paths) warn(`note: ${dryRun ? 'would remove' : 'removed'} ${path}, left by an interrupted run`);
}

let version: string | undefined;
/** This package's version, read once (`--version` and the plugin's state file both want it). */
export function toolVersion(): string {
  version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/** A terminal to read answers from and one to ask on: `create foo | tee log` still asks, on stderr. */
export function isInteractive(): boolean {
  return (
    mayBeTerminal(0) && Boolean(process.stdin.isTTY) && (isTerminal(STDOUT) || isTerminal(STDERR)) && !process.env.CI
  );
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
  if (self && dirs.some((dir) => executable(inDir(dir, PROGRAM)) === self)) return PROGRAM;
  return self ? shellWord(program) : `node ${shellWord(program)}`;
}

/** The real path of an executable file, else undefined. */
function executable(path: string): string | undefined {
  try {
    // Most PATH entries lack the program: asked without an exception (each costs a stack trace).
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return undefined;
    accessSync(path, constants.X_OK);
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

const shellWord = (word: string) => (/^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);
