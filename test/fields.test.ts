import { describe, expect, it } from 'vitest';
import {
  checkAnswer,
  findFieldProblems,
  isApplicable,
  type Field,
} from '../packages/bootstrap-plugin/src/core/fields.js';

const field = (spec: Partial<Field>): Field => ({ name: 'f', message: 'F?', type: 'string', ...spec });

describe('answer checking', () => {
  it('reads yes/no words and booleans for confirm fields', () => {
    const confirm = field({ type: 'confirm' });
    for (const yes of ['y', 'YES', 'true', '1', 'on', true])
      expect(checkAnswer(confirm, yes)).toEqual({ ok: true, value: true });
    for (const no of ['n', 'No', 'false', '0', 'off', false])
      expect(checkAnswer(confirm, no)).toEqual({ ok: true, value: false });
    expect(checkAnswer(confirm, 'maybe')).toEqual({ ok: false, reason: 'expected yes or no' });
  });

  it('accepts whole numbers only for integer fields', () => {
    const integer = field({ type: 'integer' });
    expect(checkAnswer(integer, ' 42 ')).toEqual({ ok: true, value: 42 });
    expect(checkAnswer(integer, 7)).toEqual({ ok: true, value: 7 });
    for (const bad of ['4.2', 'x', '', '99999999999999999999']) {
      expect(checkAnswer(integer, bad)).toEqual({ ok: false, reason: 'expected a whole number' });
    }
  });

  it('lists the choices and suggests the closest one', () => {
    const choice = field({ type: 'choice', choices: ['python3_sync', 'aiohttp'] });
    expect(checkAnswer(choice, 'aiohttp')).toEqual({ ok: true, value: 'aiohttp' });
    expect(checkAnswer(choice, 'aiohtp')).toEqual({
      ok: false,
      reason: 'expected one of python3_sync, aiohttp (did you mean "aiohttp"?)',
    });
  });

  it('checks strings against the pattern and names it with its hint', () => {
    const version = field({ pattern: '^\\d+\\.\\d+$', patternHint: 'a version like 1.0' });
    expect(checkAnswer(version, '1.0')).toEqual({ ok: true, value: '1.0' });
    expect(checkAnswer(version, '1.0; rm -rf /')).toEqual({
      ok: false,
      reason: 'expected a version like 1.0 (pattern ^\\d+\\.\\d+$)',
    });
    expect(checkAnswer(field({}), 'a\0b')).toEqual({ ok: false, reason: 'it contains a NUL character' });
  });

  it('matches a pattern against the whole answer, anchored or not', () => {
    const port = field({ pattern: '[0-9]+', patternHint: 'a port number' });
    expect(checkAnswer(port, '8080')).toEqual({ ok: true, value: '8080' });
    expect(checkAnswer(port, 'abc1x')).toEqual({ ok: false, reason: 'expected a port number (pattern [0-9]+)' });
    expect(checkAnswer(field({ pattern: 'a|b' }), 'ab')).toMatchObject({ ok: false });
  });

  it('keeps template syntax in answers as plain text', () => {
    expect(checkAnswer(field({}), '<%= process.exit(1) %>')).toEqual({ ok: true, value: '<%= process.exit(1) %>' });
  });
});

describe('when', () => {
  it('applies a field only when earlier answers match', () => {
    const debug = field({ when: { type: ['python3_sync', 'aiohttp'] } });
    expect(isApplicable(debug, { type: 'aiohttp' })).toBe(true);
    expect(isApplicable(debug, { type: 'gunicorn3_sync' })).toBe(false);
    expect(isApplicable(debug, {})).toBe(false);
    expect(isApplicable(field({}), {})).toBe(true);
  });
});

describe('field specs in manifests', () => {
  it('finds nothing wrong in a valid list', () => {
    expect(
      findFieldProblems([field({ name: 'a' }), field({ name: 'b', type: 'choice', choices: ['x'], when: { a: 'y' } })]),
    ).toEqual([]);
  });

  it.each([
    [[field({ name: 'Bad Name' })], 'fields[0].name: expected lower-case letters'],
    [[field({ name: 'name' })], 'fields[0] (name).name: "name" is reserved'],
    [[field({ name: 'a' }), field({ name: 'a' })], 'fields[1] (a).name: declared twice'],
    [
      [field({ type: 'strng' as never })],
      'fields[0] (f).type: expected one of string, choice, confirm, integer (did you mean "string"?)',
    ],
    [[field({ type: 'choice' })], 'fields[0] (f).choices: a choice field needs a non-empty list of strings'],
    [[field({ pattern: '(' })], 'fields[0] (f).pattern: Invalid regular expression'],
    [[field({ type: 'integer', default: 'x' })], 'fields[0] (f).default: expected a whole number'],
    [[field({ when: { later: 'x' } })], 'fields[0] (f).when: "later" is not a field declared before this one'],
    ['nope', 'fields: expected an array'],
  ])('reports %j as %s', (fields, problem) => {
    expect(findFieldProblems(fields)[0]).toContain(problem);
  });
});
