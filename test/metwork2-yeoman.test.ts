import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import helpers from 'yeoman-test';
import { afterAll, describe, expect, it } from 'vitest';
import type BootstrapPluginGenerator from '../packages/generator-bootstrap-plugin/generators/app/index.js';
import { GENERATOR_PACKAGE, makeTempDir, runCli } from './helpers/cli.js';
import { readTree } from './helpers/expected-tree.js';
import { mfplugin } from './helpers/metwork2-peers.js';
import { COMMON_FIELDS } from './helpers/fields.js';

// `yo bootstrap-plugin --metwork 2` makes the format-2 plugin `create --metwork 2` makes, and
// keeps the generation for the next run.

const GENERATOR = join(GENERATOR_PACKAGE, 'dist', 'generators', 'app', 'index.js');
const temp = makeTempDir('bp-metwork2-yo-');
afterAll(temp.cleanup);

describe('yo bootstrap-plugin --metwork 2', () => {
  it('makes, from the template chosen at its prompt, the plugin the CLI makes, which mfplugin accepts', async () => {
    const result = await helpers
      .run<BootstrapPluginGenerator>(GENERATOR, { namespace: 'bootstrap-plugin:app' })
      .withArguments(['foo'])
      .withOptions({ metwork: '2' })
      .withAnswers({ template: 'python3_tornado' });
    try {
      const made = readTree(join(result.cwd, 'foo'));
      const cwd = temp.fresh();
      const created = await runCli(['create', '--metwork', '2', '--template=python3_tornado', 'foo', '--yes'], { cwd });
      expect(created.code, created.stderr).toBe(0);
      const expected = readTree(join(cwd, 'foo'));
      const withoutState = (tree: Record<string, { mode: string; content: string }>) =>
        Object.fromEntries(
          Object.entries(tree).filter(([path]) => !['.yo-rc.json', '.bootstrap-plugin.json'].includes(path)),
        );
      expect(withoutState(made)).toEqual(withoutState(expected));
      expect(JSON.parse(made['.yo-rc.json'].content)['generator-bootstrap-plugin']).toMatchObject({
        template: 'python3_tornado',
        metwork: '2',
      });
      expect(result.askedQuestions.map((q) => q.name)).toEqual(['template', ...COMMON_FIELDS]);
      expect(await mfplugin(['check', join(result.cwd, 'foo')])).toMatchObject({
        code: 0,
        stdout: 'ok: foo 0.0.1-1\n',
      });
      expect(readFileSync(join(result.cwd, 'foo', '.plugin_format_version'), 'utf8')).toBe('2.3.9\n');
    } finally {
      result.cleanup();
    }
  });
});
