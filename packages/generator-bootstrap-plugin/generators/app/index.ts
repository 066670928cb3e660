import { constants, existsSync, type Stats } from 'node:fs';
import { join, relative } from 'node:path';
import Generator, { type BaseOptions } from 'yeoman-generator';
import {
  checkAnswer,
  DEFAULT_MODULE,
  findTemplate,
  listTemplates,
  METWORK_GENERATIONS,
  renderContext,
  resolveMetwork,
  renderNextSteps,
  renderTemplate,
  renderTimeLimitOf,
  resolveAnswers,
  resolveModule,
  BASE_FILE,
  baseFile,
  LEGACY_BASE_FILE,
  mergeTemplate,
  recordSecrets,
  stateFile,
  toQuestion,
  validatePluginName,
  type Answers,
  type Ask,
  type Field,
  type FieldValue,
  type MetworkGeneration,
  type Template,
  type TemplateLookup,
} from 'bootstrap-plugin';
import { LOOKUP, MAIN_GENERATOR } from '../lookup.js';

const DEFAULT_TEMPLATE = 'default';
/** How long a user template may render, as the CLI reads it (BOOTSTRAP_PLUGIN_RENDER_TIMEOUT). */
const renderOptions = () => ({ timeLimit: renderTimeLimitOf(process.env) });

/**
 * What `.yo-rc.json` keeps under "generator-bootstrap-plugin" (the package name, as for any
 * generator), so a re-run offers the same answers.
 */
interface StoredConfig {
  name?: string;
  template?: string;
  module?: string;
  metwork?: MetworkGeneration;
  answers?: Answers;
}

type Options = BaseOptions & {
  name?: string;
  template?: string;
  module?: string;
  metwork?: string;
  yes?: boolean;
};

/**
 * `yo bootstrap-plugin [NAME] [--template=T]`: the CLI's `create`, with Yeoman doing the
 * asking and the writing. Fields, validation, rendering and the state file come from the core,
 * so a plugin made here is the one `bootstrap-plugin create` makes from the same answers.
 */
export default class BootstrapPluginGenerator extends Generator<StoredConfig, Options> {
  private pluginName = '';
  private module = DEFAULT_MODULE;
  private template?: Template;
  private answers: Answers = {};
  /** The built-in templates' MetWork generation, and what format 2 writes in .plugin_format_version. */
  private metwork = resolveMetwork(undefined, process.env);
  private lookup: TemplateLookup = LOOKUP;
  /** The plugin directory: `./NAME`, or the current one when it is that plugin (a re-run). */
  private target = '';
  /** Files a re-run's merge left with conflicts, with the reason. */
  private conflicts: string[] = [];
  /** Whether questions are asked: not with --yes, nor without a terminal to ask them on. */
  private interactive = true;

  constructor(args: string[], options: Options) {
    super(args, options);
    this.argument('name', { type: String, required: false, description: 'plugin name (letters, digits, "_", "-")' });
    this.option('template', {
      type: String,
      description: 'template name, or path to a template directory (asked when absent)',
    });
    this.option('module', { type: String, description: 'module name (default: $MFMODULE, else mfserv)' });
    this.option('metwork', {
      type: String,
      description:
        `MetWork generation of the MFSERV templates: ${METWORK_GENERATIONS.join(' or ')} ` +
        `(default: 2 when $MFMODULE_VERSION is >= 1, else 0.9)`,
    });
    this.option('yes', {
      type: Boolean,
      alias: 'y',
      description: 'never prompt: the stored answers, else the defaults (NAME is then required)',
    });
  }

  async prompting(): Promise<void> {
    const here = this.config.getAll();
    const rerun = here.name !== undefined && (this.options.name === undefined || this.options.name === here.name);
    const named = this.options.name ?? here.name;
    this.interactive = !this.options.yes && this.#hasTerminal();
    if (named === undefined && !this.interactive) {
      const why = this.options.yes ? 'with --yes' : 'without a terminal to ask on';
      throw new Error(`a plugin name is needed ${why}: yo bootstrap-plugin NAME --yes`);
    }
    if (named !== undefined) validatePluginName(named);
    // The plugin's own .yo-rc.json, read before the plugin directory becomes the destination root.
    const storedFor = (name: string): StoredConfig =>
      rerun
        ? here
        : this.createStorage(join(this.destinationPath(name), '.yo-rc.json'), this.rootGeneratorName()).getAll();
    const previous = named === undefined ? {} : storedFor(named);
    this.module = resolveModule(this.options.module ?? previous.module ?? process.env.MFMODULE);
    this.metwork = resolveMetwork(this.options.metwork ?? previous.metwork, process.env);
    this.lookup = { ...LOOKUP, generation: this.metwork.generation };
    this.template = findTemplate(await this.#chooseTemplate(previous.template), this.lookup, this.destinationRoot());
    // An asked name comes after the template, so its prompt applies the template's name rules too and re-asks.
    this.pluginName = named ?? (await this.#askName(this.template));
    validatePluginName(this.pluginName, this.template);
    this.target = rerun ? this.destinationRoot() : this.destinationPath(this.pluginName);
    const stored = named === undefined ? storedFor(this.pluginName).answers : previous.answers;
    // The CLI's resolution (when, validation, messages), with Yeoman asking and stored answers as defaults;
    // with --yes nothing is asked: a stored answer still valid is kept, any other field takes its default.
    const ask: Ask = async (field, defaultValue) => {
      const answers = await this.prompt<Record<string, unknown>>([
        toQuestion(field, storedAnswer(field, stored) ?? defaultValue),
      ] as never);
      return answers[field.name];
    };
    const resolved = await resolveAnswers(this.template.fields, {
      set: [],
      ...(this.interactive ? { ask } : { recorded: stored }),
    });
    this.answers = resolved.answers;
    // As the CLI: without a terminal the defaults are taken, and said so unless --yes asked for them.
    if (!this.options.yes && !this.interactive && resolved.defaulted.length > 0)
      this.log(
        `no terminal to ask on, so these took their defaults: ${resolved.defaulted.join(', ')}` +
          ' (--yes silences this note)',
      );
  }

  async writing(): Promise<void> {
    const template = this.template!;
    this.destinationRoot(this.target);
    const recorded = [BASE_FILE, LEGACY_BASE_FILE].some((file) => existsSync(this.destinationPath(file)));
    if (recorded) await this.#writeMerged(template);
    else await this.#writeRendered(template);
    this.config.set({
      name: this.pluginName,
      template: template.name,
      module: this.module,
      metwork: this.metwork.generation,
      answers: this.answers,
    });
  }

  async end(): Promise<void> {
    this.log(`Plugin ${this.pluginName} successfully created on directory ${this.target}`);
    if (this.conflicts.length > 0)
      this.log(`Conflicts to resolve by hand:\n${this.conflicts.map((c) => `  ${c}`).join('\n')}`);
    const place = { dir: relative(this.contextRoot, this.target) };
    const nextSteps = await renderNextSteps(this.template!, this.#context(), place, renderOptions());
    if (nextSteps) this.log(`\n${nextSteps}`);
  }

  #context() {
    return renderContext(this.pluginName, this.module, this.answers, { metworkVersion: this.metwork.formatVersion });
  }

  /**
   * A re-run over a plugin with a recorded base merges three ways, as `bootstrap-plugin update`
   * does: the user's edits stay, the template's changes come in, and Yeoman's per-file question
   * shows the merged result. Without a base, the plain rendering goes to Yeoman's question.
   */
  async #writeMerged(template: Template): Promise<void> {
    const merge = await mergeTemplate({
      target: this.target,
      shown: this.target,
      template,
      name: this.pluginName,
      module: this.module,
      answers: this.answers,
      toolVersion: this.rootGeneratorVersion(),
      render: renderOptions(),
    });
    for (const change of merge.changes) {
      if (change.content) this.#writeFile(change.path, change.content, change.mode ?? 0o644);
      else this.fs.delete(this.destinationPath(change.path));
    }
    for (const file of merge.record) this.#writeFile(file.path, file.content, file.mode);
    // An earlier version's gzip'd base, replaced by the record just written.
    if (existsSync(this.destinationPath(LEGACY_BASE_FILE))) this.fs.delete(this.destinationPath(LEGACY_BASE_FILE));
    this.conflicts = merge.files.filter((f) => f.action === 'conflicted').map((f) => `${f.path}: ${f.reason}`);
  }

  async #writeRendered(template: Template): Promise<void> {
    const context = this.#context();
    const secrets = recordSecrets(context);
    const files = await renderTemplate(template, context, renderOptions());
    // The CLI's record, so `bootstrap-plugin update` can merge a plugin made here.
    files.push(stateFile(template, this.module, this.rootGeneratorVersion(), this.answers), baseFile(files, secrets));
    for (const file of files) this.#writeFile(file.path, file.content, file.mode);
  }

  /** Through mem-fs, so Yeoman's conflict resolution decides what reaches the disk. */
  #writeFile(path: string, content: Buffer, mode: number): void {
    // mem-fs-editor and Yeoman's conflicter read only `mode` from the stat, and compare it with
    // the one on disk: a regular file's, type bits included, or every file would look changed.
    this.fs.write(this.destinationPath(path), content, { stat: { mode: constants.S_IFREG | mode } as Stats });
  }

  /**
   * yo's terminal adapter reads its answers from `stdin`; closed or piped, every prompt would fail
   * ("User force closed the prompt"). Other adapters (yeoman-test's) have no such stream and answer.
   */
  #hasTerminal(): boolean {
    const adapter = this.env.adapter as { actualAdapter?: { stdin?: { isTTY?: boolean } } };
    const input = adapter.actualAdapter?.stdin;
    return input === undefined || input.isTTY === true;
  }

  async #askName(template: Template): Promise<string> {
    const { name } = await this.prompt<{ name: string }>([
      {
        type: 'input',
        name: 'name',
        message: 'Plugin name',
        validate: (value: string) => {
          try {
            validatePluginName(value, template);
            return true;
          } catch (error) {
            return (error as Error).message;
          }
        },
      },
    ]);
    return name;
  }

  /** `--template`, else the template this sub-generator is named after, else a question. */
  async #chooseTemplate(previous: string | undefined): Promise<string> {
    if (this.options.template) return this.options.template;
    const subGenerator = this._namespaceId?.generator;
    if (subGenerator && subGenerator !== MAIN_GENERATOR) return subGenerator;
    if (!this.interactive) return previous ?? DEFAULT_TEMPLATE;
    const { templates } = listTemplates(this.lookup);
    const { template } = await this.prompt<{ template: string }>([
      {
        type: 'select',
        name: 'template',
        message: 'Template',
        choices: templates.map((t) => ({ name: `${t.name.padEnd(10)} ${t.description}`, value: t.name })),
        default: previous ?? DEFAULT_TEMPLATE,
      },
    ]);
    return template;
  }
}

/** A stored answer is offered again only while it is still valid for the field. */
function storedAnswer(field: Field, answers: Answers | undefined): FieldValue | undefined {
  if (!answers || !(field.name in answers)) return undefined;
  const checked = checkAnswer(field, answers[field.name]);
  return checked.ok ? checked.value : undefined;
}
