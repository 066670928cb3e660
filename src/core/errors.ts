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
