import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';

/** The command's name, as the user types it. */
export const PROGRAM = 'bootstrap-plugin';

/** What shell completion offers for a value; any other value completes as a file name (see completion.ts). */
export type Completes = 'templates' | 'fields';

export interface OptionSpec {
  type: 'boolean' | 'string';
  /** One letter: `-t` for `--template`. */
  short?: string;
  /** Other long spellings of the same flag (`--no-input` for `--yes`). */
  aliases?: readonly string[];
  /** Repeatable: the values are collected in order. */
  multiple?: boolean;
  default?: string | boolean | readonly string[];
  choices?: readonly string[];
  /** The value's name in the help (`--dir DIR`). */
  value?: string;
  completes?: Completes;
  summary: string;
}

export interface PositionalSpec {
  name: string;
  /** How the help writes it, when not the upper-cased name. */
  label?: string;
  required?: boolean;
  /** Takes every remaining argument. */
  variadic?: boolean;
  default?: string | readonly string[];
  completes?: Completes;
  summary: string;
}

type OptionValue<O extends OptionSpec> = O['type'] extends 'boolean'
  ? boolean
  : O['multiple'] extends true
    ? string[]
    : string;
type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends { default: unknown } | { type: 'boolean' }
    ? OptionValue<O[K]>
    : OptionValue<O[K]> | undefined;
};
type PositionalValue<P extends PositionalSpec> = P['variadic'] extends true ? string[] : string;
type Positionals<P extends readonly PositionalSpec[]> = {
  [I in P[number] as I['name']]: I extends { required: true } | { default: unknown }
    ? PositionalValue<I>
    : PositionalValue<I> | undefined;
};

export interface Parsed<
  O extends Record<string, OptionSpec> = Record<string, OptionSpec>,
  P extends readonly PositionalSpec[] = readonly PositionalSpec[],
> {
  options: Values<O & typeof GLOBAL_OPTIONS>;
  args: Positionals<P>;
}

/**
 * One row of the command table: its words (`config get`), a one-line summary, its arguments
 * and options, and the handler, which calls one core function and prints its result.
 */
export interface Command<
  O extends Record<string, OptionSpec> = Record<string, OptionSpec>,
  P extends readonly PositionalSpec[] = readonly PositionalSpec[],
> {
  name: string;
  summary: string;
  args: P;
  options: O;
  run: (parsed: Parsed<O, P>) => void | Promise<void>;
}

/** Typed rows for the table: the handler sees its own options and arguments. */
export function defineCommand<const O extends Record<string, OptionSpec>, const P extends readonly PositionalSpec[]>(
  command: Command<O, P>,
): Command {
  return command as unknown as Command;
}

/** Understood by every command. */
export const GLOBAL_OPTIONS = {
  help: { type: 'boolean', short: 'h', summary: 'show this help' },
  version: { type: 'boolean', short: 'v', summary: 'print the version' },
  verbose: { type: 'boolean', summary: 'print the stack trace of errors' },
} as const satisfies Record<string, OptionSpec>;

const flag = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

/** `argv` minus the command's words, checked against its table row; defaults filled in. */
export function parseCommand(command: Command, argv: readonly string[]): Parsed {
  const specs: Record<string, OptionSpec> = { ...command.options, ...GLOBAL_OPTIONS };
  const spellings = new Map<string, string>();
  const config: Record<string, { type: 'boolean' | 'string'; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    for (const spelling of [name, ...(spec.aliases ?? [])]) {
      spellings.set(spelling, name);
      config[spelling] = { type: spec.type };
    }
    if (spec.short) {
      spellings.set(spec.short, name);
      config[name].short = spec.short;
    }
  }
  // Used as a tokenizer only: unknown options and missing values get our own messages below.
  const { tokens } = parseArgs({
    args: [...argv],
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const options: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const name = spellings.get(token.name);
    if (name === undefined) {
      const known = [...spellings.keys()].filter((s) => s.length > 1).map(flag);
      throw new UsageError(
        `unknown option ${flag(token.name)}${didYouMean(flag(token.name), known)} (see: ${usageHint(command)})`,
      );
    }
    const spec = specs[name];
    if (spec.type === 'boolean') {
      if (token.value !== undefined)
        throw new UsageError(`option ${token.rawName} takes no value (got "${token.value}")`);
      options[name] = true;
      continue;
    }
    if (token.value === undefined)
      throw new UsageError(`option ${token.rawName} needs a value${spec.value ? ` (${spec.value})` : ''}`);
    if (spec.choices && !spec.choices.includes(token.value)) {
      throw new UsageError(`${token.rawName} "${token.value}": expected one of ${spec.choices.join(', ')}`);
    }
    options[name] = spec.multiple ? [...((options[name] as string[] | undefined) ?? []), token.value] : token.value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (options[name] === undefined) options[name] = spec.default ?? (spec.type === 'boolean' ? false : undefined);
  }
  // `create --help` and `create --version` need no NAME.
  return { options, args: options.help || options.version ? {} : assignPositionals(command, positionals) } as Parsed;
}

function assignPositionals(command: Command, positionals: string[]): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  const rest = [...positionals];
  for (const spec of command.args) {
    if (spec.variadic) {
      args[spec.name] = rest.length > 0 ? rest.splice(0) : spec.default;
    } else {
      args[spec.name] = rest.shift() ?? spec.default;
    }
    const given = args[spec.name];
    if (spec.required && (given === undefined || (Array.isArray(given) && given.length === 0))) {
      throw new UsageError(`${command.name} needs ${argumentName(spec)} (see: ${usageHint(command)})`);
    }
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}" (see: ${usageHint(command)})`);
  return args;
}

/** `NAME`, `[PATH...]`: an argument as the help writes it. */
export function argumentName(spec: PositionalSpec): string {
  const word = `${spec.label ?? spec.name.toUpperCase()}${spec.variadic ? '...' : ''}`;
  return spec.required ? word : `[${word}]`;
}

export const usageHint = (command: Command) => `${PROGRAM} ${command.name} --help`;
