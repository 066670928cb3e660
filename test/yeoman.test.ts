import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import helpers from 'yeoman-test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkAnswer, formatValue, isApplicable, type Answers, type Field, type FieldValue } from '../src/core/fields.js';
import { listTemplates, type Template } from '../src/core/templates.js';
import { cleanEnv, makeTempDir, ROOT, runCli } from './helpers/cli.js';
import { cliTree, readTree, type Tree } from './helpers/expected-tree.js';

const GENERATOR = join(ROOT, 'dist', 'generators', 'app', 'index.js');
const NAMESPACE = 'bootstrap-plugin:app';
const NAME = 'demo_plugin';
const { templates } = listTemplates({ builtinDir: join(ROOT, 'templates'), userDirs: [] });

/** Text answers tried in order; the first a field accepts (and that is not its default) is used. */
const TEXT_CANDIDATES = ['2.1.0', '3', 'Zoé Martin <zoe@example.org>', 'http://example.org/plugin', 'A "quoted" summary & <tags>', 'example'];

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
    if (field.name in answers) typed[field.name] = field.type === 'string' || field.type === 'integer' ? formatValue(answers[field.name]) : answers[field.name];
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

/** The plugin's tree minus what only Yeoman writes, and minus the one random line (Django's key). */
function comparable(tree: Tree): Tree {
  const { '.yo-rc.json': _yoRc, ...rest } = tree;
  return Object.fromEntries(
    Object.entries(rest).map(([path, file]) => [path, { ...file, content: file.content.replace(/^.*SECRET_KEY.*$/gm, 'SECRET_KEY') }]),
  );
}

/** The CLI's trees, made side by side up front: spawning is the slow part of this file. */
const expectedTrees = new Map<string, Tree>();

beforeAll(async () => {
  // The generator runs in this process: the module must come from the answers, not the caller's shell.
  vi.stubEnv('MFMODULE', undefined);
  if (!existsSync(GENERATOR)) throw new Error(`${GENERATOR} is missing: run npm run build`);
  await Promise.all(CASES.map(async (c) => expectedTrees.set(c.label, await cliTree(NAME, c.template.name, c.answers, cleanEnv()))));
});

afterAll(() => {
  vi.unstubAllEnvs();
});

describe('yo bootstrap-plugin makes the plugin the CLI makes from the same answers', () => {
  it.each(CASES)('$label', async ({ label, template, answers }) => {
    const expected = expectedTrees.get(label)!;
    const result = await helpers.run(GENERATOR, { namespace: NAMESPACE }).withArguments([NAME]).withAnswers(promptAnswers(template, answers));
    try {
      const made = readTree(join(result.cwd, NAME));
      expect(comparable(made)).toEqual(comparable(expected));
      expect(JSON.parse(made['.yo-rc.json'].content)).toEqual({
        'bootstrap-plugin': { name: NAME, template: template.name, module: 'mfserv', answers },
      });
      expect(result.askedQuestions.map((q) => q.name)).toEqual(['template', ...Object.keys(answers)]);
    } finally {
      result.cleanup();
    }
  });
});
