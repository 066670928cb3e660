/** Exit codes of the contract (SPEC.md, "Exit codes and messages"). */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** An error a user can fix; carries the exit code `cli.ts` turns it into. */
export class BootstrapError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad command-line input, name, template or answer: exit 2. */
export class UsageError extends BootstrapError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** A malformed input file; the message starts with `file:line` (or `file`) so editors can jump to it. */
export class ConfigError extends BootstrapError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${detail}`, EXIT.usage);
  }
}

const IO_REASONS = new Map([
  ['ENOENT', 'no such file or directory'],
  ['EISDIR', 'it is a directory'],
  ['ENOSPC', 'the disk is full'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'permission denied'],
  ['EROFS', 'the file system is read-only'],
  ['EDQUOT', 'the disk quota is exceeded'],
  ['ENAMETOOLONG', 'a file name or the path is too long'],
]);

/** Why a file operation failed, in words for the common system errors, else Node's message. */
export function ioReason(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return (code && IO_REASONS.get(code)) || message;
}

/** Failure while working (I/O, a child process): exit 1. */
export class WorkError extends BootstrapError {
  constructor(message: string) {
    super(message, EXIT.failure);
  }
}

/** The user interrupted (Ctrl-C, SIGTERM): exit 130, nothing left behind. */
export class InterruptedError extends BootstrapError {
  constructor(message = 'interrupted, nothing was written') {
    super(message, EXIT.interrupted);
  }
}
