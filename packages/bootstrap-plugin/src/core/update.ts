import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { recordedAnswer, resolveAnswers, type AnswerSources } from './answers.js';
import { BootstrapError, ioReason, UsageError, WorkError } from './errors.js';
import type { Answers } from './fields.js';
import type { MergeLabels } from './merge.js';
import { applyChanges, type ApplyResult, type Change } from './fs-changes.js';
import { FORMAT_VERSION_FILE, METWORK2_REFERENCE_VERSION } from './metwork.js';
import { validatePluginName } from './names.js';
import { pluginRootOf, readPluginName, readState, stateFile, STATE_FILE } from './plugin.js';
import { baseFile, LEGACY_BASE_FILE, readBase, recordSecrets, RECORD_FILES, type PluginBase } from './record.js';
import { renderContext, renderTemplate, type RenderedFile, type RenderLimit, type RenderOptions } from './render.js';
import { findTemplate, trustedStateTemplate, type Template, type TemplateLookup } from './templates.js';
import { planFiles, type FilePlan, type FileUpdate } from './update-plan.js';

export interface UpdateOptions extends TemplateLookup, RenderLimit, Pick<AnswerSources, 'set' | 'ask'> {
  /** The plugin directory. */
  dir: string;
  cwd: string;
  /** Template name or path, instead of the one `.bootstrap-plugin.json` records. */
  template?: string;
  /** The module, when `.bootstrap-plugin.json` does not record one. */
  module: string;
  dryRun: boolean;
  /** This tool's version, recorded beside the answers. */
  toolVersion: string;
  signal?: AbortSignal;
}

export interface UpdateResult {
  name: string;
  /** Absolute path of the plugin directory. */
  target: string;
  template: string;
  /** Every file added, updated, merged, conflicted, removed or kept against the template, by path. */
  files: FileUpdate[];
  /** The conflicted paths: the command fails when there are any. */
  conflicts: string[];
  /** Every answer the plugin now records. */
  answers: Answers;
  /** Fields the recorded answers did not answer (new in the template, or no longer valid). */
  newFields: string[];
  /** Fields that took their default without being asked. */
  defaulted: string[];
  /** Temporary files a killed run left beside the plugin's files, removed first (named only, with `dryRun`). */
  leftovers: string[];
  dryRun: boolean;
}

/**
 * `update`: re-renders the plugin's template (the recorded one, or `template`) with its recorded
 * answers and merges three ways against the base recorded at `create` (or the last update): a
 * file the user did not touch takes the template's new version, one the template did not change
 * stays the user's, one both changed is merged line by line, overlaps marked git's way. Files
 * neither the base nor the template know are never read. All or nothing, like `create`.
 */
export async function updatePlugin(options: UpdateOptions): Promise<UpdateResult> {
  const target = await pluginRootOf(resolve(options.cwd, options.dir));
  const shown = relative(options.cwd, target) || '.';
  assertPluginDir(target, shown);
  const state = await readState(target);
  const templateName =
    options.template ?? (state.template && trustedStateTemplate(state.template, join(shown, STATE_FILE), options));
  if (!templateName)
    throw new UsageError(
      `${join(shown, STATE_FILE)} does not name the plugin's template: pass --template=NAME or PATH`,
    );
  // Before any question: without a base there is nothing to merge against.
  const base = await readBase(target, shown);
  // The plugin says its generation: a format-2 plugin has a .plugin_format_version, whatever the shell's MetWork.
  const formatVersion = await readFormatVersion(target);
  const template = findTemplate(templateName, { ...options, generation: formatVersion ? '2' : '0.9' }, options.cwd);
  const name = await readPluginName(target);
  validatePluginName(name, template);
  const module = state.module ?? options.module;
  const newFields = template.fields
    .filter((field) => recordedAnswer(field, { recorded: state.answers }) === undefined)
    .map((f) => f.name);
  const { answers, defaulted } = await resolveAnswers(template.fields, {
    set: options.set,
    ask: options.ask,
    recorded: state.answers,
  });
  const plan = await mergeTemplate({
    target,
    shown,
    base,
    template,
    name,
    module,
    answers,
    toolVersion: options.toolVersion,
    metworkVersion: formatVersion,
    render: { signal: options.signal, timeLimit: options.renderTimeLimit },
  });
  const changes: Change[] = [...plan.changes, ...readingPlugin(target, () => changedRecord(target, plan.record))];
  const { leftovers } = await applyUpdate(target, changes, options);
  return {
    name,
    target,
    template: template.name,
    files: plan.files,
    conflicts: plan.files.filter((file) => file.action === 'conflicted').map((file) => file.path),
    answers,
    newFields: newFields.filter((field) => Object.hasOwn(answers, field)),
    defaulted,
    leftovers,
    dryRun: options.dryRun,
  };
}

const UNCHANGED = 'the plugin was left as it was';

/** Writes the update, all or nothing (`dryRun`: only names the leftovers it would remove). */
async function applyUpdate(target: string, changes: Change[], options: UpdateOptions): Promise<ApplyResult> {
  const { dryRun, signal } = options;
  try {
    return await applyChanges(target, changes, { dryRun, signal, interrupted: `interrupted, ${UNCHANGED}` });
  } catch (error) {
    if (error instanceof BootstrapError) throw error;
    throw new WorkError(`cannot update ${target}: ${ioReason(error)}; ${UNCHANGED}`);
  }
}

export interface MergeOptions {
  /** The plugin directory, absolute. */
  target: string;
  /** The same, as shown in messages. */
  shown: string;
  /** The plugin's recorded base; read from `target` when absent. */
  base?: PluginBase;
  template: Template;
  name: string;
  module: string;
  answers: Answers;
  toolVersion: string;
  /** What a format-2 plugin's `.plugin_format_version` holds; by default, what the plugin's own says. */
  metworkVersion?: string;
  /** Stops a user template's render (a signal, a time limit). */
  render?: RenderOptions;
}

export interface Merge extends FilePlan {
  /** The plugin's record after the merge: its state file and its new base, to write with the changes. */
  record: RenderedFile[];
}

/**
 * Renders `template` for the plugin and merges it three ways with the plugin's files against
 * their recorded base, writing nothing: what `update` applies, and what a front end with its
 * own writer (the Yeoman generator's re-run) writes through that writer.
 */
export async function mergeTemplate(options: MergeOptions): Promise<Merge> {
  const { target, shown, template } = options;
  const base = options.base ?? (await readBase(target, shown));
  const metworkVersion = options.metworkVersion ?? (await readFormatVersion(target)) ?? METWORK2_REFERENCE_VERSION;
  const context = renderContext(options.name, options.module, options.answers, { metworkVersion });
  const secrets = recordSecrets(context, base.secrets);
  const rendered = (await renderTemplate(template, context, options.render)).filter(
    (file) => !RECORD_FILES.includes(file.path),
  );
  const labels: MergeLabels = { ours: 'yours', theirs: `template ${template.name}` };
  const plan = readingPlugin(target, () => planFiles(target, base.files, rendered, labels));
  if (plan.unresolved.length > 0) {
    const files = plan.unresolved.map((path) => join(shown, path)).join(', ');
    throw new UsageError(
      `${files} still hold${plan.unresolved.length > 1 ? '' : 's'} the conflict markers of the last update: ` +
        `resolve them first (keep what you want between <<<<<<< ${labels.ours} and >>>>>>> ${labels.theirs}, ` +
        'remove the markers)',
    );
  }
  return {
    ...plan,
    record: [stateFile(template, options.module, options.toolVersion, options.answers), baseFile(rendered, secrets)],
  };
}

/** A format-2 plugin's MetWork version, as its `.plugin_format_version` says: an update keeps it. */
async function readFormatVersion(target: string): Promise<string | undefined> {
  const text = await readFile(join(target, FORMAT_VERSION_FILE), 'utf8').catch(() => undefined);
  return text?.trim() || undefined;
}

function assertPluginDir(target: string, shown: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(target).isDirectory();
  } catch {
    // Reported below, in the same words as a file in the way.
  }
  if (!isDirectory)
    throw new UsageError(`no plugin directory at ${shown} (give the directory created by bootstrap-plugin create)`);
}

/**
 * The record files whose bytes change (an update that changes nothing writes nothing), and the
 * gzip'd base of an earlier version, which the new base replaces.
 */
function changedRecord(target: string, record: RenderedFile[]): Change[] {
  const changed: Change[] = record.filter((file) => {
    try {
      return !readFileSync(join(target, file.path)).equals(file.content);
    } catch {
      return true;
    }
  });
  return existsSync(join(target, LEGACY_BASE_FILE)) ? [...changed, { path: LEGACY_BASE_FILE }] : changed;
}

/** Runs a read of the plugin, turning an I/O failure (a file it may not read) into one line. */
function readingPlugin<T>(target: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof BootstrapError) throw error;
    const { path } = error as NodeJS.ErrnoException;
    throw new WorkError(`cannot read ${path ?? target}: ${ioReason(error)}; nothing was written`);
  }
}
