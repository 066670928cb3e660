import { BootstrapError, EXIT, UsageError } from './core/errors.js';
import { didYouMean } from './core/suggest.js';
import { endHungUp } from './prompt.js';
import { parseCommand, type Command } from './cli/command.js';
import { renderCommandHelp, renderOverview } from './cli/help.js';
import { hungUp, out, print, printError, toolVersion, warn } from './cli/io.js';
import { completeWords } from './commands/completion.js';
import { COMMANDS } from './commands/index.js';

/** The root, for `bootstrap-plugin [--help|--version]` without a command. */
const ROOT: Command = { name: '', summary: 'scaffold plugin projects', args: [], options: {}, run: () => {} };

const isWord = (arg: string) => !arg.startsWith('-');

/** The command the leading words name (`config get`), or a group's overview, or an error. */
function findCommand(words: string[]): { command?: Command; group?: string; used: number } {
  const [first, second] = words;
  if (first === undefined) return { used: 0 };
  const single = COMMANDS.find((c) => c.name === first);
  if (single) return { command: single, used: 1 };
  const inGroup = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
  if (inGroup.length === 0) {
    const names = [...new Set(COMMANDS.map((c) => c.name.split(' ')[0]))];
    throw new UsageError(`unknown command "${first}"${didYouMean(first, names)} (see: bootstrap-plugin --help)`);
  }
  if (second === undefined) return { group: first, used: 1 };
  const command = inGroup.find((c) => c.name === `${first} ${second}`);
  if (command) return { command, used: 2 };
  const names = inGroup.map((c) => c.name.slice(first.length + 1));
  throw new UsageError(
    `unknown ${first} command "${second}"${didYouMean(second, names)} (see: bootstrap-plugin ${first} --help)`,
  );
}

/** What the completion scripts call: candidates, one a line; nothing on any error. */
const COMPLETE = '__complete';

async function main(argv: string[]): Promise<void> {
  if (argv[0] === COMPLETE) {
    try {
      return void out((await completeWords(COMMANDS, argv.slice(1))).join('\n'));
    } catch {
      return;
    }
  }
  const end = argv.indexOf('--');
  const words = (end === -1 ? argv : argv.slice(0, end)).filter(isWord);
  const { command, group, used } = findCommand(words.slice(0, 2));
  // The command's words leave the arguments; the rest is its own to parse.
  const rest = [...argv];
  for (const word of words.slice(0, used)) rest.splice(rest.indexOf(word), 1);
  const parsed = parseCommand(command ?? ROOT, rest);
  if (parsed.options.version) return void out(toolVersion());
  if (command === undefined) return void print(renderOverview(COMMANDS, group));
  if (parsed.options.help) return void print(renderCommandHelp(command));
  await command.run(parsed);
}

main(process.argv.slice(2))
  .catch((error: unknown) => {
    // A typed error is the user's to fix and says how; anything else is ours, worth the stack.
    const expected = error instanceof BootstrapError;
    warn(`error: ${(error as Error).message ?? String(error)}`);
    if (process.argv.includes('--verbose')) printError(`${(error as Error).stack}\n`);
    else if (!expected) printError('(run again with --verbose for details)\n');
    process.exitCode = expected ? error.exitCode : EXIT.failure;
  })
  .finally(() => {
    if (hungUp) endHungUp();
  });
