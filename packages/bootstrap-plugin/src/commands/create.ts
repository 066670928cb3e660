import type { CreateOptions, CreateResult } from '../core/create.js';
import type { MakeResult } from '../core/make.js';
import { defineCommand } from '../cli/command.js';
import { abortOnSignals, fieldAnswering, invokedAs, noteRemoved, out, toolVersion } from '../cli/io.js';
import {
  ANSWER_OPTIONS,
  JSON_OPTION,
  MODULE_OPTION,
  moduleOf,
  metworkOf,
  renderLimit,
  TEMPLATE_OPTIONS,
  templateLookup,
} from '../cli/options.js';

function printCreated(result: CreateResult): void {
  noteRemoved(result.leftovers, result.dryRun);
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
    ...ANSWER_OPTIONS,
    answers: {
      type: 'string',
      value: 'FILE',
      summary: 'answers file: JSON object of field: value, or .ini/.cfg with an [answers] section',
    },
    dir: { type: 'string', default: '.', value: 'DIR', summary: 'parent directory of the plugin' },
    module: MODULE_OPTION,
    force: { type: 'boolean', summary: 'write over an existing plugin: replace only the files the template produces' },
    'dry-run': { type: 'boolean', summary: 'print the files that would be written; write nothing' },
    json: JSON_OPTION,
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
    // Building an archive loads the release code: only when asked for.
    const maker = make.make || make.install || make.delete ? await import('../cli/deferred.js') : undefined;
    maker?.checkMakeFlags({ ...make, dryRun: Boolean(options['dry-run']), force: Boolean(options.force) });
    const signal = abortOnSignals();
    const answering = fieldAnswering(options.yes, signal);
    const metwork = metworkOf(options);
    const createOptions: CreateOptions = {
      ...templateLookup(options, metwork),
      ...renderLimit(),
      name: args.name,
      template: options.template,
      dir: options.dir,
      cwd: process.cwd(),
      module: moduleOf(options.module),
      set: options.set,
      answersFile: options.answers,
      ask: answering.ask,
      force: options.force,
      dryRun: options['dry-run'],
      toolVersion: toolVersion(),
      invokedAs: invokedAs(),
      metworkVersion: metwork.formatVersion,
      signal,
    };
    const made = maker ? await maker.makePlugin({ ...createOptions, ...make, environment: process.env }) : undefined;
    const { createPlugin } = await import('../core/create.js');
    const result = made?.created ?? (await createPlugin(createOptions));
    if (options.json)
      out(JSON.stringify(made ? { ...result, archive: made.archive, deleted: made.deleted } : result, null, 2));
    else if (made) printMade(made);
    else printCreated(result);
    answering.noteDefaulted(result.defaulted);
  },
});
