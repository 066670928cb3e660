import type { Ask } from './core/answers.js';
import { InterruptedError } from './core/errors.js';
import { checkAnswer, formatValue, type Field, type FieldValue } from './core/fields.js';

/** The one module that talks to a terminal: each template field becomes an inquirer question. */
export function createAsk(signal?: AbortSignal): Ask {
  return async (field, defaultValue) => {
    // Loaded only when a question is really asked: start-up of every other path stays lean.
    const { default: inquirer } = await import('inquirer');
    const prompt = inquirer.createPromptModule({ signal });
    try {
      const answers = await prompt([toQuestion(field, defaultValue)] as never);
      return (answers as Record<string, unknown>)[field.name];
    } catch (error) {
      if (INTERRUPTIONS.includes((error as Error).name)) throw new InterruptedError();
      throw error;
    }
  };
}

/** Ctrl-C inside a prompt, or our own abort on SIGINT/SIGTERM. */
const INTERRUPTIONS = ['ExitPromptError', 'AbortPromptError'];

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
