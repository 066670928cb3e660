import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPlugin } from '../packages/bootstrap-plugin/src/core/create.js';
import { checkConfig } from '../packages/bootstrap-plugin/src/core/check.js';
import { getConfigValue, setConfigValues } from '../packages/bootstrap-plugin/src/core/config.js';
import { collectVariables } from '../packages/bootstrap-plugin/src/core/env.js';
import { BootstrapError } from '../packages/bootstrap-plugin/src/core/errors.js';
import { listTemplates } from '../packages/bootstrap-plugin/src/core/templates.js';
import { CLI_PACKAGE, makeTempDir, ROOT } from './helpers/cli.js';

/**
 * The malformed-input corpus in test/fixtures/malformed, fed in-process to each core function
 * that reads its kind: a bad-input error (exit 2 at the edge) whose one line names the file (and
 * the line, where the file has lines) and the fix. test/malformed-cli.test.ts runs a few of these
 * through the built CLI for the edge's part: the prefix, the exit code, no stack.
 */

const CORPUS = join(ROOT, 'test', 'fixtures', 'malformed');
const temp = makeTempDir('bp-malformed-');
afterAll(temp.cleanup);
// A copy: `config set` must not be able to edit the corpus, even if a case stopped failing.
cpSync(CORPUS, temp.dir, { recursive: true });

interface Case {
  /** Path under the corpus. */
  file: string;
  /** The line the message names, when the problem has one. */
  line?: number;
  /** How the message ends, after `file:line: `. */
  message: string;
}

const STRAY = 'expected "key = value" or "[section]"';
const FLASK_LICENSES = 'expected one of Proprietary, BSD, MIT, GPL, Specific';

/** ini files every ini reader refuses: env, config get/set/check, and an .ini answers file. */
const BROKEN_INI: Case[] = [
  { file: 'ini/key-before-section.ini', line: 2, message: `${STRAY}: a key comes before any [section] header` },
  { file: 'ini/stray-line.ini', line: 3, message: STRAY },
  { file: 'ini/duplicate-key.ini', line: 4, message: 'duplicate key "url" in [custom] (first at line 2)' },
  { file: 'ini/duplicate-section.ini', line: 4, message: 'duplicate section [custom] (first at line 1)' },
  {
    file: 'ini/byte-order-mark.ini',
    line: 1,
    message:
      "the file starts with a byte order mark (BOM), which Python's configparser rejects: save it as UTF-8 without BOM",
  },
  { file: 'ini/not-utf8.ini', line: 3, message: 'not valid UTF-8: save the file as UTF-8' },
  { file: 'ini/empty-key.ini', line: 2, message: `${STRAY}: the key is empty` },
  { file: 'ini/unclosed-header.ini', line: 1, message: `${STRAY}: a [section] header needs its closing "]"` },
];

/** ini files that are fine as ini but cannot become environment variables. */
const ENV_ONLY: Case[] = [
  {
    file: 'env/variant-without-bracket.ini',
    line: 3,
    message: '"port[DEV": a key holding [ or ] must be a variant, KEY[CONFIG_NAME] (e.g. port[DEV])',
  },
  {
    file: 'env/nul-in-value.ini',
    line: 2,
    message: 'the value of "a" holds a NUL character, which no environment variable can carry',
  },
  {
    file: 'env/colliding-names.ini',
    line: 3,
    message:
      '[custom] api_url gives the variable MFSERV_CUSTOM_API_URL, as [custom] api-url at ' +
      'env/colliding-names.ini:2 does: rename one of them',
  },
];

/** Answers files for the flask template: bad JSON, wrong types, unknown fields, ini answers. */
const ANSWERS: Case[] = [
  { file: 'answers/truncated.json', line: 4, message: "invalid JSON: expected ',' or '}' after property value" },
  { file: 'answers/trailing-comma.json', line: 3, message: 'invalid JSON: expected double-quoted property name' },
  { file: 'answers/single-quotes.json', line: 2, message: "invalid JSON: expected property name or '}'" },
  { file: 'answers/empty.json', line: 1, message: 'invalid JSON: unexpected end of JSON input' },
  { file: 'answers/not-utf8.json', line: 1, message: 'not valid UTF-8: save the file as UTF-8' },
  {
    file: 'answers/byte-order-mark.json',
    line: 1,
    message: 'the file starts with a byte order mark (BOM), which JSON does not allow: save it as UTF-8 without BOM',
  },
  { file: 'answers/not-an-object.json', message: 'expected a JSON object of field: value' },
  { file: 'answers/unknown-field.json', message: 'unknown field "wrkers" (did you mean "workers"?)' },
  { file: 'answers/proto-key.json', message: 'unknown field "__proto__"' },
  { file: 'answers/list-for-a-choice.json', message: `license: ${FLASK_LICENSES}` },
  { file: 'answers/null-for-a-choice.json', message: 'crontab_support: expected one of no, yes' },
  { file: 'answers/object-for-text.json', message: 'summary: expected text' },
  { file: 'answers/boolean-for-text.json', message: 'workers: expected text' },
  { file: 'answers/nul-in-text.json', message: 'summary: it contains a NUL character' },
  { file: 'answers/two-line-summary.json', message: 'summary: expected a single line (pattern ^[^\\n\\r]*$)' },
  { file: 'answers/no-section.ini', line: 1, message: `${STRAY}: a key comes before any [section] header` },
  {
    file: 'answers/other-section.ini',
    line: 4,
    message: 'unknown section [extra]: answers go in the [answers] section',
  },
  { file: 'answers/missing-section.ini', message: 'expected an [answers] section of "field = value" lines' },
  { file: 'answers/duplicate-field.ini', line: 3, message: 'duplicate key "version" in [answers] (first at line 2)' },
  { file: 'answers/unknown-field.ini', message: 'unknown field "wrkers" (did you mean "workers"?)' },
  { file: 'answers/bad-choice.ini', message: `license: ${FLASK_LICENSES} (did you mean "MIT"?)` },
];

/** Template manifests, each alone in its directory (`file` is the directory). */
const MANIFESTS: Case[] = [
  { file: 'manifests/invalid-json', line: 5, message: "invalid JSON: unexpected token ']'" },
  { file: 'manifests/not-utf8', line: 1, message: 'not valid UTF-8: save the file as UTF-8' },
  { file: 'manifests/not-an-object', message: 'expected a JSON object' },
  {
    file: 'manifests/manifest-is-a-directory',
    message: 'cannot be read (it is a directory): a template needs a readable template.json file',
  },
  { file: 'manifests/unknown-key', message: 'unknown key "feilds" (did you mean "fields"?)' },
  { file: 'manifests/description-not-text', message: 'description: expected a string' },
  {
    file: 'manifests/name-mismatch',
    message: 'name "other" differs from its directory "name-mismatch"; make them equal',
  },
  { file: 'manifests/fields-not-a-list', message: 'fields: expected an array of {"name", "message", "type", …}' },
  { file: 'manifests/field-unknown-key', message: 'fields[0] (a): unknown key "defualt" (did you mean "default"?)' },
  {
    file: 'manifests/field-bad-type',
    message: 'fields[0] (a).type: expected one of string, choice, confirm, integer (did you mean "string"?)',
  },
  {
    file: 'manifests/choice-without-choices',
    message: 'fields[0] (a).choices: a choice field needs a non-empty list of strings',
  },
  {
    file: 'manifests/bad-pattern',
    message: 'fields[0] (a).pattern: Invalid regular expression: /(/u: Unterminated group',
  },
  { file: 'manifests/bad-default', message: 'fields[0] (n).default: expected a whole number' },
  { file: 'manifests/when-undeclared', message: 'fields[0] (a).when: "b" is not a field declared before this one' },
  { file: 'manifests/reserved-field-name', message: 'fields[0] (label).name: "label" is reserved' },
  {
    file: 'manifests/name-rules-bad-pattern',
    message: 'nameRules.pattern: Invalid regular expression: /^[a-z/u: Unterminated character class',
  },
  { file: 'manifests/name-rules-reserved-not-a-list', message: 'nameRules.reserved: expected a list of names' },
  {
    file: 'manifests/conditions-not-objects',
    message: 'conditions: expected {"path/in/files": {"field": value or [values]}}',
  },
  { file: 'manifests/extends-missing', message: `extends: no template at ${join(temp.dir, 'manifests', 'nowhere')}` },
  {
    file: 'manifests/extends-itself',
    message:
      `"extends" makes a cycle: ${join(temp.dir, 'manifests', 'extends-itself')} -> ` +
      `${join(temp.dir, 'manifests', 'extends-itself')}`,
  },
];

/** Plugin directories whose `.bootstrap-plugin.json` is broken (`file` is the directory). */
const STATES: Case[] = [
  { file: 'state/invalid-json', line: 5, message: "invalid JSON: expected ',' or '}' after property value" },
  { file: 'state/not-an-object', message: 'expected a JSON object {template, module, answers}' },
];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const lookup = { builtinDir: join(CLI_PACKAGE, 'templates'), userDirs: [] };
const cwd = temp.dir;

/** Runs one core call on one case: a typed bad-input error, one line `FILE[:LINE]: MESSAGE`. */
async function expectOneLine(call: () => Promise<unknown>, shown: string, { line, message }: Case) {
  const error = await call().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BootstrapError);
  expect((error as BootstrapError).exitCode).toBe(2);
  const where = `${escape(shown)}${line === undefined ? '' : `:${line}`}`;
  expect((error as Error).message).toMatch(new RegExp(`^${where}: ${escape(message)}$`));
}

let plugins = 0;
/** A plugin directory made by flask, holding `configIni` as its config.ini. */
function pluginWith(configIni: string): string {
  const dir = join(temp.dir, 'plugins', `p${++plugins}`);
  mkdirSync(dir, { recursive: true });
  cpSync(join(temp.dir, configIni), join(dir, 'config.ini'));
  writeFileSync(
    join(dir, '.bootstrap-plugin.json'),
    JSON.stringify({ template: 'flask', module: 'mfserv', answers: {} }),
  );
  return dir;
}

const createOptions = {
  ...lookup,
  name: 'foo',
  dir: '.',
  cwd,
  module: 'mfserv',
  set: [],
  force: false,
  dryRun: true,
  toolVersion: '0',
};

/** A core function that reads a case's file, and the path it shows for it. */
interface Reader {
  name: string;
  run: (entry: Case) => { call: () => Promise<unknown>; shown: string; message?: string };
}

/** Each case goes through one reader, taken in turn, so every reader meets several broken files. */
function byTurns(cases: Case[], readers: Reader[]): Array<[string, Case, Reader]> {
  return cases.map((entry, index) => {
    const reader = readers[index % readers.length];
    return [`${entry.file}, read by ${reader.name}`, entry, reader];
  });
}

const INI_READERS: Reader[] = [
  {
    name: 'env',
    run: (e) => ({
      call: () => collectVariables({ paths: [e.file], cwd, module: 'mfserv', configName: 'GENERIC', environment: {} }),
      shown: e.file,
    }),
  },
  {
    name: 'config get',
    run: (e) => ({ call: () => getConfigValue({ path: e.file, cwd, address: 'custom.a' }), shown: e.file }),
  },
  {
    name: 'config set',
    run: (e) => ({ call: () => setConfigValues({ path: e.file, cwd, assignments: ['custom.a=2'] }), shown: e.file }),
  },
  {
    name: 'config check',
    run: (e) => {
      const plugin = pluginWith(e.file);
      return {
        call: () => checkConfig({ ...lookup, path: plugin, cwd, module: 'mfserv' }),
        shown: join(plugin, 'config.ini'),
      };
    },
  },
  {
    name: 'create --answers',
    // The core reads an answers file by the path it is given: the CLI passes it as the user typed it.
    run: (e) => {
      const answersFile = join(cwd, e.file);
      return { call: () => createPlugin({ ...createOptions, template: 'static', answersFile }), shown: answersFile };
    },
  },
];

const MANIFEST_READERS: Reader[] = [
  {
    name: 'create --template',
    run: (e) => ({
      call: () => createPlugin({ ...createOptions, name: 'x', template: `./${e.file}` }),
      shown: join(temp.dir, e.file, 'template.json'),
    }),
  },
  {
    name: 'list --templates-dir',
    run: (e) => {
      // `list` reads every template of a directory: this one alone in a directory of its own.
      const alone = join(temp.dir, 'alone', basename(e.file));
      cpSync(join(temp.dir, e.file), join(alone, basename(e.file)), { recursive: true });
      const message = e.message.replaceAll(join(temp.dir, 'manifests'), alone);
      return {
        call: async () => listTemplates({ ...lookup, userDirs: [alone] }),
        shown: join(alone, basename(e.file), 'template.json'),
        message,
      };
    },
  },
  {
    name: 'config check --template',
    run: (e) => ({
      call: () =>
        checkConfig({
          ...lookup,
          path: pluginWith('state/not-an-object/config.ini'),
          cwd,
          module: 'mfserv',
          template: join(temp.dir, e.file),
        }),
      shown: join(temp.dir, e.file, 'template.json'),
    }),
  },
];

const readWith = (entry: Case, reader: Reader) => {
  const { call, shown, message } = reader.run(entry);
  return expectOneLine(call, shown, { ...entry, message: message ?? entry.message });
};

describe('a broken ini file', () => {
  it.each(byTurns(BROKEN_INI, INI_READERS))('%s: names it and its line', (_, entry, reader) => readWith(entry, reader));
  it.each(byTurns(ENV_ONLY, INI_READERS.slice(0, 1)))('%s: names it and its line', (_, entry, reader) =>
    readWith(entry, reader),
  );
});

describe('a broken answers file', () => {
  it.each(ANSWERS.map((entry) => [entry.file, entry] as const))(
    '%s: create --answers names it, and its line or the field',
    (_, entry) => {
      const answersFile = join(cwd, entry.file);
      return expectOneLine(
        () => createPlugin({ ...createOptions, template: 'flask', answersFile }),
        answersFile,
        entry,
      );
    },
  );
});

describe('a broken template manifest', () => {
  it.each(byTurns(MANIFESTS, MANIFEST_READERS))('%s: names its template.json', (_, entry, reader) =>
    readWith(entry, reader),
  );
});

describe("a plugin's broken .bootstrap-plugin.json", () => {
  it.each(STATES.map((entry) => [entry.file, entry] as const))('%s: config check names it', (_, entry) =>
    expectOneLine(
      () => checkConfig({ ...lookup, path: entry.file, cwd, module: 'mfserv' }),
      join(temp.dir, entry.file, '.bootstrap-plugin.json'),
      entry,
    ),
  );
});

it('every file of the corpus is exercised by a case above', () => {
  const directories = [...MANIFESTS, ...STATES].map((c) => `${c.file}/`);
  const files = readdirSync(CORPUS, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(CORPUS, join(entry.parentPath, entry.name)))
    .filter((file) => !directories.some((dir) => file.startsWith(dir)));
  expect(files.sort()).toEqual([...BROKEN_INI, ...ENV_ONLY, ...ANSWERS].map((c) => c.file).sort());
  expect(readdirSync(join(CORPUS, 'manifests')).length + readdirSync(join(CORPUS, 'state')).length).toBe(
    directories.length,
  );
});
