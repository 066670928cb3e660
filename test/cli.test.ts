import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, makeTempDir, runCli } from './helpers/cli.js';
import { startCli, tempsUnder, waitForTemp } from './helpers/temps.js';
import { writeTemplate } from './helpers/template-fixture.js';
import { COMMON_FIELDS } from './helpers/fields.js';

const temp = makeTempDir();
afterAll(temp.cleanup);
const freshDir = temp.fresh;
const ERROR = /^bootstrap-plugin: error: /;

describe('list', () => {
  it('prints the MFSERV header and the six templates in MFSERV order, with descriptions', async () => {
    const run = await runCli(['list'], { cwd: temp.dir });
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').slice(0, 7)).toEqual([
      'List of available plugin templates:',
      '     * default    Python web application (WSGI or asyncio; asks for the server type)',
      '     * empty      Container for cron jobs and daemons, no web application',
      '     * node       Node.js Express application',
      '     * django     Django project with a "hello" application',
      '     * static     Static web site (main/index.html)',
      '     * flask      Flask application',
    ]);
    // The whole listing, packs included, as a file snapshot: `npx vitest run -u` records a wanted change.
    await expect(run.stdout).toMatchFileSnapshot('__snapshots__/list.txt');
  });

  it('adds user templates from --templates-dir and BOOTSTRAP_PLUGIN_TEMPLATES after the built-ins', async () => {
    const one = freshDir();
    const two = freshDir();
    writeTemplate(one, 'alpha', { fields: [] }, {});
    writeTemplate(two, 'beta', { fields: [] }, {});
    const run = await runCli(['list', '--templates-dir', one], {
      cwd: temp.dir,
      env: cleanEnv({ BOOTSTRAP_PLUGIN_TEMPLATES: two }),
    });
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(-2)).toEqual(['     * alpha      alpha test template', '     * beta       beta test template']);
  });

  it('prints name, description, source and fields as JSON', async () => {
    const run = await runCli(['list', '--json'], { cwd: temp.dir });
    const rows = JSON.parse(run.stdout) as Array<{ name: string; source: string; fields: Array<{ name: string }> }>;
    const flask = rows.find((r) => r.name === 'flask')!;
    expect(flask.source).toBe('builtin');
    expect(flask.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining([...COMMON_FIELDS, 'crontab_support', 'workers']),
    );
  });
});

describe('create, non-interactive', () => {
  it.each(['default', 'empty', 'node', 'django', 'static', 'flask'])(
    'creates a %s plugin with --yes',
    async (template) => {
      const cwd = freshDir();
      const run = await runCli(['create', `--template=${template}`, 'foo', '--yes'], { cwd });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n')[0]).toBe(`Plugin foo successfully created on directory ${join(cwd, 'foo')}`);
      expect(readFileSync(join(cwd, 'foo', '.layerapi2_label'), 'utf8')).toBe('plugin_foo@mfserv\n');
      expect(readFileSync(join(cwd, 'foo', 'config.ini'), 'utf8')).toMatch(/^\[general\]$/m);
      const state = JSON.parse(readFileSync(join(cwd, 'foo', '.bootstrap-plugin.json'), 'utf8'));
      expect(state).toMatchObject({
        template,
        module: 'mfserv',
        answers: { version: '0.0.1', license: 'Proprietary' },
      });
    },
  );

  it.each(['python3_sync', 'python2_sync', 'aiohttp', 'gunicorn3_sync', 'gunicorn2_sync', 'gunicorn3_asyncio'])(
    'creates a default plugin of type %s',
    async (type) => {
      const cwd = freshDir();
      const run = await runCli(['create', 'foo', '--yes', '--set', `type=${type}`], { cwd });
      expect(run.code).toBe(0);
      expect(readFileSync(join(cwd, 'foo', 'config.ini'), 'utf8')).toContain(type);
    },
  );

  it.each(['--no-input', '-y'])('accepts %s as --yes: defaults, no note', async (flag) => {
    const cwd = freshDir();
    const run = await runCli(['create', '--template=static', 'site', flag], { cwd });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(existsSync(join(cwd, 'site', '.layerapi2_label'))).toBe(true);
  });

  it('says on stderr which fields took defaults when there is no terminal and no --yes', async () => {
    const cwd = freshDir();
    const run = await runCli(['create', '--template=static', 'site', '--set', 'version=2.0'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'bootstrap-plugin: no terminal to ask on, so these took their defaults: release, summary, license, ' +
        'url, maintainer, vendor (choose with --set FIELD=VALUE; --yes silences this note)\n',
    );
  });

  it('takes answers from --set, then --answers, and writes them literally', async () => {
    const cwd = freshDir();
    writeFileSync(join(cwd, 'answers.json'), JSON.stringify({ summary: 'from file', vendor: 'ACME' }));
    const evil = '<%= process.exit(3) %> $(touch pwned)';
    const run = await runCli(
      ['create', '--template=flask', 'foo', '--yes', '--answers', 'answers.json', '--set', `summary=${evil}`],
      { cwd },
    );
    expect(run.code).toBe(0);
    const config = readFileSync(join(cwd, 'foo', 'config.ini'), 'utf8');
    expect(config).toContain(evil);
    expect(config).toContain('ACME');
    expect(existsSync(join(cwd, 'pwned'))).toBe(false);
  });

  it('creates under --dir with the label of --module, else $MFMODULE', async () => {
    const cwd = freshDir();
    const run = await runCli(
      ['create', '--template=static', 'site', '--yes', '--dir', 'sub/dir', '--module', 'MFDATA'],
      { cwd },
    );
    expect(run.code).toBe(0);
    expect(readFileSync(join(cwd, 'sub', 'dir', 'site', '.layerapi2_label'), 'utf8')).toBe('plugin_site@mfdata\n');
    await runCli(['create', '--template=static', 'other', '--yes'], { cwd, env: cleanEnv({ MFMODULE: 'MFBASE' }) });
    expect(readFileSync(join(cwd, 'other', '.layerapi2_label'), 'utf8')).toBe('plugin_other@mfbase\n');
  });

  it('prints the files and writes nothing with --dry-run', async () => {
    const cwd = freshDir();
    const run = await runCli(['create', '--template=static', 'site', '--yes', '--dry-run'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Dry run: would create ${join(cwd, 'site')} with \\d+ files:\n`));
    expect(run.stdout).toContain('\n  config.ini\n');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('prints a machine-readable result with --json', async () => {
    const cwd = freshDir();
    const run = await runCli(['create', '--template=static', 'site', '--yes', '--json'], { cwd });
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ name: 'site', template: 'static', target: join(cwd, 'site'), dryRun: false });
    expect(result.files).toContain('config.ini');
  });

  it('creates from a user template given by path, with __NAME__ paths and kept modes', async () => {
    const cwd = freshDir();
    writeTemplate(
      cwd,
      'mine',
      { fields: [{ name: 'greeting', message: 'Greeting', type: 'string', default: 'hello' }] },
      {
        '__NAME__/hello.txt.ejs': '<%- greeting %> from <%- name %>\n',
        'run.sh': { content: '#!/bin/sh\necho run\n', mode: 0o755 },
      },
    );
    const run = await runCli(['create', '--template=./mine', 'bar', '--yes', '--set', 'greeting=hi'], { cwd });
    expect(run.code).toBe(0);
    expect(readFileSync(join(cwd, 'bar', 'bar', 'hello.txt'), 'utf8')).toBe('hi from bar\n');
    expect(statSync(join(cwd, 'bar', 'run.sh')).mode & 0o777).toBe(0o755);
  });
});

describe('a plugin made from a user template', () => {
  it('records the template by absolute path; config check runs it only when --template names it', async () => {
    const cwd = freshDir();
    const template = join(cwd, 'tpl', 'mine');
    writeTemplate(join(cwd, 'tpl'), 'mine', { fields: [] }, { 'config.ini': '[custom]\n# Anything.\nfoo = 1\n' });
    expect((await runCli(['create', '--templates-dir', 'tpl', '--template=mine', 'p1', '--yes'], { cwd })).code).toBe(
      0,
    );
    const state = JSON.parse(readFileSync(join(cwd, 'p1', '.bootstrap-plugin.json'), 'utf8'));
    expect(state.template).toBe(template);
    const refused = await runCli(['config', 'check', join(cwd, 'p1')], { cwd: temp.dir });
    expect(refused.stderr).toBe(
      `bootstrap-plugin: error: ${join(cwd, 'p1', '.bootstrap-plugin.json')} names its template by path ` +
        `(${template}), which is not trusted from a plugin's own files: pass --template ${template} if you ` +
        `trust that template\n`,
    );
    expect(refused.code).toBe(2);
    const check = await runCli(['config', 'check', join(cwd, 'p1'), '--template', template], { cwd: temp.dir });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('no problems (checked against the mine template)');
  });

  // Hostile cases: 3 spellings of a path in a received plugin's .bootstrap-plugin.json.
  it.each(['./evil', 'evil/', '/abs/evil'])(
    'never runs a template that a received plugin names by path (%s)',
    async (spelling) => {
      const cwd = freshDir();
      mkdirSync(join(cwd, 'received'));
      writeTemplate(
        join(cwd, 'received'),
        'evil',
        { fields: [] },
        { 'config.ini.ejs': "<% process.stdout.write('RAN'); process.exit(42) %>[custom]\n" },
      );
      writeFileSync(join(cwd, 'received', 'config.ini'), '[custom]\n');
      const path = spelling === '/abs/evil' ? join(cwd, 'received', 'evil') : spelling;
      writeFileSync(
        join(cwd, 'received', '.bootstrap-plugin.json'),
        JSON.stringify({ template: path, module: 'mfserv', answers: {} }),
      );
      const run = await runCli(['config', 'check', 'received'], { cwd });
      expect(run.stdout).not.toContain('RAN');
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/names its template by path .*: pass --template .* if you trust that template\n$/);
    },
  );
});

describe('create, bad input: one line, exit 2, nothing written', () => {
  const refuse = async (
    args: string[],
    expected: string | RegExp,
    setup?: (cwd: string) => void,
    afterwards?: (cwd: string) => void,
  ) => {
    const cwd = freshDir();
    setup?.(cwd);
    const before = readdirSync(cwd);
    const run = await runCli(args, { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(ERROR);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(expected);
    expect(readdirSync(cwd)).toEqual(before);
    afterwards?.(cwd);
  };

  it('unknown template, with a suggestion', () =>
    refuse(
      ['create', '--template=flsk', 'foo', '--yes'],
      'unknown template "flsk" (did you mean "flask"?) (see: bootstrap-plugin list)',
    ));

  it.each([
    ['plugin_foo', 'it must not start with "plugin_"'],
    ['__foo', 'it must not start with "__"'],
    ['base', '"base" is reserved'],
    ['foo.bar', 'use only letters, digits, "_" and "-"'],
    ['..', 'use only letters, digits, "_" and "-"'],
  ])('bad name %s, naming the rule', (name, rule) =>
    refuse(['create', name, '--yes'], `invalid plugin name "${name}": ${rule}`),
  );

  it('django refuses the name main', () =>
    refuse(['create', '--template=django', 'main', '--yes'], '"main" is reserved by the django template'));

  it('unknown --set field, with a suggestion', () =>
    refuse(
      ['create', '--template=flask', 'foo', '--set', 'wrkers=3'],
      '--set wrkers: unknown field (did you mean "workers"?)',
    ));

  it('invalid --set value, with the pattern', () =>
    refuse(
      ['create', '--template=flask', 'foo', '--set', 'workers=many'],
      /--set workers="many": expected a positive whole number or a \{\{VARIABLE\}\} \(pattern .+\)/,
    ));

  it('invalid --set choice, with the choices', () =>
    refuse(
      ['create', 'foo', '--set', 'type=python4'],
      '--set type="python4": expected one of python3_sync, python2_sync, aiohttp',
    ));

  it('unreadable answers file', () =>
    refuse(
      ['create', 'foo', '--answers', 'nope.json'],
      /nope\.json: cannot be read \(no such file or directory\): check --answers/,
    ));

  it('malformed answers file, with its line', () =>
    refuse(['create', 'foo', '--answers', 'a.json'], /a\.json:2: invalid JSON/, (cwd) =>
      writeFileSync(join(cwd, 'a.json'), '{\n "version": 1.0.0\n}'),
    ));

  it('existing directory, left untouched', async () => {
    await refuse(
      ['create', 'foo', '--yes'],
      /directory .*foo already exists \(use --force to write over it\)/,
      (cwd) => {
        mkdirSync(join(cwd, 'foo'));
        writeFileSync(join(cwd, 'foo', 'mine.txt'), 'precious');
      },
      (cwd) => expect(readFileSync(join(cwd, 'foo', 'mine.txt'), 'utf8')).toBe('precious'),
    );
  });

  it('unknown option, with a suggestion', () =>
    refuse(
      ['create', 'foo', '--yse'],
      'unknown option --yse (did you mean "--yes"?) (see: bootstrap-plugin create --help)',
    ));
});

describe('create --force', () => {
  it('writes the template over an existing directory, keeping the files it does not produce', async () => {
    const cwd = freshDir();
    mkdirSync(join(cwd, 'foo'));
    writeFileSync(join(cwd, 'foo', 'old.txt'), 'old');
    const run = await runCli(['create', '--template=static', 'foo', '--yes', '--force'], { cwd });
    expect(run.code).toBe(0);
    expect(readFileSync(join(cwd, 'foo', 'old.txt'), 'utf8')).toBe('old');
    expect(existsSync(join(cwd, 'foo', 'main', 'index.html'))).toBe(true);
    expect(readdirSync(cwd)).toEqual(['foo']);
  });
});

describe('create, interrupted', () => {
  /** A template big enough that writing it takes a while, so a signal lands mid-write. */
  const bigTemplate = (root: string) => {
    const files: Record<string, Buffer> = {};
    const chunk = Buffer.alloc(16 * 1024, 'x');
    for (let i = 0; i < 4000; i++) files[`d${i % 40}/f${i}.txt`] = chunk;
    return writeTemplate(root, 'big', { fields: [] }, files);
  };

  it('leaves nothing behind when interrupted (SIGINT) while writing', async () => {
    const cwd = freshDir();
    const { child, exited } = startCli(cwd, ['create', `--template=${bigTemplate(freshDir())}`, 'foo', '--yes']);
    expect(await waitForTemp(child, cwd)).toBe(true);
    expect(tempsUnder(cwd)[0]).toMatch(/^\.foo\.bootstrap-plugin-/);
    child.kill('SIGINT');
    const { code, stderr } = await exited;
    expect(code).toBe(130);
    expect(stderr).toBe('bootstrap-plugin: error: interrupted, nothing was written\n');
    expect(readdirSync(cwd)).toEqual([]);
  });
});
