import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import helpers, { type RunContextSettings } from 'yeoman-test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type BootstrapPluginGenerator from '../packages/generator-bootstrap-plugin/generators/app/index.js';
import {
  checkAnswer,
  formatValue,
  isApplicable,
  type Answers,
  type Field,
  type FieldValue,
} from '../packages/bootstrap-plugin/src/core/fields.js';
import { listTemplates, type Template } from '../packages/bootstrap-plugin/src/core/templates.js';
import { cleanEnv, CLI_PACKAGE, GENERATOR_PACKAGE, makeTempDir, runCli } from './helpers/cli.js';
import { cliTree, readTree, type Tree } from './helpers/expected-tree.js';
import { writeTemplate } from './helpers/template-fixture.js';

const GENERATOR = join(GENERATOR_PACKAGE, 'dist', 'generators', 'app', 'index.js');
const NAMESPACE = 'bootstrap-plugin:app';
/** The built generator, run by yeoman-test in a temp dir unless `settings` says otherwise. */
const runGenerator = (settings: RunContextSettings = {}, environment: { force?: boolean } = {}) =>
  helpers.run<BootstrapPluginGenerator>(GENERATOR, { namespace: NAMESPACE, ...settings }, environment);
const NAME = 'demo_plugin';
const { templates } = listTemplates({ builtinDir: join(CLI_PACKAGE, 'templates'), userDirs: [] });

/** Text answers tried in order; the first a field accepts (and that is not its default) is used. */
const TEXT_CANDIDATES = [
  '2.1.0',
  '3',
  'Zoé Martin <zoe@example.org>',
  'http://example.org/plugin',
  'A "quoted" summary & <tags>',
  'example',
];

/** Answers that differ from the defaults wherever a field allows, so defaults alone cannot pass. */
function variedAnswers(template: Template, overrides: Answers = {}): Answers {
  const answers: Answers = {};
  for (const field of template.fields) {
    if (isApplicable(field, answers)) answers[field.name] = overrides[field.name] ?? varied(field);
  }
  return answers;
}

function varied(field: Field): FieldValue {
  switch (field.type) {
    case 'choice':
      return field.choices!.at(-1)!;
    case 'confirm':
      return field.default !== true;
    case 'integer':
      return Number(field.default ?? 0) + 1;
    case 'string':
      return TEXT_CANDIDATES.find((text) => text !== field.default && checkAnswer(field, text).ok) ?? field.default!;
  }
}

/** What a user types or picks at each prompt for these answers. */
function promptAnswers(template: Template, answers: Answers): Record<string, unknown> {
  const typed: Record<string, unknown> = { template: template.name };
  for (const field of template.fields) {
    if (field.name in answers)
      typed[field.name] =
        field.type === 'string' || field.type === 'integer' ? formatValue(answers[field.name]) : answers[field.name];
  }
  return typed;
}

/** Every template, and for a template with a `type` choice every type, with varied answers. */
const CASES = templates.flatMap((template) => {
  const type = template.fields.find((f) => f.name === 'type' && f.type === 'choice');
  const types = type ? type.choices! : [undefined];
  return types.map((choice) => ({
    label: choice ? `${template.name} (type ${choice})` : template.name,
    template,
    answers: variedAnswers(template, choice ? { type: choice } : {}),
  }));
});

/**
 * The plugin's tree minus what only Yeoman writes, and minus the one random line (Django's key),
 * in the files and in the base record of them (which also lists the secrets drawn).
 */
function comparable(tree: Tree): Tree {
  const { '.yo-rc.json': _yoRc, ...rest } = tree;
  const withoutKey = (text: string) => text.replace(/^.*SECRET_KEY.*$/gm, 'SECRET_KEY');
  const withoutKeys = (json: string) => {
    const base = JSON.parse(json) as { secrets: string[]; files: Array<{ text?: string }> };
    return JSON.stringify({
      ...base,
      secrets: [],
      files: base.files.map((f) => ({ ...f, text: f.text && withoutKey(f.text) })),
    });
  };
  return Object.fromEntries(
    Object.entries(rest).map(([path, file]) => [
      path,
      { ...file, content: path === BASE_FILE ? withoutKeys(file.content) : withoutKey(file.content) },
    ]),
  );
}

const BASE_FILE = '.bootstrap-plugin.base.json';

/** The CLI's trees, made side by side up front: spawning is the slow part of this file. */
const expectedTrees = new Map<string, Tree>();

/** A temp dir for one describe block: made before its tests run, removed after them. */
function tempDirFor(prefix: string): () => string {
  let temp: ReturnType<typeof makeTempDir> | undefined;
  beforeAll(() => {
    temp = makeTempDir(prefix);
  });
  afterAll(() => temp?.cleanup());
  return () => temp!.dir;
}

beforeAll(async () => {
  // The generator runs in this process: the module must come from the answers, not the caller's shell.
  vi.stubEnv('MFMODULE', undefined);
  if (!existsSync(GENERATOR)) throw new Error(`${GENERATOR} is missing: run npm run build`);
  await Promise.all(
    CASES.map(async (c) => expectedTrees.set(c.label, await cliTree(NAME, c.template.name, c.answers, cleanEnv()))),
  );
});

afterAll(() => {
  vi.unstubAllEnvs();
});

describe('yo bootstrap-plugin makes the plugin the CLI makes from the same answers', () => {
  it.each(CASES)('$label', async ({ label, template, answers }) => {
    const expected = expectedTrees.get(label)!;
    const result = await runGenerator().withArguments([NAME]).withAnswers(promptAnswers(template, answers));
    try {
      const made = readTree(join(result.cwd, NAME));
      expect(comparable(made)).toEqual(comparable(expected));
      expect(JSON.parse(made['.yo-rc.json'].content)).toEqual({
        'generator-bootstrap-plugin': {
          name: NAME,
          template: template.name,
          module: 'mfserv',
          metwork: '0.9',
          answers,
        },
      });
      expect(result.askedQuestions.map((q) => q.name)).toEqual(['template', ...Object.keys(answers)]);
    } finally {
      result.cleanup();
    }
  });
});

describe('yo bootstrap-plugin asks like the CLI', () => {
  const dir = tempDirFor('bp-yo-');

  it('follows `when` and conditions of a user template given by path, as the CLI does', async () => {
    const template = writeTemplate(
      dir(),
      'conditional',
      {
        fields: [
          { name: 'with_cron', message: 'Cron?', type: 'confirm', default: true },
          {
            name: 'minutes',
            message: 'Every how many minutes?',
            type: 'integer',
            default: 5,
            when: { with_cron: true },
          },
        ],
        conditions: { crontab: { with_cron: true } },
      },
      { 'crontab.ejs': '*/<%= minutes %> * * * * run\n', 'bin/start': { content: '#!/bin/sh\n', mode: 0o755 } },
    );
    const expected = await cliTree(NAME, template, { with_cron: false }, cleanEnv());
    const result = await runGenerator()
      .withArguments([NAME])
      .withOptions({ template })
      .withAnswers({ with_cron: false });
    try {
      expect(result.askedQuestions.map((q) => q.name)).toEqual(['with_cron']);
      expect(comparable(readTree(join(result.cwd, NAME)))).toEqual(comparable(expected));
      expect(Object.keys(expected)).toEqual([BASE_FILE, '.bootstrap-plugin.json', 'bin/start']);
    } finally {
      result.cleanup();
    }
  });

  it('stops a user template that never ends at the time limit the CLI reads, naming its file', async () => {
    const template = writeTemplate(dir(), 'endless', { fields: [] }, { 'loop.txt.ejs': '<% while (true) {} %>' });
    process.env.BOOTSTRAP_PLUGIN_RENDER_TIMEOUT = '0.5';
    try {
      const run = runGenerator().withArguments([NAME]).withOptions({ template });
      await expect(run).rejects.toThrow(
        `files/loop.txt.ejs: still rendering after 0.5 s, an endless loop? (template ${template})`,
      );
      run.cleanup();
    } finally {
      delete process.env.BOOTSTRAP_PLUGIN_RENDER_TIMEOUT;
    }
  });

  it('validates typed answers with the field rules the CLI uses, and refuses an invalid one', async () => {
    const reasons: Record<string, unknown> = {};
    const run = runGenerator()
      .withArguments([NAME])
      .withOptions({ template: 'static' })
      .withAnswers(
        { version: 'not a version' },
        {
          callback: (answer, { question }) => {
            const validate = (question as { validate?: (value: string) => unknown }).validate;
            if (validate) reasons[question.name] = validate('not a version');
            return answer;
          },
        },
      );
    await expect(run).rejects.toThrow('version: expected a version such as 1.2.3');
    run.cleanup();
    const cli = await runCli(['create', NAME, '-t', 'static', '--yes', '--set', 'version=not a version', '--dry-run'], {
      cwd: dir(),
    });
    expect(cli.stderr).toContain('expected a version such as 1.2.3');
    expect(reasons.version).toBe(
      String.raw`expected a version such as 1.2.3, or {{MFMODULE_VERSION}} (the module's version) (pattern ` +
        String.raw`^([0-9A-Za-z][0-9A-Za-z.+~-]*|\{\{MFMODULE_VERSION\}\})$)`,
    );
  });

  it('asks for the plugin name when none is given, after the template, with the CLI name rules', async () => {
    const reasons: string[] = [];
    const result = await runGenerator().withAnswers(
      { name: NAME, template: 'static' },
      {
        callback: (answer, { question }) => {
          const validate = (question as { validate?: (value: string) => unknown }).validate;
          if (question.name === 'name' && validate)
            reasons.push(String(validate('plugin_foo')), String(validate(NAME)));
          return answer;
        },
      },
    );
    try {
      // After the template, so that the name prompt applies the template's name rules as well.
      expect(result.askedQuestions.slice(0, 2)).toEqual([
        { name: 'template', answer: 'static' },
        { name: 'name', answer: NAME },
      ]);
      expect(existsSync(join(result.cwd, NAME, 'config.ini'))).toBe(true);
      expect(reasons).toEqual(['invalid plugin name "plugin_foo": it must not start with "plugin_"', 'true']);
    } finally {
      result.cleanup();
    }
  });

  it.each([
    ['plugin_foo', 'static'],
    ['main', 'django'],
  ])('refuses the plugin name %s (template %s) with the CLI message', async (name, template) => {
    const cli = await runCli(['create', name, '-t', template, '--yes', '--dry-run'], { cwd: dir() });
    const message = cli.stderr.replace(/^bootstrap-plugin: error: /, '').trim();
    expect(message).toMatch(/^invalid plugin name/);
    const run = runGenerator().withArguments([name]).withOptions({ template });
    await expect(run).rejects.toThrow(message);
    run.cleanup();
  });
});

describe('yo bootstrap-plugin keeps its answers for the next run, the Yeoman way', () => {
  const flask = templates.find((t) => t.name === 'flask')!;
  const answers = variedAnswers(flask);
  // In a directory of ours: yeoman-test must neither clean it up nor switch to another one meanwhile.
  const runIn = async (
    cwd: string,
    options: {
      force?: boolean;
      args?: string[];
      answers?: Record<string, unknown>;
      options?: Record<string, unknown>;
    } = {},
  ) => {
    const result = await runGenerator({ tmpdir: false, cwd, autoCleanup: false }, { force: options.force ?? true })
      .withArguments(options.args ?? [])
      .withOptions(options.options ?? {})
      .withAnswers(options.answers ?? {});
    return result.restore();
  };
  const withPlugin = async (test: (dir: string) => Promise<void>) => {
    const temp = makeTempDir('bp-yo-rerun-');
    try {
      await runIn(temp.dir, { args: [NAME], answers: promptAnswers(flask, answers) });
      await test(temp.dir);
    } finally {
      temp.cleanup();
    }
  };

  it('offers the stored answers as defaults when run again, from the parent or inside the plugin', () =>
    withPlugin(async (dir) => {
      const tree = readTree(join(dir, NAME));
      for (const rerun of [await runIn(dir, { args: [NAME] }), await runIn(join(dir, NAME))]) {
        const offered = Object.fromEntries(rerun.askedQuestions.map((q) => [q.name, q.answer]));
        expect(offered).toEqual(promptAnswers(flask, answers));
      }
      expect(readTree(join(dir, NAME))).toEqual(tree);
      expect(existsSync(join(dir, NAME, NAME))).toBe(false);
    }));

  it('keeps a file the user changed on a re-run, even with --force, when the template did not change it', () =>
    withPlugin(async (dir) => {
      const config = join(dir, NAME, 'config.ini');
      writeFileSync(config, `${readFileSync(config, 'utf8')}# my own setting\n`);
      const edited = readFileSync(config, 'utf8');
      const rerun = await runIn(dir, { force: true, args: [NAME] });
      expect(readFileSync(config, 'utf8')).toBe(edited);
      expect(rerun.askedQuestions.filter((q) => q.name === 'action')).toEqual([]);
    }));

  it("re-runs over an earlier version's gzip'd base as over the plain one, and replaces it", () =>
    withPlugin(async (dir) => {
      const plugin = join(dir, NAME);
      const config = join(plugin, 'config.ini');
      writeFileSync(config, `${readFileSync(config, 'utf8')}# my own setting\n`);
      const edited = readFileSync(config, 'utf8');
      writeFileSync(join(plugin, '.bootstrap-plugin.base.gz'), gzipSync(readFileSync(join(plugin, BASE_FILE))));
      rmSync(join(plugin, BASE_FILE));
      await runIn(dir, { force: true, args: [NAME] });
      expect(readFileSync(config, 'utf8')).toBe(edited);
      expect(existsSync(join(plugin, BASE_FILE))).toBe(true);
      expect(existsSync(join(plugin, '.bootstrap-plugin.base.gz'))).toBe(false);
    }));

  it('merges a re-run three ways, as update does: Yeoman asks before writing, --force writes it', async () => {
    const temp = makeTempDir('bp-yo-merge-');
    try {
      const body = (first: string) => `${first}\nb\nc\nd\ne\n`;
      const template = writeTemplate(temp.dir, 'evolving', { fields: [] }, { 'app.conf': body('a') });
      await runIn(temp.dir, { args: [NAME], options: { template } });
      const conf = join(temp.dir, NAME, 'app.conf');
      writeFileSync(conf, body('a').replace('e\n', 'e, mine\n'));
      writeFileSync(join(template, 'files', 'app.conf'), body('a, template v2'));

      const skipped = await runIn(temp.dir, {
        force: false,
        args: [NAME],
        options: { template },
        answers: { action: 'skip' },
      });
      expect(skipped.askedQuestions.filter((q) => q.name === 'action').length).toBeGreaterThan(0);
      expect(readFileSync(conf, 'utf8')).toBe(body('a').replace('e\n', 'e, mine\n'));

      await runIn(temp.dir, { force: true, args: [NAME], options: { template } });
      expect(readFileSync(conf, 'utf8')).toBe(body('a, template v2').replace('e\n', 'e, mine\n'));
      // The generator recorded the new base: the CLI's update now has nothing left to do.
      // A template path is trusted from the command line, not from the plugin's own state file.
      const update = await runCli(['update', NAME, '--template', template], { cwd: temp.dir });
      expect(update).toMatchObject({ code: 0, stdout: 'Plugin demo_plugin is up to date with template evolving\n' });
    } finally {
      temp.cleanup();
    }
  });
});

describe('yo finds the generator the way it finds installed generators', () => {
  const dir = tempDirFor('bp-yo-lookup-');
  // What `npm install generator-bootstrap-plugin` (or a link) leaves in node_modules.
  const nodeModules = () => join(dir(), 'node_modules');
  const installed = () => join(nodeModules(), 'generator-bootstrap-plugin');
  beforeAll(() => {
    mkdirSync(nodeModules());
    symlinkSync(GENERATOR_PACKAGE, installed(), 'dir');
  });
  const staticTemplate = templates.find((t) => t.name === 'static')!;
  const answers = variedAnswers(staticTemplate);

  /** Runs a namespace found by `env.lookup()`, yo's own search, in a fresh project directory. */
  const runFound = async (namespace: string, typed: Record<string, unknown>) => {
    const project = mkdtempSync(join(dir(), 'project-'));
    const result = await helpers
      .run(namespace, { tmpdir: false, cwd: project, autoCleanup: false })
      .withLookups({ npmPaths: [nodeModules()] })
      .withArguments([NAME])
      .withAnswers(typed);
    result.restore();
    return { result, tree: readTree(join(project, NAME)) };
  };

  it('registers bootstrap-plugin:app and a sub-generator per shipped template from the compiled files', async () => {
    const { result } = await runFound('bootstrap-plugin', promptAnswers(staticTemplate, answers));
    const metas = result.env.getGeneratorsMeta();
    const ours = Object.keys(metas).filter((ns) => ns.startsWith('bootstrap-plugin:'));
    expect(ours.sort()).toEqual(
      ['app', ...templates.map((t) => t.name)].map((name) => `bootstrap-plugin:${name}`).sort(),
    );
    expect(realpathSync(metas[NAMESPACE].resolved!)).toBe(realpathSync(GENERATOR));
    expect(metas[NAMESPACE].packagePath).toBe(installed());
  });

  it.each([
    ['bootstrap-plugin', true],
    ['bootstrap-plugin:static', false],
  ])('%s makes the plugin the CLI makes (asks for the template: %s)', async (namespace, asksTemplate) => {
    const expected = await cliTree(NAME, 'static', answers, cleanEnv());
    const { result, tree } = await runFound(namespace, promptAnswers(staticTemplate, answers));
    expect(comparable(tree)).toEqual(comparable(expected));
    expect(result.askedQuestions.some((q) => q.name === 'template')).toBe(asksTemplate);
  });
});

describe('the bootstrap-plugin CLI never loads Yeoman', () => {
  const dir = tempDirFor('bp-yo-modules-');
  // Loader hooks see every ES module the CLI resolves; the exit handler adds every CommonJS one.
  const hooks = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.BP_MODULE_LOG, result.url + '\\n');
  return result;
}`;
  const recorder = `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
register('data:text/javascript,' + ${JSON.stringify(encodeURIComponent(hooks))});
const loaded = () => Object.keys(createRequire(process.cwd() + '/').cache).join('\\n') + '\\n';
process.on('exit', () => appendFileSync(process.env.BP_MODULE_LOG, loaded()));`;
  const loaded = async (args: string[]) => {
    const log = join(dir(), 'modules.log');
    writeFileSync(log, '');
    const env = cleanEnv({
      BP_MODULE_LOG: log,
      NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(recorder)}`,
    });
    const run = await runCli(args, { cwd: dir(), env });
    expect(run.code).toBe(0);
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  };
  const fromPackage = (modules: string[], pattern: RegExp) => modules.filter((m) => pattern.test(m));
  const YEOMAN = /\/node_modules\/(yeoman-[^/]+|mem-fs[^/]*|@yeoman\/[^/]+)\//;

  const DEPENDENCY = /\/node_modules\/(inquirer|@inquirer\/[^/]+|ejs)\//;
  // The recorder saw the CLI's entry and its bundle, so an empty list below means something.
  const sawTheCli = (modules: string[]) => {
    expect(fromPackage(modules, /\/bin\/bootstrap-plugin\.cjs$/).length).toBeGreaterThan(0);
    expect(fromPackage(modules, /\/packages\/bootstrap-plugin\/dist\/cli\.cjs$/).length).toBeGreaterThan(0);
  };
  const cliFiles = (modules: string[]) => fromPackage(modules, /\/packages\/bootstrap-plugin\/dist\/[\w-]+\.cjs$/);
  const holdsEjs = (file: string) => readFileSync(file, 'utf8').includes('Embedded JavaScript');

  it('list loads no Yeoman, mem-fs, inquirer or EJS, and two files of the CLI (see scripts/build.mjs)', async () => {
    const modules = await loaded(['list']);
    sawTheCli(modules);
    expect(fromPackage(modules, YEOMAN)).toEqual([]);
    expect(fromPackage(modules, DEPENDENCY)).toEqual([]);
    expect(cliFiles(modules)).toHaveLength(2);
    expect(cliFiles(modules).filter(holdsEjs)).toEqual([]);
  });

  it('create --yes renders with the EJS bundled in dist/ (its file is loaded), no Yeoman or inquirer', async () => {
    const modules = await loaded(['create', NAME, '--template', 'flask', '--yes']);
    sawTheCli(modules);
    expect(cliFiles(modules).filter(holdsEjs)).toHaveLength(1);
    expect(fromPackage(modules, YEOMAN)).toEqual([]);
    expect(fromPackage(modules, DEPENDENCY)).toEqual([]);
  });

  it('the built CLI holds EJS (its licence beside it) but no Yeoman, mem-fs or inquirer code', () => {
    const dist = join(CLI_PACKAGE, 'dist');
    const code = readdirSync(dist).filter((file) => /\.c?js$/.test(file));
    expect(code).toContain('cli.cjs');
    for (const file of code) expect(readFileSync(join(dist, file), 'utf8')).not.toMatch(/yeoman|mem-fs|@inquirer/);
    const withEjs = code.filter((file) => holdsEjs(join(dist, file)));
    expect(withEjs.sort()).toEqual(['api.js', expect.stringMatching(/^chunk-\w+\.cjs$/), 'render-worker.js']);
    expect(readFileSync(join(dist, 'ejs.LICENSE'), 'utf8')).toContain('Apache License');
  });
});
