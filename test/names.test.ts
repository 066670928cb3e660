import { describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH, validatePluginName } from '../packages/bootstrap-plugin/src/core/names.js';

const rejection = (name: string, template?: Parameters<typeof validatePluginName>[1]) => {
  try {
    validatePluginName(name, template);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
};

describe('plugin names', () => {
  it.each(['foo', 'Foo_Bar-2', 'a', '0day', 'x'.repeat(MAX_NAME_LENGTH)])('accepts %s', (name) => {
    expect(rejection(name)).toBeUndefined();
  });

  it.each([
    ['', 'it is empty'],
    ['foo bar', 'use only letters, digits, "_" and "-"'],
    ['../x', 'use only letters, digits, "_" and "-"'],
    ['a/b', 'use only letters, digits, "_" and "-"'],
    ['été', 'use only letters, digits, "_" and "-"'],
    ['plugin_foo', 'it must not start with "plugin_"'],
    ['__init', 'it must not start with "__"'],
    ['base', '"base" is reserved'],
    ['config', '"config" is reserved'],
    ['x'.repeat(MAX_NAME_LENGTH + 1), `it is longer than ${MAX_NAME_LENGTH} characters`],
  ])('refuses %j, saying which rule: %s', (name, rule) => {
    expect(rejection(name)).toContain(rule);
  });

  it('shows control characters escaped so the error stays one line', () => {
    expect(rejection('a\nb\0')).toBe('invalid plugin name "a\\nb\\u0000": use only letters, digits, "_" and "-"');
  });

  it('applies the rules a template adds: reserved names and a stricter pattern', () => {
    const django = { name: 'django', nameRules: { reserved: ['main'] } };
    expect(rejection('main', django)).toBe('invalid plugin name "main": "main" is reserved by the django template');
    expect(rejection('main')).toBeUndefined();
    const python = { name: 'tutor', nameRules: { pattern: '^[a-z][a-z0-9_]*$', patternHint: 'a Python identifier' } };
    expect(rejection('my-plugin', python)).toBe(
      'invalid plugin name "my-plugin": the tutor template needs a Python identifier',
    );
    expect(rejection('my_plugin', python)).toBeUndefined();
    const unanchored = { name: 'mine', nameRules: { pattern: '[a-z]+', patternHint: 'lower-case letters' } };
    expect(rejection('abc1', unanchored)).toBe(
      'invalid plugin name "abc1": the mine template needs lower-case letters',
    );
  });
});
