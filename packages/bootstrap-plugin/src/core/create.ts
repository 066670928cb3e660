import { relative, resolve } from 'node:path';
import { resolveAnswers, type AnswerSources } from './answers.js';
import type { Answers } from './fields.js';
import { UsageError } from './errors.js';
import { printable, validatePluginName } from './names.js';
import { stateFile } from './plugin.js';
import { baseFile, recordSecrets } from './record.js';
import { renderContext, renderPlugin, type RenderLimit } from './render.js';
import { METWORK2_REFERENCE_VERSION } from './metwork.js';
import { findTemplate, type TemplateLookup } from './templates.js';
import { assertWritable, writeFiles } from './tree.js';

export interface CreateOptions extends TemplateLookup, AnswerSources, RenderLimit {
  name: string;
  /** Template name or path; `default` when absent. */
  template?: string;
  /** Parent directory of the plugin. */
  dir: string;
  cwd: string;
  module: string;
  force: boolean;
  dryRun: boolean;
  /** This tool's version, stored beside the answers. */
  toolVersion: string;
  /** What format-2 templates write in `.plugin_format_version` (see resolveMetwork). */
  metworkVersion?: string;
  /** The command that runs this tool in the user's shell, for the next steps; `bootstrap-plugin` when absent. */
  invokedAs?: string;
  signal?: AbortSignal;
}

export interface CreateResult {
  name: string;
  template: string;
  /** Absolute path of the plugin directory. */
  target: string;
  answers: Answers;
  /** Fields that took their default without being asked. */
  defaulted: string[];
  /** Relative paths of the files written (or that would be, with `dryRun`), sorted. */
  files: string[];
  /** Of those, the ones that replaced an existing file (`force`). */
  replaced: string[];
  /** Temporary files a killed run left on this target: removed (named only, with `dryRun`). */
  leftovers: string[];
  /** The template's next steps, rendered; empty when it has none. */
  nextSteps: string;
  dryRun: boolean;
}

/**
 * `create`, in SPEC order: name → template → answers → render in memory → write (a new
 * directory atomically; with `force`, only the template's files, each atomically).
 */
export async function createPlugin(options: CreateOptions): Promise<CreateResult> {
  validatePluginName(options.name);
  // A command line cannot carry NUL, but an API caller can; the file system would reject it late.
  if (options.dir.includes('\0'))
    throw new UsageError(`--dir "${printable(options.dir)}": a path cannot hold a NUL character`);
  const target = resolve(options.cwd, options.dir, options.name);
  const template = findTemplate(options.template ?? 'default', options, options.cwd);
  validatePluginName(options.name, template);
  // Before any question: a user should not answer ten prompts to learn the directory exists.
  assertWritable(target, options.force);
  const { answers, defaulted } = await resolveAnswers(template.fields, options);
  const context = renderContext(options.name, options.module, answers, {
    metworkVersion: options.metworkVersion ?? METWORK2_REFERENCE_VERSION,
  });
  const secrets = recordSecrets(context);
  const steps = { dir: relative(options.cwd, target), cli: options.invokedAs };
  const { files, nextSteps } = await renderPlugin(template, context, steps, {
    signal: options.signal,
    timeLimit: options.renderTimeLimit,
  });
  // What `update` needs later: the answers, and what the template produced to merge against.
  files.push(stateFile(template, options.module, options.toolVersion, answers), baseFile(files, secrets));
  const written = await writeFiles(target, files, {
    replace: options.force,
    dryRun: options.dryRun,
    signal: options.signal,
  });
  return {
    name: options.name,
    template: template.name,
    target,
    answers,
    defaulted,
    files: written.written,
    replaced: written.replaced,
    leftovers: written.leftovers,
    nextSteps,
    dryRun: options.dryRun,
  };
}
