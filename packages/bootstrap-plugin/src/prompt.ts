import type { Ask } from './core/answers.js';
import { EXIT, InterruptedError, UsageError } from './core/errors.js';
import { checkAnswer, formatValue, type Field, type FieldValue } from './core/fields.js';

/** The one module that talks to a terminal: each template field becomes an inquirer question. */
export function createAsk(signal?: AbortSignal): Ask {
  return async (field, defaultValue) => {
    // Loaded only when a question is really asked: start-up of every other path stays lean.
    const { default: inquirer } = await import('inquirer');
    process.on('uncaughtException', onTerminalGone);
    // Asked where a person sees it: stdout, unless it is piped (`create foo | tee log`), then stderr.
    const prompt = inquirer.createPromptModule({
      signal,
      output: process.stdout.isTTY ? process.stdout : process.stderr,
    });
    try {
      const answers = await prompt([toQuestion(field, defaultValue)] as never);
      return (answers as Record<string, unknown>)[field.name];
    } catch (error) {
      throw toPromptError(error as Error, field);
    } finally {
      process.off('uncaughtException', onTerminalGone);
    }
  };
}

/** How reads and writes fail once the terminal was closed. */
const TERMINAL_GONE = 'EIO';

/** Readline reports a closed terminal from an event no one listens to, so it reaches the process. */
function onTerminalGone(error: NodeJS.ErrnoException): void {
  if (error.code === TERMINAL_GONE) return endHungUp();
  // Anything else is a bug, reported as Node reports an uncaught exception (throwing from this
  // handler would end with Node's internal exit code 7 instead).
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(EXIT.failure);
}

/**
 * Ends the process the way a hung-up one ends, by SIGHUP. Called once the terminal is gone and
 * nothing is left to clean up (prompts come before any write): on a normal exit Node restores
 * the terminal's mode, fails on the closed terminal, and aborts with a native stack trace.
 */
export function endHungUp(): void {
  process.removeAllListeners('SIGHUP');
  process.kill(process.pid, 'SIGHUP');
}

/**
 * How inquirer stops a prompt: our abort on a signal (AbortPromptError), Ctrl-C in the prompt
 * (ExitPromptError "… with SIGINT"), or the end of input, Ctrl-D or a closed terminal, which it
 * reports as an ExitPromptError naming no signal once nothing is left to wait for.
 */
function toPromptError(error: Error, field: Field): Error {
  if ((error as NodeJS.ErrnoException).code === TERMINAL_GONE) endHungUp();
  const signalled = /\bSIG[A-Z]+\b/.test(error.message);
  if (error.name === 'AbortPromptError' || (error.name === 'ExitPromptError' && signalled))
    return new InterruptedError();
  if (error.name !== 'ExitPromptError') return error;
  return new UsageError(
    `input ended before "${field.name}" was answered, nothing was written: pass --yes to take the defaults, ` +
      `or --set ${field.name}=VALUE`,
  );
}

/** A template field as an inquirer question (also asked by the Yeoman generator, through Yeoman). */
export function toQuestion(field: Field, defaultValue: FieldValue | undefined) {
  const base = { name: field.name, message: field.message };
  switch (field.type) {
    case 'choice':
      return { ...base, type: 'select', choices: field.choices, default: defaultValue };
    case 'confirm':
      return { ...base, type: 'confirm', default: defaultValue };
    default:
      return {
        ...base,
        type: 'input',
        default: defaultValue === undefined ? undefined : formatValue(defaultValue),
        validate: (value: string) => {
          const checked = checkAnswer(field, value);
          return checked.ok || checked.reason;
        },
      };
  }
}
