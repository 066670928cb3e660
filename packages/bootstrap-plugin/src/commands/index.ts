import type { Command } from '../cli/command.js';
import { completion } from './completion.js';
import { configCheck, configGet, configSet } from './config.js';
import { create } from './create.js';
import { env } from './env.js';
import { list } from './list.js';
import { release } from './release.js';
import { run } from './run.js';
import { update } from './update.js';

/**
 * The command table, in the order `--help` lists it. A command is one module exporting its row
 * (`defineCommand`: name, summary, arguments, options, handler) and one entry here; help,
 * parsing, suggestions and shell completion all read this table.
 */
export const COMMANDS: readonly Command[] = [
  list,
  create,
  update,
  release,
  env,
  configGet,
  configSet,
  configCheck,
  run,
  completion,
];
