import { EXIT } from '../core/errors.js';
import { resolveModule } from '../core/names.js';
import { FILE_ACTIONS } from '../core/update-plan.js';
import { updatePlugin, type UpdateResult } from '../core/update.js';
import { createAsk } from '../prompt.js';
import { defineCommand } from '../cli/command.js';
import { abortOnSignals, isInteractive, out, TEMPLATE_OPTIONS, templateLookup, toolVersion, warn } from '../cli/io.js';

function printUpdated(result: UpdateResult): void {
  for (const leftover of result.leftovers)
    warn(`${result.dryRun ? 'would remove' : 'removed'} ${leftover}, left by an interrupted run`);
  const width = Math.max(0, ...result.files.map((f) => f.action.length));
  for (const file of result.files)
    out(`  ${file.action.padEnd(width)}  ${file.path}${file.reason ? ` (${file.reason})` : ''}`);
  const summary = FILE_ACTIONS.map(
    (action) => [action, result.files.filter((f) => f.action === action).length] as const,
  )
    .filter(([, count]) => count > 0)
    .map(([action, count]) => `${count} ${action}`)
    .join(', ');
  if (result.dryRun) {
    out(
      `Dry run: ${summary ? `updating ${result.name} from template ${result.template} would give ${summary}` : `${result.name} is up to date with template ${result.template}`}; nothing was written`,
    );
  } else
    out(
      summary
        ? `Plugin ${result.name} updated from template ${result.template}: ${summary}`
        : `Plugin ${result.name} is up to date with template ${result.template}`,
    );
  if (result.newFields.length > 0)
    out(`New fields: ${result.newFields.map((field) => `${field}=${String(result.answers[field])}`).join(', ')}`);
}

export const update = defineCommand({
  name: 'update',
  summary: 'bring a plugin to the current version of its template, merging three ways with your changes',
  args: [{ name: 'dir', default: '.', completes: 'dirs', summary: 'plugin directory' }],
  options: {
    template: {
      type: 'string',
      short: 't',
      value: 'T',
      completes: 'templates',
      summary: 'template name or path (default: the one in .bootstrap-plugin.json)',
    },
    yes: {
      type: 'boolean',
      short: 'y',
      aliases: ['no-input'],
      summary: 'take the default of every field the template adds; never prompt',
    },
    set: {
      type: 'string',
      multiple: true,
      default: [],
      value: 'FIELD=VALUE',
      completes: 'fields',
      summary: 'answer a field; wins over the recorded one',
    },
    module: {
      type: 'string',
      value: 'M',
      summary: 'module name, when .bootstrap-plugin.json has none (default: $MFMODULE, else mfserv)',
    },
    'dry-run': {
      type: 'boolean',
      summary: 'print what would be added, updated, merged, conflicted, removed; write nothing',
    },
    json: { type: 'boolean', summary: 'print the result as JSON' },
    ...TEMPLATE_OPTIONS,
  },
  async run({ options, args }) {
    const signal = abortOnSignals();
    const interactive = !options.yes && isInteractive();
    const result = await updatePlugin({
      ...templateLookup(options),
      dir: args.dir,
      cwd: process.cwd(),
      template: options.template,
      module: resolveModule(options.module ?? process.env.MFMODULE),
      set: options.set,
      ask: interactive ? createAsk(signal) : undefined,
      dryRun: options['dry-run'],
      toolVersion: toolVersion(),
      signal,
    });
    if (options.json) out(JSON.stringify(result, null, 2));
    else printUpdated(result);
    if (!options.yes && !interactive && result.defaulted.length > 0) {
      warn(
        `no terminal to ask on, so these new fields took their defaults: ${result.defaulted.join(', ')} (choose with --set FIELD=VALUE; --yes silences this note)`,
      );
    }
    if (result.conflicts.length > 0) {
      const count = `${result.conflicts.length} file${result.conflicts.length > 1 ? 's' : ''}`;
      warn(
        `error: ${result.dryRun ? 'would leave conflicts' : 'conflicts'} in ${count}: ${result.conflicts.join(', ')} (resolve the <<<<<<< blocks and *.bootstrap-plugin-new files by hand)`,
      );
      process.exitCode = EXIT.failure;
    }
  },
});
