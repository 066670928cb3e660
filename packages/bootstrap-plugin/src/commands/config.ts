import type { CheckResult } from '../core/check.js';
import type { SetResult } from '../core/config.js';
import { EXIT } from '../core/errors.js';
import { defineCommand } from '../cli/command.js';
import { abortOnSignals, noteRemoved, out } from '../cli/io.js';
import { RECORDED_OPTIONS, recordedTemplate, TEMPLATE_OPTIONS } from '../cli/options.js';

const PATH = { name: 'path', required: true, summary: 'plugin directory or ini file' } as const;

function printSet(result: SetResult): void {
  noteRemoved(result.removed);
  for (const change of result.changes) {
    out(`${result.file}: [${change.section}] ${change.key} ${change.previous === undefined ? 'added' : 'changed'}`);
  }
}

function printCheck(result: CheckResult): void {
  for (const finding of result.findings) {
    const where = `${finding.file ?? result.file}${finding.line > 0 ? `:${finding.line}` : ''}`;
    out(`${where}: ${finding.severity === 'warning' ? 'warning: ' : ''}${finding.message}`);
  }
  if (!result.findings.some(isError))
    out(`${result.file}: no problems (checked against the ${result.template} template)`);
}

const isError = (finding: CheckResult['findings'][number]) => finding.severity !== 'warning';

export const configGet = defineCommand({
  name: 'config get',
  summary: 'print the raw value of SECTION.KEY',
  args: [PATH, { name: 'key', label: 'SECTION.KEY', required: true, summary: 'SECTION.KEY, e.g. custom.api_url' }],
  options: {},
  async run({ args }) {
    const { getConfigValue } = await import('../core/config.js');
    out(await getConfigValue({ path: args.path, cwd: process.cwd(), address: args.key }));
  },
});

export const configSet = defineCommand({
  name: 'config set',
  summary: 'set SECTION.KEY=VALUE in place, keeping comments, blank lines and order',
  args: [
    PATH,
    {
      name: 'assignments',
      label: 'SECTION.KEY=VALUE',
      required: true,
      variadic: true,
      summary: 'SECTION.KEY=VALUE (several allowed)',
    },
  ],
  options: {},
  async run({ args }) {
    const { setConfigValues } = await import('../core/config.js');
    printSet(
      await setConfigValues({
        path: args.path,
        cwd: process.cwd(),
        assignments: args.assignments,
        signal: abortOnSignals(),
      }),
    );
  },
});

export const configCheck = defineCommand({
  name: 'config check',
  summary: "check a plugin's config.ini against its template (exit 2 on findings)",
  args: [{ ...PATH, required: false, default: '.', summary: 'plugin directory or its config.ini' }],
  options: {
    ...TEMPLATE_OPTIONS,
    ...RECORDED_OPTIONS,
    template: {
      ...RECORDED_OPTIONS.template,
      summary: 'template to check against (default: the one in .bootstrap-plugin.json)',
    },
  },
  async run({ options, args }) {
    const { checkConfig } = await import('../core/check.js');
    const result = await checkConfig({
      ...recordedTemplate(options),
      path: args.path,
      cwd: process.cwd(),
      environment: process.env,
    });
    printCheck(result);
    if (result.findings.some(isError)) process.exitCode = EXIT.usage;
  },
});
