import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { checkConfig, type CheckResult } from './core/check.js';
import { getConfigValue, setConfigValues, type SetResult } from './core/config.js';
import { writeFileAtomic } from './core/fs-file.js';
import { createPlugin, type CreateResult } from './core/create.js';
import { collectVariables, DEFAULT_CONFIG_NAME } from './core/env.js';
import { BootstrapError, EXIT, UsageError } from './core/errors.js';
import { METWORK_GENERATIONS, resolveMetwork } from './core/metwork.js';
import { resolveModule } from './core/names.js';
import { PROFILE_FORMATS, renderProfile, type ProfileFormat } from './core/profiles.js';
import { listTemplates, type Template, type TemplateLookup } from './core/templates.js';
import { FILE_ACTIONS } from './core/update-plan.js';
import { updatePlugin, type UpdateResult } from './core/update.js';
import { DEFAULT_PORT, runPlugin, type RunEvent } from './core/run/run.js';
import { BUILTIN_TEMPLATES, PACKAGE_ROOT, RUNTIME_BIN } from './paths.js';
import { createAsk, endHungUp } from './prompt.js';

const TEMPLATES_ENV = 'BOOTSTRAP_PLUGIN_TEMPLATES';

const out = (text: string) => process.stdout.write(`${text}\n`);
// `bootstrap-plugin list | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // `run` has processes to stop first: exiting here would leave them behind.
  if (error.code === 'EPIPE') return running ? running.abort() : process.exit(EXIT.ok);
  // A closed terminal fails writes with EIO, sometimes before its SIGHUP arrives; output
  // happens only before (prompts) or after (results) writing files, so there is nothing to undo.
  if (error.code === 'EIO') return endHungUp();
  throw error;
});
const warn = (text: string) => process.stderr.write(`bootstrap-plugin: ${text}\n`);

let version: string | undefined;
/** This package's version, read once (`--version` and the plugin's state file both want it). */
function toolVersion(): string {
  version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

function templateLookup(argv: { templatesDir?: string[]; metwork?: string }): TemplateLookup {
  const fromEnv = (process.env[TEMPLATES_ENV] ?? '').split(':').filter(Boolean);
  // Absolute, so a plugin's .bootstrap-plugin.json records a template path valid from anywhere.
  const userDirs = [...(argv.templatesDir ?? []), ...fromEnv].map((dir) => resolve(dir));
  return { builtinDir: BUILTIN_TEMPLATES, userDirs, generation: resolveMetwork(argv.metwork, process.env).generation };
}

function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
}

function printList(templates: Template[]): void {
  const width = Math.max(10, ...templates.map((t) => t.name.length));
  const rows = templates.map((t) => `     * ${t.name.padEnd(width)} ${t.description}`.trimEnd());
  out(['List of available plugin templates:', ...rows].join('\n'));
}

function printCreated(result: CreateResult): void {
  for (const leftover of result.leftovers) warn(`${result.dryRun ? 'would remove' : 'removed'} ${leftover}, left by an interrupted run`);
  if (result.dryRun) {
    const replaced = new Set(result.replaced);
    const replacing = replaced.size > 0 ? `, replacing ${replaced.size} existing ones` : '';
    out(`Dry run: would create ${result.target} with ${result.files.length} files${replacing}:`);
    for (const file of result.files) out(`  ${file}${replaced.has(file) ? ' (replaces the existing file)' : ''}`);
    return;
  }
  out(`Plugin ${result.name} successfully created on directory ${result.target}`);
  if (result.replaced.length > 0) out(`Replaced ${result.replaced.length} existing files:\n${result.replaced.map((file) => `  ${file}`).join('\n')}`);
  if (result.nextSteps) out(`\n${result.nextSteps}`);
}

function printUpdated(result: UpdateResult): void {
  const width = Math.max(0, ...result.files.map((f) => f.action.length));
  for (const file of result.files) out(`  ${file.action.padEnd(width)}  ${file.path}${file.reason ? ` (${file.reason})` : ''}`);
  const summary = FILE_ACTIONS.map((action) => [action, result.files.filter((f) => f.action === action).length] as const)
    .filter(([, count]) => count > 0)
    .map(([action, count]) => `${count} ${action}`)
    .join(', ');
  if (result.dryRun) {
    out(`Dry run: ${summary ? `updating ${result.name} from template ${result.template} would give ${summary}` : `${result.name} is up to date with template ${result.template}`}; nothing was written`);
  } else out(summary ? `Plugin ${result.name} updated from template ${result.template}: ${summary}` : `Plugin ${result.name} is up to date with template ${result.template}`);
  if (result.newFields.length > 0) out(`New fields: ${result.newFields.map((field) => `${field}=${String(result.answers[field])}`).join(', ')}`);
}

function printSet(result: SetResult): void {
  noteRemoved(result.removed);
  for (const change of result.changes) {
    out(`${result.file}: [${change.section}] ${change.key} ${change.previous === undefined ? 'added' : 'changed'}`);
  }
}

/** Leftovers of killed runs (temporary files, a stale lock), removed on the way. */
function noteRemoved(paths: string[]): void {
  for (const path of paths) warn(`note: removed ${path}, left by an interrupted run`);
}

function printRunEvent(event: RunEvent): void {
  switch (event.kind) {
    case 'ready':
      out(`Serving plugin at ${event.url} (Ctrl-C stops everything)`);
      for (const app of event.apps) out(`  app ${app.name}: ${app.workers === 0 ? 'static files' : `${app.workers} worker(s)`} at ${app.urls.join(' ')}`);
      for (const daemon of event.daemons) out(`  extra daemon ${daemon.name}: ${daemon.copies} process(es)`);
      return;
    case 'output':
      out(`${event.worker} | ${event.line}`);
      return;
    case 'exited': {
      const how = event.error ?? (event.signal ? `killed by ${event.signal}` : `exited with code ${event.code}`);
      warn(`${event.worker} ${how}; restarting it in ${event.restartInMs / 1000} s`);
      return;
    }
    case 'restarting':
      out(`${event.changed.slice(0, 3).join(', ')}${event.changed.length > 3 ? ` and ${event.changed.length - 3} more` : ''} changed: restarting ${event.workers} process(es)`);
      return;
    case 'warning':
      warn(`warning: ${event.message}`);
      return;
    case 'stopping':
      warn('stopping every process of the plugin');
  }
}

function printCheck(result: CheckResult): void {
  for (const finding of result.findings) {
    const where = `${finding.file ?? result.file}${finding.line > 0 ? `:${finding.line}` : ''}`;
    out(`${where}: ${finding.severity === 'warning' ? 'warning: ' : ''}${finding.message}`);
  }
  if (!result.findings.some(isError)) out(`${result.file}: no problems (checked against the ${result.template} template)`);
}

const isError = (finding: CheckResult['findings'][number]) => finding.severity !== 'warning';

/**
 * Ctrl-C, SIGTERM and a closed terminal (SIGHUP) abort the work in progress; the core removes
 * what it had written. The listeners stay for the whole run: inquirer's signal-exit re-raises a
 * signal it thinks no one else handles, which would kill the process before it cleans up. A
 * second signal stops at once, for a user who does not want to wait.
 */
function abortOnSignals(): AbortSignal {
  const controller = new AbortController();
  running = controller;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (controller.signal.aborted) process.exit(EXIT.interrupted);
      hungUp ||= signal === 'SIGHUP';
      controller.abort();
    });
  }
  return controller.signal;
}

/** The work a signal aborts. */
let running: AbortController | undefined;

/** After a SIGHUP, the process ends by SIGHUP once the work is cleaned up (see endHungUp). */
let hungUp = false;

const templateOptions = (y: Argv) =>
  y
    .option('templates-dir', { type: 'array', string: true, describe: `extra template directory (repeatable; also $${TEMPLATES_ENV}, ":"-separated)` })
    .option('metwork', {
      type: 'string',
      describe: `MetWork generation of the MFSERV templates: ${METWORK_GENERATIONS.join(' or ')} (default: 2 when $MFMODULE_VERSION is >= 1, else 0.9)`,
    });

async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName('bootstrap-plugin')
    // `--no-input` is MFSERV's spelling of --yes, not the negation of an `--input` flag.
    .parserConfiguration({ 'boolean-negation': false })
    .usage('$0 <command> [options]')
    .option('verbose', { type: 'boolean', describe: 'print the stack trace of errors' })
    .command(
      'list',
      'list the available plugin templates',
      (y) => templateOptions(y).option('json', { type: 'boolean', describe: 'print an array of {name, description, source, fields}' }),
      (argv) => {
        const { templates, warnings } = listTemplates(templateLookup(argv));
        warnings.forEach(warn);
        if (argv.json) {
          const rows = templates.map((t) => ({ name: t.name, description: t.description, source: t.source, fields: t.fields }));
          out(JSON.stringify(rows, null, 2));
        } else printList(templates);
      },
    )
    .command(
      'create <name>',
      'create a plugin from a template',
      (y) =>
        templateOptions(y)
          .positional('name', { type: 'string', demandOption: true, describe: 'plugin name (letters, digits, "_", "-")' })
          .option('template', { alias: 't', type: 'string', default: 'default', describe: 'template name, or path to a template directory' })
          .option('yes', { alias: ['y', 'no-input'], type: 'boolean', describe: 'use defaults for every field not given; never prompt' })
          .option('set', { type: 'array', string: true, default: [], describe: 'FIELD=VALUE answer (repeatable)' })
          .option('answers', { type: 'string', describe: 'answers file: JSON object of field: value, or .ini/.cfg with an [answers] section' })
          .option('dir', { type: 'string', default: '.', describe: 'parent directory of the plugin' })
          .option('module', { type: 'string', describe: 'module name (default: $MFMODULE, else mfserv)' })
          .option('force', { type: 'boolean', default: false, describe: 'write over an existing plugin: replace only the files the template produces' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'print the files that would be written; write nothing' })
          .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }),
      async (argv) => {
        const signal = abortOnSignals();
        const interactive = !argv.yes && isInteractive();
        const result = await createPlugin({
          ...templateLookup(argv),
          name: argv.name,
          template: argv.template,
          dir: argv.dir,
          cwd: process.cwd(),
          module: resolveModule(argv.module ?? process.env.MFMODULE),
          set: argv.set,
          answersFile: argv.answers,
          ask: interactive ? createAsk(signal) : undefined,
          force: argv.force,
          dryRun: argv.dryRun,
          toolVersion: toolVersion(),
          metworkVersion: resolveMetwork(argv.metwork, process.env).formatVersion,
          signal,
        });
        if (argv.json) out(JSON.stringify(result, null, 2));
        else printCreated(result);
        if (!argv.yes && !interactive && result.defaulted.length > 0) {
          warn(`no terminal to ask on, so these took their defaults: ${result.defaulted.join(', ')} (choose with --set FIELD=VALUE; --yes silences this note)`);
        }
      },
    )
    .command(
      'env [paths..]',
      "print a shell profile of a plugin's or module's config.ini variables",
      (y) =>
        y
          .positional('paths', { type: 'string', array: true, default: ['.'], describe: 'plugin directory, or module ini files (later ones override earlier ones)' })
          .option('format', { choices: PROFILE_FORMATS, default: 'sh' as ProfileFormat, describe: 'profile format' })
          .option('module', { type: 'string', describe: 'module name (default: $MFMODULE, else mfserv)' })
          .option('config-name', { type: 'string', describe: `chooses key[VARIANT] values (default: $MFCONFIG, else ${DEFAULT_CONFIG_NAME})` })
          .option('output', { alias: 'o', type: 'string', describe: 'write the profile to FILE (atomically) instead of printing it' }),
      async (argv) => {
        const { variables, warnings, notes, scope } = await collectVariables({
          paths: argv.paths,
          cwd: process.cwd(),
          module: resolveModule(argv.module ?? process.env.MFMODULE),
          configName: argv.configName || process.env.MFCONFIG || DEFAULT_CONFIG_NAME,
          environment: process.env,
        });
        const profile = renderProfile(variables, argv.format, scope);
        for (const warning of [...warnings, ...profile.warnings]) warn(`warning: ${warning}`);
        for (const note of notes) warn(`note: ${note}`);
        if (argv.output) noteRemoved((await writeFileAtomic(argv.output, profile.text, abortOnSignals())).removed);
        else process.stdout.write(profile.text);
      },
    )
    .command(
      'update [dir]',
      'bring a plugin to the current version of its template, merging three ways with your changes',
      (y) =>
        templateOptions(y)
          .positional('dir', { type: 'string', default: '.', describe: 'plugin directory' })
          .option('template', { alias: 't', type: 'string', describe: 'template name or path (default: the one in .bootstrap-plugin.json)' })
          .option('yes', { alias: ['y', 'no-input'], type: 'boolean', describe: "take the default of every field the template adds; never prompt" })
          .option('set', { type: 'array', string: true, default: [], describe: 'FIELD=VALUE answer (repeatable); wins over the recorded one' })
          .option('module', { type: 'string', describe: 'module name, when .bootstrap-plugin.json has none (default: $MFMODULE, else mfserv)' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'print what would be added, updated, merged, conflicted, removed; write nothing' })
          .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }),
      async (argv) => {
        const signal = abortOnSignals();
        const interactive = !argv.yes && isInteractive();
        const result = await updatePlugin({
          ...templateLookup(argv),
          dir: argv.dir,
          cwd: process.cwd(),
          template: argv.template,
          module: resolveModule(argv.module ?? process.env.MFMODULE),
          set: argv.set,
          ask: interactive ? createAsk(signal) : undefined,
          dryRun: argv.dryRun,
          toolVersion: toolVersion(),
          signal,
        });
        if (argv.json) out(JSON.stringify(result, null, 2));
        else printUpdated(result);
        if (!argv.yes && !interactive && result.defaulted.length > 0) {
          warn(`no terminal to ask on, so these new fields took their defaults: ${result.defaulted.join(', ')} (choose with --set FIELD=VALUE; --yes silences this note)`);
        }
        if (result.conflicts.length > 0) {
          const count = `${result.conflicts.length} file${result.conflicts.length > 1 ? 's' : ''}`;
          warn(`error: ${result.dryRun ? 'would leave conflicts' : 'conflicts'} in ${count}: ${result.conflicts.join(', ')} (resolve the <<<<<<< blocks and *.bootstrap-plugin-new files by hand)`);
          process.exitCode = EXIT.failure;
        }
      },
    )
    .command('config', "read, edit and check a plugin's config.ini", (y) =>
      y
        .command(
          'get <path> <key>',
          'print the raw value of SECTION.KEY',
          (c) =>
            c
              .positional('path', { type: 'string', demandOption: true, describe: 'plugin directory or ini file' })
              .positional('key', { type: 'string', demandOption: true, describe: 'SECTION.KEY, e.g. custom.api_url' }),
          async (argv) => {
            out(await getConfigValue({ path: argv.path, cwd: process.cwd(), address: argv.key }));
          },
        )
        .command(
          'set <path> <assignments..>',
          'set SECTION.KEY=VALUE in place, keeping comments, blank lines and order',
          (c) =>
            c
              .positional('path', { type: 'string', demandOption: true, describe: 'plugin directory or ini file' })
              .positional('assignments', { type: 'string', array: true, demandOption: true, describe: 'SECTION.KEY=VALUE (several allowed)' }),
          async (argv) => printSet(await setConfigValues({ path: argv.path, cwd: process.cwd(), assignments: argv.assignments, signal: abortOnSignals() })),
        )
        .command(
          'check [path]',
          "check a plugin's config.ini against its template (exit 2 on findings)",
          (c) =>
            templateOptions(c)
              .positional('path', { type: 'string', default: '.', describe: 'plugin directory or its config.ini' })
              .option('template', { alias: 't', type: 'string', describe: 'template to check against (default: the one in .bootstrap-plugin.json)' })
              .option('module', { type: 'string', describe: 'module name, when .bootstrap-plugin.json has none (default: $MFMODULE, else mfserv)' }),
          async (argv) => {
            const result = await checkConfig({
              ...templateLookup(argv),
              path: argv.path,
              cwd: process.cwd(),
              template: argv.template,
              module: resolveModule(argv.module ?? process.env.MFMODULE),
              environment: process.env,
            });
            printCheck(result);
            if (result.findings.some(isError)) process.exitCode = EXIT.usage;
          },
        )
        .demandCommand(1, 'name a config command: get, set or check (see config --help)'),
    )
    .command(
      'run [dir]',
      'run a plugin as MFSERV would: its apps behind a local proxy, its daemons, restarts on change',
      (y) =>
        y
          .positional('dir', { type: 'string', default: '.', describe: 'plugin directory' })
          .option('port', { type: 'number', default: DEFAULT_PORT, describe: 'port of the proxy on 127.0.0.1 (MFSERV\'s nginx port by default)' })
          .option('config-name', { type: 'string', describe: `chooses key[VARIANT] values (default: $MFCONFIG, else ${DEFAULT_CONFIG_NAME})` })
          .option('module', { type: 'string', describe: 'module name (default: $MFMODULE, else mfserv)' }),
      async (argv) => {
        if (!Number.isInteger(argv.port) || argv.port < 1 || argv.port > 65535) throw new UsageError(`--port ${argv.port}: expected a whole number from 1 to 65535`);
        const signal = abortOnSignals();
        await runPlugin({
          dir: argv.dir,
          cwd: process.cwd(),
          port: argv.port,
          module: resolveModule(argv.module ?? process.env.MFMODULE),
          configName: argv.configName || process.env.MFCONFIG || DEFAULT_CONFIG_NAME,
          environment: process.env,
          runtime: { binDir: RUNTIME_BIN, python: 'python3' },
          signal,
          onEvent: printRunEvent,
        });
        process.exitCode = EXIT.interrupted;
      },
    )
    .demandCommand(1, 'name a command: list, create, update, env, config or run (see --help)')
    .strict()
    .version(toolVersion())
    .help()
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .parseAsync();
}

main().catch((error: unknown) => {
  // A typed error is the user's to fix and says how; anything else is ours, worth the stack.
  const expected = error instanceof BootstrapError;
  warn(`error: ${(error as Error).message ?? String(error)}`);
  if (process.argv.includes('--verbose')) process.stderr.write(`${(error as Error).stack}\n`);
  else if (!expected) process.stderr.write('(run again with --verbose for details)\n');
  process.exitCode = expected ? error.exitCode : EXIT.failure;
}).finally(() => {
  if (hungUp) endHungUp();
});
