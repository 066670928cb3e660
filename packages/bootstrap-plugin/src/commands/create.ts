import { createPlugin, type CreateOptions, type CreateResult } from '../core/create.js';
import { checkMakeFlags, makePlugin, type MakeResult } from '../core/make.js';
import { resolveMetwork } from '../core/metwork.js';
import { resolveModule } from '../core/names.js';
import { createAsk } from '../prompt.js';
import { defineCommand } from '../cli/command.js';
import {
  abortOnSignals,
  isInteractive,
  MODULE_OPTION,
  out,
  TEMPLATE_OPTIONS,
  templateLookup,
  toolVersion,
  warn,
} from '../cli/io.js';

function printCreated(result: CreateResult): void {
  for (const leftover of result.leftovers)
    warn(`${result.dryRun ? 'would remove' : 'removed'} ${leftover}, left by an interrupted run`);
  if (result.dryRun) {
    const replaced = new Set(result.replaced);
    const replacing = replaced.size > 0 ? `, replacing ${replaced.size} existing ones` : '';
    out(`Dry run: would create ${result.target} with ${result.files.length} files${replacing}:`);
    for (const file of result.files) out(`  ${file}${replaced.has(file) ? ' (replaces the existing file)' : ''}`);
    return;
  }
  out(`Plugin ${result.name} successfully created on directory ${result.target}`);
  if (result.replaced.length > 0)
    out(`Replaced ${result.replaced.length} existing files:\n${result.replaced.map((file) => `  ${file}`).join('\n')}`);
  if (result.nextSteps) out(`\n${result.nextSteps}`);
}

function printMade(made: MakeResult): void {
  printCreated({ ...made.created, nextSteps: '' });
  out(`Plugin archive built: ${made.release.file}`);
  if (made.installOutput !== undefined) {
    if (made.installOutput.trim()) out(made.installOutput.trimEnd());
    out(`Installed with plugins.install: ${made.release.file}`);
  }
  if (made.deleted) out(`Deleted directory ${made.created.target}; the archive is kept as ${made.archive}`);
  else if (made.created.nextSteps) out(`\n${made.created.nextSteps}`);
}

export const create = defineCommand({
  name: 'create',
  summary: 'create a plugin from a template',
  args: [{ name: 'name', required: true, summary: 'plugin name (letters, digits, "_", "-")' }],
  options: {
    template: {
      type: 'string',
      short: 't',
      default: 'default',
      value: 'T',
      completes: 'templates',
      summary: 'template name, or path to a template directory',
    },
    yes: {
      type: 'boolean',
      short: 'y',
      aliases: ['no-input'] /* MFSERV's spelling, not a negated --input */,
      summary: 'use defaults for every field not given; never prompt',
    },
    set: {
      type: 'string',
      multiple: true,
      default: [],
      value: 'FIELD=VALUE',
      completes: 'fields',
      summary: 'answer a field',
    },
    answers: {
      type: 'string',
      value: 'FILE',
      completes: 'files',
      summary: 'answers file: JSON object of field: value, or .ini/.cfg with an [answers] section',
    },
    dir: { type: 'string', default: '.', value: 'DIR', completes: 'dirs', summary: 'parent directory of the plugin' },
    module: MODULE_OPTION,
    force: { type: 'boolean', summary: 'write over an existing plugin: replace only the files the template produces' },
    'dry-run': { type: 'boolean', summary: 'print the files that would be written; write nothing' },
    json: { type: 'boolean', summary: 'print the result as JSON' },
    make: { type: 'boolean', summary: 'then build the .plugin archive in the plugin directory (see release)' },
    install: { type: 'boolean', summary: "then install the archive with MetWork's plugins.install (needs --make)" },
    delete: {
      type: 'boolean',
      summary: 'then keep only the archive, moved beside the plugin directory (needs --make)',
    },
    ...TEMPLATE_OPTIONS,
  },
  async run({ options, args }) {
    const make = { make: Boolean(options.make), install: Boolean(options.install), delete: Boolean(options.delete) };
    checkMakeFlags({ ...make, dryRun: Boolean(options['dry-run']), force: Boolean(options.force) });
    const signal = abortOnSignals();
    const interactive = !options.yes && isInteractive();
    const createOptions: CreateOptions = {
      ...templateLookup(options),
      name: args.name,
      template: options.template,
      dir: options.dir,
      cwd: process.cwd(),
      module: resolveModule(options.module ?? process.env.MFMODULE),
      set: options.set,
      answersFile: options.answers,
      ask: interactive ? createAsk(signal) : undefined,
      force: options.force,
      dryRun: options['dry-run'],
      toolVersion: toolVersion(),
      metworkVersion: resolveMetwork(options.metwork, process.env).formatVersion,
      signal,
    };
    const made = make.make ? await makePlugin({ ...createOptions, ...make, environment: process.env }) : undefined;
    const result = made?.created ?? (await createPlugin(createOptions));
    if (options.json)
      out(JSON.stringify(made ? { ...result, archive: made.archive, deleted: made.deleted } : result, null, 2));
    else if (made) printMade(made);
    else printCreated(result);
    if (!options.yes && !interactive && result.defaulted.length > 0) {
      warn(
        `no terminal to ask on, so these took their defaults: ${result.defaulted.join(', ')} (choose with ` +
          '--set FIELD=VALUE; --yes silences this note)',
      );
    }
  },
});
