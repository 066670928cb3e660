import { EXIT } from '../core/errors.js';
import type { UpdateResult } from '../core/update.js';
import { defineCommand } from '../cli/command.js';
import { abortOnSignals, fieldAnswering, noteRemoved, out, toolVersion, warn } from '../cli/io.js';
import {
  ANSWER_OPTIONS,
  JSON_OPTION,
  PLUGIN_DIR_ARG,
  RECORDED_OPTIONS,
  recordedTemplate,
  TEMPLATE_OPTIONS,
} from '../cli/options.js';

function printUpdated(result: UpdateResult, actions: readonly string[]): void {
  noteRemoved(result.leftovers, result.dryRun);
  const width = Math.max(0, ...result.files.map((f) => f.action.length));
  for (const file of result.files)
    out(`  ${file.action.padEnd(width)}  ${file.path}${file.reason ? ` (${file.reason})` : ''}`);
  const summary = actions
    .map((action) => [action, result.files.filter((f) => f.action === action).length] as const)
    .filter(([, count]) => count > 0)
    .map(([action, count]) => `${count} ${action}`)
    .join(', ');
  if (result.dryRun) {
    const outcome = summary
      ? `updating ${result.name} from template ${result.template} would give ${summary}`
      : `${result.name} is up to date with template ${result.template}`;
    out(`Dry run: ${outcome}; nothing was written`);
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
  args: [PLUGIN_DIR_ARG],
  options: {
    ...RECORDED_OPTIONS,
    ...ANSWER_OPTIONS,
    set: { ...ANSWER_OPTIONS.set, summary: 'answer a field; wins over the recorded answer' },
    'dry-run': {
      type: 'boolean',
      summary: 'print what would be added, updated, merged, conflicted, removed; write nothing',
    },
    json: JSON_OPTION,
    ...TEMPLATE_OPTIONS,
  },
  async run({ options, args }) {
    const { updatePlugin } = await import('../core/update.js');
    const { FILE_ACTIONS } = await import('../core/update-plan.js');
    const signal = abortOnSignals();
    const answering = fieldAnswering(options.yes, signal);
    const result = await updatePlugin({
      ...recordedTemplate(options),
      dir: args.dir,
      cwd: process.cwd(),
      set: options.set,
      ask: answering.ask,
      dryRun: options['dry-run'],
      toolVersion: toolVersion(),
      signal,
    });
    if (options.json) out(JSON.stringify(result, null, 2));
    else printUpdated(result, FILE_ACTIONS);
    answering.noteDefaulted(result.defaulted, 'these new fields');
    if (result.conflicts.length > 0) {
      const count = `${result.conflicts.length} file${result.conflicts.length > 1 ? 's' : ''}`;
      warn(
        `error: ${result.dryRun ? 'would leave conflicts' : 'conflicts'} in ${count}: ` +
          `${result.conflicts.join(', ')} (resolve the <<<<<<< blocks and *.bootstrap-plugin-new files by hand)`,
      );
      process.exitCode = EXIT.failure;
    }
  },
});
