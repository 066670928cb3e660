import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeTempDir, ROOT, runCli } from './helpers/cli.js';

/**
 * The edge's part of the malformed-input contract, a few cases per message family (the whole
 * corpus runs in-process in malformed-input.test.ts): one line on stderr with the CLI's prefix,
 * exit 2, never a stack trace, nothing on stdout.
 */

const temp = makeTempDir('bp-malformed-cli-');
afterAll(temp.cleanup);
cpSync(join(ROOT, 'test', 'fixtures', 'malformed'), temp.dir, { recursive: true });

const CASES: Array<[family: string, args: string[], line: string]> = [
  [
    'a broken ini read by env',
    ['env', 'ini/stray-line.ini'],
    'ini/stray-line.ini:3: expected "key = value" or "[section]"',
  ],
  [
    'a broken ini edited by config set',
    ['config', 'set', 'ini/duplicate-key.ini', 'custom.a=2'],
    'ini/duplicate-key.ini:4: duplicate key "url" in [custom] (first at line 2)',
  ],
  [
    'an ini that cannot become variables',
    ['env', 'env/nul-in-value.ini'],
    'env/nul-in-value.ini:2: the value of "a" holds a NUL character, which no environment variable can carry',
  ],
  [
    'a broken JSON answers file',
    ['create', '--template=flask', 'foo', '--yes', '--dry-run', '--answers', 'answers/truncated.json'],
    "answers/truncated.json:4: invalid JSON: expected ',' or '}' after property value",
  ],
  [
    'an answers file with a wrong field',
    ['create', '--template=flask', 'foo', '--yes', '--dry-run', '--answers', 'answers/unknown-field.ini'],
    'answers/unknown-field.ini: unknown field "wrkers" (did you mean "workers"?)',
  ],
  [
    'a broken template manifest',
    ['create', 'x', '--template=./manifests/unknown-key', '--yes', '--dry-run'],
    `${join(temp.dir, 'manifests/unknown-key/template.json')}: unknown key "feilds" (did you mean "fields"?)`,
  ],
  [
    "a plugin's broken state file",
    ['config', 'check', 'state/not-an-object'],
    `${join(temp.dir, 'state/not-an-object/.bootstrap-plugin.json')}: expected a JSON object {template, ` +
      'module, answers}',
  ],
];

it.concurrent.each(CASES)('%s: one line, exit 2, no stack', async (_, args, line) => {
  const run = await runCli(args, { cwd: temp.dir, timeoutMs: 15_000 });
  expect(run).toMatchObject({ code: 2, stdout: '', stderr: `bootstrap-plugin: error: ${line}\n` });
});
