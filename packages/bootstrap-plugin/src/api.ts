/**
 * The public API (`import … from 'bootstrap-plugin'`): what the Yeoman generator, or any other
 * front end, needs to make the plugin the CLI makes. Everything else in the package is internal.
 */
export { resolveAnswers, type Ask } from './core/answers.js';
export { stateFile } from './core/plugin.js';
export { BASE_FILE, baseFile, LEGACY_BASE_FILE, recordSecrets } from './core/record.js';
export { mergeTemplate, type Merge } from './core/update.js';
export { checkAnswer, type Answers, type Field, type FieldValue } from './core/fields.js';
export { METWORK_GENERATIONS, resolveMetwork, type MetworkGeneration } from './core/metwork.js';
export { DEFAULT_MODULE, resolveModule, validatePluginName } from './core/names.js';
export { renderContext, renderNextSteps, renderTemplate } from './core/render.js';
export { renderTimeLimitOf } from './core/render-limit.js';
export { findTemplate, listTemplates, type Template, type TemplateLookup } from './core/templates.js';
export { BUILTIN_TEMPLATES } from './paths.js';
export { toQuestion } from './prompt.js';
