import { argumentName, GLOBAL_OPTIONS, PROGRAM, type Command, type OptionSpec } from './command.js';
const INDENT = '  ';

/** Rows of two columns, the first padded to the widest. */
function columns(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${INDENT}${left.padEnd(width)}  ${right}`.trimEnd());
}

const commandLine = (command: Command) => [command.name, ...command.args.map(argumentName)].join(' ');

function optionLeft(name: string, spec: OptionSpec): string {
  const spellings = [
    ...(spec.short ? [`-${spec.short}`] : []),
    `--${name}`,
    ...(spec.aliases ?? []).map((alias) => `--${alias}`),
  ];
  const value = spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : '';
  return `${spellings.join(', ')}${value}`;
}

function optionRight(spec: OptionSpec): string {
  const notes = [
    ...(spec.choices ? [`one of ${spec.choices.join(', ')}`] : []),
    ...(spec.multiple ? ['repeatable'] : []),
    ...(typeof spec.default === 'string' ? [`default: ${spec.default}`] : []),
  ];
  return notes.length > 0 ? `${spec.summary} (${notes.join('; ')})` : spec.summary;
}

/** `bootstrap-plugin --help` (and a bare `bootstrap-plugin`): the commands of the table. */
export function renderOverview(commands: readonly Command[], prefix = ''): string {
  const shown = commands.filter((c) => c.name.startsWith(prefix));
  return [
    `Usage: ${PROGRAM} ${prefix ? `${prefix} ` : ''}<command> [options]`,
    '',
    'Commands:',
    ...columns(shown.map((c) => [commandLine(c), c.summary])),
    '',
    'Options:',
    ...columns(Object.entries(GLOBAL_OPTIONS).map(([name, spec]) => [optionLeft(name, spec), spec.summary])),
    '',
    `Run "${PROGRAM} COMMAND --help" for a command's options.`,
    '',
  ].join('\n');
}

/** `bootstrap-plugin COMMAND --help`. */
export function renderCommandHelp(command: Command): string {
  const options = { ...command.options, ...GLOBAL_OPTIONS };
  return [
    `Usage: ${PROGRAM} ${commandLine(command)} [options]`,
    '',
    `${command.summary[0].toUpperCase()}${command.summary.slice(1)}.`,
    ...(command.args.length > 0
      ? ['', 'Arguments:', ...columns(command.args.map((a) => [argumentName(a), a.summary]))]
      : []),
    '',
    'Options:',
    ...columns(Object.entries(options).map(([name, spec]) => [optionLeft(name, spec), optionRight(spec)])),
    '',
  ].join('\n');
}
