import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSetFlags, resolveAnswers, type Ask } from '../packages/bootstrap-plugin/src/core/answers.js';
import type { Field } from '../packages/bootstrap-plugin/src/core/fields.js';
import { makeTempDir } from './helpers/cli.js';

const FIELDS: Field[] = [
  { name: 'version', message: 'Version', type: 'string', default: '0.0.1' },
  { name: 'type', message: 'Type', type: 'choice', choices: ['sync', 'async'], default: 'sync' },
  { name: 'debug', message: 'Debug?', type: 'confirm', default: false, when: { type: 'sync' } },
  { name: 'workers', message: 'Workers', type: 'integer', default: 2 },
];

const temp = makeTempDir();
afterAll(temp.cleanup);
const answersFile = (content: string) => {
  const file = join(temp.dir, `answers-${Math.random()}.json`);
  writeFileSync(file, content);
  return file;
};

const message = async (promise: Promise<unknown>) =>
  await promise.then(
    () => 'no error',
    (error: Error) => error.message,
  );

describe('--set flags', () => {
  it('splits at the first "=" so values may hold "="', () => {
    expect(parseSetFlags(['url=http://x/?a=b', 'a=1', 'a=2'])).toEqual(
      new Map([
        ['url', 'http://x/?a=b'],
        ['a', '2'],
      ]),
    );
  });

  it('refuses a flag without FIELD=', () => {
    expect(() => parseSetFlags(['workers'])).toThrow('--set "workers": expected FIELD=VALUE');
    expect(() => parseSetFlags(['=3'])).toThrow('expected FIELD=VALUE');
  });
});

describe('answer resolution', () => {
  it('takes defaults for everything when nothing else answers, and says which', async () => {
    expect(await resolveAnswers(FIELDS, { set: [] })).toEqual({
      answers: { version: '0.0.1', type: 'sync', debug: false, workers: 2 },
      defaulted: ['version', 'type', 'debug', 'workers'],
    });
  });

  it('prefers --set over the answers file over the prompt, and skips fields whose when fails', async () => {
    const asked: string[] = [];
    const ask: Ask = async (field, def) => {
      asked.push(field.name);
      return def;
    };
    const file = answersFile(JSON.stringify({ version: '2.0', type: 'async', workers: 9 }));
    const { answers } = await resolveAnswers(FIELDS, { set: ['workers=4'], answersFile: file, ask });
    expect(answers).toEqual({ version: '2.0', type: 'async', workers: 4 });
    expect(asked).toEqual([]);
  });

  it('asks only what is not given, offering the default', async () => {
    const asked: Array<[string, unknown]> = [];
    const ask: Ask = async (field, def) => {
      asked.push([field.name, def]);
      return field.name === 'debug' ? 'yes' : def;
    };
    const { answers, defaulted } = await resolveAnswers(FIELDS, { set: ['version=1.0'], ask });
    expect(asked).toEqual([
      ['type', 'sync'],
      ['debug', false],
      ['workers', 2],
    ]);
    expect(answers).toEqual({ version: '1.0', type: 'sync', debug: true, workers: 2 });
    expect(defaulted).toEqual([]);
  });

  it('accepts the answers of a plugin state file', async () => {
    const file = answersFile(JSON.stringify({ template: 'x', answers: { version: '3.1' } }));
    expect((await resolveAnswers(FIELDS, { set: [], answersFile: file })).answers.version).toBe('3.1');
  });

  it('names the field and the fix for a bad --set', async () => {
    expect(await message(resolveAnswers(FIELDS, { set: ['wrkers=3'] }))).toBe(
      '--set wrkers: unknown field (did you mean "workers"?) (fields: version, type, debug, workers)',
    );
    expect(await message(resolveAnswers(FIELDS, { set: ['workers=many'] }))).toBe(
      '--set workers="many": expected a whole number',
    );
    expect(await message(resolveAnswers(FIELDS, { set: ['type=asyncc'] }))).toBe(
      '--set type="asyncc": expected one of sync, async (did you mean "async"?)',
    );
  });

  it('names the file, line and field for a bad answers file', async () => {
    const broken = answersFile('{\n  "version": "1",\n}\n');
    expect(await message(resolveAnswers(FIELDS, { set: [], answersFile: broken }))).toMatch(
      new RegExp(`^${broken}:3: invalid JSON: expected double-quoted property name`),
    );
    const unknown = answersFile('{"verson": "1"}');
    expect(await message(resolveAnswers(FIELDS, { set: [], answersFile: unknown }))).toBe(
      `${unknown}: unknown field "verson" (did you mean "version"?)`,
    );
    const wrongType = answersFile('{"workers": "lots"}');
    expect(await message(resolveAnswers(FIELDS, { set: [], answersFile: wrongType }))).toBe(
      `${wrongType}: workers: expected a whole number`,
    );
    expect(await message(resolveAnswers(FIELDS, { set: [], answersFile: answersFile('[1, 2]') }))).toContain(
      'expected a JSON object of field: value',
    );
  });

  it('says which file cannot be read', async () => {
    const missing = join(temp.dir, 'missing.json');
    expect(await message(resolveAnswers(FIELDS, { set: [], answersFile: missing }))).toContain(
      `${missing}: cannot be read (no such file or directory): check --answers`,
    );
  });

  it('requires --set for a field without a default when nothing can ask', async () => {
    const required: Field[] = [{ name: 'author', message: 'Author', type: 'string' }];
    expect(await message(resolveAnswers(required, { set: [] }))).toBe(
      'field "author" has no default: pass --set author=VALUE',
    );
  });
});
