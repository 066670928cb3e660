import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getConfigValue, setConfigValues } from '../packages/bootstrap-plugin/src/core/config.js';
import { cleanEnv, runCli } from './helpers/cli.js';
import { useWorkspace } from './helpers/workspace.js';
import { readWithConfigparser } from './helpers/configparser.js';
import { writeTemplate } from './helpers/template-fixture.js';

const workspace = useWorkspace('bp-config-');
const write = (path: string, content: string) => workspace.write(path, content);

const get = (path: string, address: string) => getConfigValue({ path, cwd: workspace.dir, address });
const set = (path: string, ...assignments: string[]) => setConfigValues({ path, cwd: workspace.dir, assignments });
const read = (path: string) => readFileSync(join(workspace.dir, path), 'utf8');

/** What Python's configparser reads for one key of a file. */
function pythonValue(file: string, section: string, key: string): string | undefined {
  const [reading] = readWithConfigparser([join(workspace.dir, file)]);
  if ('error' in reading) throw new Error(`configparser: ${reading.error} at ${reading.lines.join(',')}`);
  const items = reading.sections.find(([name]) => name === section)?.[1] ?? reading.defaults;
  return items.find(([name]) => name === key.toLowerCase())?.[1];
}

describe('config get', () => {
  it('prints the raw value: no placeholder expansion, inline # kept, continuation lines joined', async () => {
    write('p/config.ini', '[custom]\nurl = http://x/y#z\nw = {{HOME}}\nmulti = a\n  b\n');
    expect(await get('p', 'custom.url')).toBe('http://x/y#z');
    expect(await get('p', 'custom.w')).toBe('{{HOME}}');
    expect(await get('p/config.ini', 'custom.MULTI')).toBe('a\nb');
  });

  it('reads dotted section names and DEFAULT values as configparser does', async () => {
    write('c.ini', '[DEFAULT]\nhost = h\n[a.b]\nc = 1\n[a]\nport = 2\n');
    expect(await get('c.ini', 'a.b.c')).toBe('1');
    expect(await get('c.ini', 'a.host')).toBe('h');
    expect(await get('c.ini', 'DEFAULT.host')).toBe('h');
  });

  it('suggests the key meant, and says when an address is ambiguous', async () => {
    write('c.ini', '[custom]\napi_url = x\n[a.b]\nc = 1\n[a]\nb.c = 2\n');
    await expect(get('c.ini', 'custom.api_ur')).rejects.toThrow(
      'no key "custom.api_ur" in c.ini (did you mean "custom.api_url"?)',
    );
    await expect(get('c.ini', 'a.b.c')).rejects.toThrow(
      '"a.b.c" could be a key of [a] or [a.b] in c.ini: rename one of those sections',
    );
    await expect(get('c.ini', 'nodot')).rejects.toThrow('"nodot": expected SECTION.KEY, e.g. custom.api_url');
  });
});

describe('config set', () => {
  const original = [
    '# Top comment',
    '[general]',
    '; the version',
    'version=0.0.1',
    '',
    '[app_main]',
    '  workers : 4',
    '  timeout : 0',
    '  # a note',
    '',
    '# Introduces the next section',
    '[custom]',
    '# Your own keys.',
    '',
    '[last]',
    'k = v',
  ].join('\r\n');

  it('changes only the value part of the line, every other byte kept (CRLF, style, comments)', async () => {
    write('c.ini', original);
    const result = await set('c.ini', 'general.version=1.2.3', 'app_main.WORKERS=8');
    expect(result.changes).toEqual([
      { section: 'general', key: 'version', previous: '0.0.1', value: '1.2.3' },
      { section: 'app_main', key: 'WORKERS', previous: '4', value: '8' },
    ]);
    expect(read('c.ini')).toBe(
      original.replace('version=0.0.1', 'version=1.2.3').replace('workers : 4', 'workers : 8'),
    );
  });

  it("adds a missing key after the section's last key, in its style, before the trailing comments", async () => {
    write('c.ini', original);
    await set('c.ini', 'app_main.max_age=3600');
    expect(read('c.ini')).toBe(original.replace('  timeout : 0\r\n', '  timeout : 0\r\n  max_age : 3600\r\n'));
    expect(pythonValue('c.ini', 'app_main', 'max_age')).toBe('3600');
  });

  it('adds a key to a section without keys after its header and the comments under it', async () => {
    write('c.ini', original);
    await set('c.ini', 'custom.api_url=http://x/y#z');
    expect(read('c.ini')).toBe(
      original.replace('# Your own keys.\r\n', '# Your own keys.\r\nk = http://x/y#z\r\n'.replace('k =', 'api_url =')),
    );
  });

  it('adds a missing section at the end, after a blank line', async () => {
    write('c.ini', '[s]\nk=v');
    await set('c.ini', 'new.section.key=1');
    expect(read('c.ini')).toBe('[s]\nk=v\n\n[new.section]\nkey=1\n');
    expect(pythonValue('c.ini', 'new.section', 'key')).toBe('1');
  });

  it('writes a multi-line value as indented continuation lines that configparser reads back', async () => {
    write('c.ini', '[s]\nk = old\n  old continuation\n# kept comment\nj = 2\n');
    await set('c.ini', 's.k=first\n\nthird: line', 's.e=');
    expect(read('c.ini')).toBe('[s]\nk = first\n\n    third: line\n# kept comment\nj = 2\ne =\n');
    expect(pythonValue('c.ini', 's', 'k')).toBe('first\n\nthird: line');
    expect(pythonValue('c.ini', 's', 'e')).toBe('');
  });

  it('refuses values configparser would not read back, and changes nothing', async () => {
    write('c.ini', '[s]\nk = v\n');
    await expect(set('c.ini', 's.k= padded')).rejects.toThrow(
      'cannot set "s.k": configparser strips spaces at the start and end of a value',
    );
    await expect(set('c.ini', 's.k=a\n')).rejects.toThrow("configparser drops a value's trailing newlines");
    await expect(set('c.ini', 's.k=a\n# b')).rejects.toThrow(
      'a line of a multi-line value cannot start with "#" or ";"',
    );
    await expect(set('c.ini', 's.k=a\rb')).rejects.toThrow('a value cannot hold a carriage return');
    await expect(set('c.ini', 's.k=a\0b')).rejects.toThrow('a value cannot hold a NUL character');
    await expect(set('c.ini', 's.a:b=1')).rejects.toThrow('a key cannot hold ":"');
    await expect(set('c.ini', 'S.k=1')).rejects.toThrow(
      'c.ini has no section [S] but has [s] (section names are case-sensitive): set s.k',
    );
    await expect(set('c.ini', 'novalue')).rejects.toThrow('"novalue": expected SECTION.KEY=VALUE');
    expect(read('c.ini')).toBe('[s]\nk = v\n');
  });

  it('sets any random value so that Python configparser reads exactly that value, or refuses it', async () => {
    const unit = fc.constantFrom(
      'a',
      ' ',
      '\t',
      '\n',
      '#',
      ';',
      '=',
      ':',
      '[',
      ']',
      '%',
      '$',
      '{{X}}',
      'é',
      '\u00a0',
      '\u2028',
      '\\',
      "'",
      '"',
    );
    const values = fc.sample(fc.string({ unit, maxLength: 10 }), { seed: 42, numRuns: 300 });
    const files: string[] = [];
    const accepted: string[] = [];
    for (const [index, value] of values.entries()) {
      const file = `case-${index}.ini`;
      write(file, '[s]\nbefore = 1\nk = old\n  old\n\n[t]\nafter = 2\n');
      try {
        await set(file, `s.k=${value}`);
      } catch (error) {
        expect((error as Error).message).toMatch(/^cannot set "s\.k": /);
        continue;
      }
      files.push(join(workspace.dir, file));
      accepted.push(value);
    }
    expect(accepted.length).toBeGreaterThan(100);
    const readings = readWithConfigparser(files);
    const seen = readings.map((r) =>
      'error' in r ? r : Object.fromEntries(r.sections.map(([name, items]) => [name, Object.fromEntries(items)])),
    );
    expect(seen).toEqual(accepted.map((value) => ({ s: { before: '1', k: value }, t: { after: '2' } })));
  });

  it('replaces the file atomically: mode kept, a symbolic link kept pointing at it, no temp file left', async () => {
    write('real/config.ini', '[s]\nk = v\n');
    chmodSync(join(workspace.dir, 'real/config.ini'), 0o640);
    mkdirSync(join(workspace.dir, 'plugin'));
    symlinkSync(join(workspace.dir, 'real/config.ini'), join(workspace.dir, 'plugin/config.ini'));
    await set('plugin', 's.k=w');
    expect(lstatSync(join(workspace.dir, 'plugin/config.ini')).isSymbolicLink()).toBe(true);
    expect(read('real/config.ini')).toBe('[s]\nk = w\n');
    expect(statSync(join(workspace.dir, 'real/config.ini')).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(workspace.dir, 'real'))).toEqual(['config.ini']);
  });
});

describe('config check', () => {
  /** A user template whose config.ini documents types, a family of sections and an example. */
  function userTemplate(): string {
    const configIni = [
      '[general]',
      'version = <%- version %>',
      '# 1 = verbose logs, 0 = quiet (default).',
      'debug = 0',
      '# Seconds; 0 = no limit.',
      'timeout = 0',
      'ratio = 0.5',
      'enabled = true',
      'workers = <%- workers %>',
      '# optional_key = something',
      '',
      '# One [app_xxx] section per application.',
      '[app_main]',
      'main_arg = main.wsgi:app',
      '',
      '# [extra_daemon_example]',
      '# cmd_and_args = foo',
      '',
      '[custom]',
    ].join('\n');
    return writeTemplate(
      workspace.dir,
      'mytpl',
      {
        fields: [
          { name: 'version', message: 'Version', type: 'string', default: '1.0' },
          { name: 'workers', message: 'Workers', type: 'integer', default: 2 },
        ],
      },
      { 'config.ini.ejs': configIni },
    );
  }

  async function createFromUserTemplate(): Promise<void> {
    const run = await runCli(['create', `--template=${userTemplate()}`, 'plug', '--yes'], { cwd: workspace.dir });
    expect(run.code).toBe(0);
  }

  async function expectNoProblems(): Promise<void> {
    const run = await runCli(['config', 'check', 'plug', '--templates-dir', workspace.dir], { cwd: workspace.dir });
    expect(run).toMatchObject({
      code: 0,
      stdout: `${join('plug', 'config.ini')}: no problems (checked against the mytpl template)\n`,
    });
  }

  it('passes a freshly created plugin', async () => {
    await createFromUserTemplate();
    await expectNoProblems();
  });

  it('accepts a [DEFAULT] section, whose keys configparser and env lend to every section', async () => {
    await createFromUserTemplate();
    write(
      'plug/config.ini',
      `[DEFAULT]\nowner = ops\n\n${readFileSync(join(workspace.dir, 'plug', 'config.ini'), 'utf8')}`,
    );
    await expectNoProblems();
  });

  it('reports every finding on its own file:line and exits 2', async () => {
    await createFromUserTemplate();
    write(
      'plug/config.ini',
      [
        '[general]',
        'version = 2.0',
        'debug = yes',
        'timeout = 30',
        'ratio = lots',
        'enabled = maybe',
        'workers = {{MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2}}',
        'wokers = 3',
        'optional_key = fine',
        'debug[DEV] = 2',
        '_private = anything',
        '[app_main]',
        'gunicorn_arg = main.wsgi:app',
        '[app_api]',
        'main_arg = api.wsgi:app',
        'mian_arg = x',
        '[extra_daemon_example]',
        'anything = goes',
        '[custom]',
        'my_own = key',
        '[genral]',
        'x = 1',
      ].join('\n'),
    );
    const run = await runCli(['config', 'check', 'plug', '--templates-dir', workspace.dir], { cwd: workspace.dir });
    const file = join('plug', 'config.ini');
    expect(run.code).toBe(2);
    expect(run.stdout.split('\n').filter(Boolean)).toEqual([
      `${file}:3: [general] debug = "yes": expected 0 or 1 or a {{VARIABLE}} placeholder (the template's default is 0)`,
      `${file}:5: [general] ratio = "lots": expected a number or a {{VARIABLE}} placeholder (the template's ` +
        'default is 0.5)',
      `${file}:6: [general] enabled = "maybe": expected one of 1, yes, true, on, 0, no, false, off or a ` +
        `{{VARIABLE}} placeholder (the template's default is true)`,
      `${file}:8: unknown key "wokers" in [general] (did you mean "workers"?)`,
      `${file}:10: [general] debug[DEV] = "2": expected 0 or 1 or a {{VARIABLE}} placeholder (the template's ` +
        'default is 0)',
      `${file}:13: [app_main] gunicorn_arg is deprecated: rename it to main_arg`,
      `${file}:16: unknown key "mian_arg" in [app_api] (did you mean "main_arg"?)`,
      `${file}:21: unknown section [genral] (did you mean "general"?)`,
    ]);
  });

  it('asks for --template when the plugin does not say which template it came from', async () => {
    write('bare/config.ini', '[custom]\n');
    const run = await runCli(['config', 'check', 'bare'], { cwd: workspace.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `bootstrap-plugin: error: ${join('bare', '.bootstrap-plugin.json')} does not name the plugin's ` +
        `template: pass --template=NAME or PATH\n`,
    );
    const withTemplate = await runCli(['config', 'check', 'bare', `--template=${userTemplate()}`], {
      cwd: workspace.dir,
    });
    expect(withTemplate.code).toBe(0);
  });

  it('checks a plugin of the built-in flask template', async () => {
    expect((await runCli(['create', '--template=flask', 'demo', '--yes'], { cwd: workspace.dir })).code).toBe(0);
    expect((await runCli(['config', 'check', 'demo'], { cwd: workspace.dir, env: cleanEnv() })).code).toBe(0);
    await set(
      'demo',
      'app_main.wokers=2',
      'app_main.debug=on',
      'app_main.gunicorn_arg=main.wsgi:app',
      'custom.anything=ok',
    );
    const run = await runCli(['config', 'check', 'demo'], { cwd: workspace.dir });
    expect(run.code).toBe(2);
    const lines = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.replace(/^[^:]+:\d+: /, ''));
    expect(lines).toEqual([
      '[app_main] debug = "on": expected 0 or 1 or a {{VARIABLE}} placeholder (the template\'s default is 0)',
      'unknown key "wokers" in [app_main] (did you mean "workers"?)',
      '[app_main] gunicorn_arg is deprecated: rename it to main_arg',
    ]);
  });
});
