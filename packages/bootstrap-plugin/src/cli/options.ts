import { resolve } from 'node:path';
import { DEFAULT_CONFIG_NAME, METWORK_GENERATIONS, resolveMetwork, type MetworkSelection } from '../core/metwork.js';
import { resolveModule } from '../core/names.js';
import { renderTimeLimitOf } from '../core/render-limit.js';
import type { RenderLimit } from '../core/render.js';
import type { TemplateLookup } from '../core/templates.js';
import { BUILTIN_TEMPLATES } from '../paths.js';
import type { OptionSpec, PositionalSpec } from './command.js';

/** Options and arguments several commands take, with the environment variables that stand in for them. */

const TEMPLATES_ENV = 'BOOTSTRAP_PLUGIN_TEMPLATES';

export const TEMPLATES_DIR_OPTION = {
  type: 'string',
  multiple: true,
  value: 'DIR',
  summary: `extra template directory (also $${TEMPLATES_ENV}, ":"-separated)`,
} as const satisfies OptionSpec;

export const METWORK_OPTION = {
  type: 'string',
  value: 'G',
  summary:
    `MetWork generation of the MFSERV templates: ${METWORK_GENERATIONS.join(' or ')} ` +
    '(default: 2 when $MFMODULE_VERSION is >= 1, else 0.9)',
} as const satisfies OptionSpec;

/** The template options of list, create, update and config check: `--templates-dir` and `--metwork`. */
export const TEMPLATE_OPTIONS = { 'templates-dir': TEMPLATES_DIR_OPTION, metwork: METWORK_OPTION } as const;

/** The plugin directory run, update and release work on: the current one by default. */
export const PLUGIN_DIR_ARG = {
  name: 'dir',
  default: '.',
  summary: 'plugin directory',
} as const satisfies PositionalSpec;

export const MODULE_OPTION = {
  type: 'string',
  value: 'M',
  summary: 'module name (default: $MFMODULE, else mfserv)',
} as const satisfies OptionSpec;

export const CONFIG_NAME_OPTION = {
  type: 'string',
  value: 'N',
  summary: `chooses key[VARIANT] values (default: $MFCONFIG, else ${DEFAULT_CONFIG_NAME})`,
} as const satisfies OptionSpec;

/** Update and config check: a plugin's .bootstrap-plugin.json already names its template and module. */
export const RECORDED_OPTIONS = {
  template: {
    type: 'string',
    short: 't',
    value: 'T',
    completes: 'templates',
    summary: 'template name or path (default: the one in .bootstrap-plugin.json)',
  },
  module: {
    ...MODULE_OPTION,
    summary: 'module name, when .bootstrap-plugin.json has none (default: $MFMODULE, else mfserv)',
  },
} as const satisfies Record<string, OptionSpec>;

/** The answering options of create and update. */
export const ANSWER_OPTIONS = {
  yes: {
    type: 'boolean',
    short: 'y',
    aliases: ['no-input'] /* MFSERV's spelling, not a negated --input */,
    summary: 'use the default of every field not answered; never prompt',
  },
  set: {
    type: 'string',
    multiple: true,
    default: [],
    value: 'FIELD=VALUE',
    completes: 'fields',
    summary: 'answer a field',
  },
} as const satisfies Record<string, OptionSpec>;

export const JSON_OPTION = { type: 'boolean', summary: 'print the result as JSON' } as const satisfies OptionSpec;

type TemplateFlags = { 'templates-dir'?: readonly string[]; metwork?: string };

/** `--metwork`, else what the loaded MetWork environment says (see resolveMetwork). */
export const metworkOf = (options: TemplateFlags): MetworkSelection => resolveMetwork(options.metwork, process.env);

/** Where templates are looked up; `metwork`, when the caller needs it too, is `--metwork` resolved once. */
export function templateLookup(options: TemplateFlags, metwork = metworkOf(options)): TemplateLookup {
  const fromEnv = (process.env[TEMPLATES_ENV] ?? '').split(':').filter(Boolean);
  // Absolute, so a plugin's .bootstrap-plugin.json records a template path valid from anywhere.
  const userDirs = [...(options['templates-dir'] ?? []), ...fromEnv].map((dir) => resolve(dir));
  return {
    builtinDir: BUILTIN_TEMPLATES,
    userDirs,
    generation: metwork.generation,
  };
}

/**
 * The time limit of a user template's render, for the commands that render: read there, so a
 * malformed value does not fail `list` or completion, which render nothing.
 */
export const renderLimit = (): RenderLimit => ({ renderTimeLimit: renderTimeLimitOf(process.env) });

/** What update and config check are told about a plugin's template: RECORDED_OPTIONS and TEMPLATE_OPTIONS. */
export function recordedTemplate(options: TemplateFlags & { template?: string; module?: string }) {
  return {
    ...templateLookup(options),
    ...renderLimit(),
    template: options.template,
    module: moduleOf(options.module),
  };
}

export const moduleOf = (given: string | undefined) => resolveModule(given ?? process.env.MFMODULE);

export const configNameOf = (given: string | undefined) => given || process.env.MFCONFIG || DEFAULT_CONFIG_NAME;
