import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, cleanEnv, ROOT } from './cli.js';

const DRIVER = join(ROOT, 'test', 'helpers', 'pty-driver.py');

/** Keys to type, a signal sent to the CLI's process as `kill` sends it, or the terminal closed. */
export type TerminalAction = string | { signal: 'INT' | 'TERM' | 'HUP' } | { hangup: true };

export interface TerminalSession {
  /** Exit status; 128 + N when killed by signal N. */
  code: number;
  /** What the terminal showed, without ANSI codes. */
  output: string;
  /** The expected text that never came (or "exit" when the CLI did not exit), else null. */
  timeout: string | null;
  /** Seconds from the last action to the CLI's exit. */
  exitSeconds: number;
}

/**
 * Runs the CLI in a real pseudo-terminal (test/helpers/pty-driver.py), acting after each expected
 * text. With `pipeStdoutTo`, its stdout is a pipe into that file instead (`create foo | tee log`).
 */
export async function inTerminal(
  cwd: string,
  args: string[],
  steps: Array<[string, TerminalAction]>,
  extraEnv: Record<string, string> = {},
  pipeStdoutTo?: string,
): Promise<TerminalSession> {
  const env = cleanEnv({ TERM: 'xterm-256color', ...extraEnv });
  if (!('CI' in extraEnv)) delete env.CI; // CI=true would (rightly) turn prompting off
  const command = pipeStdoutTo
    ? ['sh', '-c', 'exec "$@" | cat > "$PIPE_TO"', 'sh', process.execPath, CLI, ...args]
    : [process.execPath, CLI, ...args];
  if (pipeStdoutTo) env.PIPE_TO = pipeStdoutTo;
  return inTerminalCommand(command, steps, { cwd, env });
}

/** Runs any command in a real pseudo-terminal (test/helpers/pty-driver.py), acting after each expected text. */
export async function inTerminalCommand(
  command: string[],
  steps: Array<[string, TerminalAction]>,
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<TerminalSession> {
  const { stdout } = await promisify(execFile)('python3', [DRIVER, JSON.stringify(steps), ...command], {
    cwd: options.cwd,
    env: options.env,
    timeout: options.timeoutMs ?? 60_000,
  });
  const session = JSON.parse(stdout) as Omit<TerminalSession, 'exitSeconds'> & { exit_seconds: number };
  return { code: session.code, output: session.output, timeout: session.timeout, exitSeconds: session.exit_seconds };
}
