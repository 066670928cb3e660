import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, InterruptedError } from '../packages/bootstrap-plugin/src/core/errors.js';
import { recordSecrets } from '../packages/bootstrap-plugin/src/core/record.js';
import { writeFiles } from '../packages/bootstrap-plugin/src/core/tree.js';
import {
  renderContext,
  renderTemplate,
  secret,
  type RenderedFile,
} from '../packages/bootstrap-plugin/src/core/render.js';
import { findFieldProblems } from '../packages/bootstrap-plugin/src/core/fields.js';
import { METWORK_GENERATIONS } from '../packages/bootstrap-plugin/src/core/metwork.js';
import { findTemplate, listTemplates, loadTemplate } from '../packages/bootstrap-plugin/src/core/templates.js';
import { CLI_PACKAGE, makeTempDir } from './helpers/cli.js';
import { writeTemplate } from './helpers/template-fixture.js';

const temp = makeTempDir();
afterAll(temp.cleanup);
const freshDir = temp.fresh;
const BUILTIN = join(CLI_PACKAGE, 'templates');
const lookup = (userDirs: string[] = []) => ({ builtinDir: BUILTIN, userDirs });
const contents = (files: RenderedFile[]) => Object.fromEntries(files.map((f) => [f.path, f.content.toString('utf8')]));
const defaults = (template: { fields: { name: string; default?: unknown }[] }) =>
  Object.fromEntries(template.fields.map((f) => [f.name, f.default])) as Record<string, string>;
const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
};

describe('template catalogue', () => {
  it("every shipped template's fields pass the check a user template's get at each load", () => {
    // The package's own templates are not re-checked each time they are listed or used (start-up
    // time): this test is their check, for both MetWork generations and the packs.
    for (const generation of METWORK_GENERATIONS) {
      const { templates } = listTemplates({ ...lookup(), generation });
      expect(templates.length).toBeGreaterThan(6);
      for (const template of templates) expect(findFieldProblems(template.fields), template.dir).toEqual([]);
    }
  });

  it('lists the six MFSERV templates first, in MFSERV order, then user templates', () => {
    const user = freshDir();
    writeTemplate(user, 'mine', { fields: [] }, {});
    const names = listTemplates(lookup([user])).templates.map((t) => t.name);
    expect(names.slice(0, 6)).toEqual(['default', 'empty', 'node', 'django', 'static', 'flask']);
    expect(names.at(-1)).toBe('mine');
  });

  it('warns about a user template whose name is taken, and keeps the first', () => {
    const user = freshDir();
    writeTemplate(user, 'flask', { fields: [] }, {});
    const { templates, warnings } = listTemplates(lookup([user]));
    expect(templates.filter((t) => t.name === 'flask')).toHaveLength(1);
    expect(warnings).toEqual([
      `${join(user, 'flask')}: ignored, the name "flask" is taken by ${join(BUILTIN, 'flask')}`,
    ]);
  });

  it('suggests the closest name for an unknown template', () => {
    expect(errorOf(() => findTemplate('flsk', lookup(), temp.dir))).toBe(
      'unknown template "flsk" (did you mean "flask"?) (see: bootstrap-plugin list)',
    );
    expect(errorOf(() => findTemplate('zzzzzz', lookup(), temp.dir))).toBe(
      'unknown template "zzzzzz" (see: bootstrap-plugin list)',
    );
  });

  it('finds a template by path, relative to the working directory', () => {
    const user = freshDir();
    writeTemplate(user, 'bypath', { fields: [] }, {});
    expect(findTemplate('./bypath', lookup(), user).name).toBe('bypath');
    expect(errorOf(() => findTemplate('./nothing-here', lookup(), user))).toContain('no template at');
  });

  it('merges an extended template: base fields first, own fields replace same-named ones', () => {
    const user = freshDir();
    writeTemplate(
      user,
      '_base',
      {
        fields: [
          { name: 'a', message: 'A', type: 'string', default: 'base' },
          { name: 'b', message: 'B', type: 'string' },
        ],
      },
      { 'x.txt': 'base' },
    );
    writeTemplate(
      user,
      'child',
      { extends: '_base', fields: [{ name: 'b', message: 'B2', type: 'string', default: 'own' }] },
      { 'y.txt': 'own' },
    );
    const child = loadTemplate(join(user, 'child'), 'user');
    expect(child.fields.map((f) => [f.name, f.default])).toEqual([
      ['a', 'base'],
      ['b', 'own'],
    ]);
    expect(child.layers).toEqual([
      { path: join(user, '_base', 'files'), root: join(user, '_base') },
      { path: join(user, 'child', 'files'), root: join(user, 'child') },
    ]);
  });

  it('reports manifest problems with the file and the field', () => {
    const user = freshDir();
    writeTemplate(user, 'bad', { fields: [{ name: 'x', message: 'X', type: 'text' }] }, {});
    expect(errorOf(() => loadTemplate(join(user, 'bad'), 'user'))).toBe(
      `${join(user, 'bad', 'template.json')}: fields[0] (x).type: expected one of string, choice, confirm, integer`,
    );
    writeFileSync(join(user, 'bad', 'template.json'), '{\n  "name": "bad",\n  "fields": [,]\n}');
    expect(errorOf(() => loadTemplate(join(user, 'bad'), 'user'))).toMatch(/template\.json:3: invalid JSON/);
    writeFileSync(join(user, 'bad', 'template.json'), '{"feilds": []}');
    expect(errorOf(() => loadTemplate(join(user, 'bad'), 'user'))).toContain(
      'unknown key "feilds" (did you mean "fields"?)',
    );
    writeTemplate(user, 'loop', { extends: 'loop', fields: [] }, {});
    expect(errorOf(() => loadTemplate(join(user, 'loop'), 'user'))).toContain('"extends" makes a cycle');
  });
});

describe('rendering', () => {
  const render = async (
    files: Parameters<typeof writeTemplate>[3],
    manifest: Record<string, unknown> = {},
    answers = {},
  ) => {
    const dir = writeTemplate(freshDir(), 't', { fields: [], ...manifest }, files);
    return renderTemplate(loadTemplate(dir, 'user'), renderContext('demo', 'mfserv', answers));
  };

  it('renders .ejs files and strips the suffix; copies other files byte for byte', async () => {
    const binary = Buffer.from([0, 1, 2, 255, 0x3c, 0x25]);
    const files = await render({
      'a.txt.ejs': 'name=<%- name %> label=<%- label %>\n',
      'raw.txt': 'keep <%- name %>\n',
      'img.bin': binary,
    });
    expect(contents(files)).toMatchObject({
      'a.txt': 'name=demo label=plugin_demo@mfserv\n',
      'raw.txt': 'keep <%- name %>\n',
    });
    expect(files.find((f) => f.path === 'img.bin')?.content.equals(binary)).toBe(true);
  });

  it('writes answers literally: template syntax in an answer is data, not code', async () => {
    const evil = '<%= process.exit(1) %> ${process.env.HOME} `id`';
    const files = await render({ 'out.txt.ejs': 'v=<%- summary %>\n' }, {}, { summary: evil });
    expect(contents(files)['out.txt']).toBe(`v=${evil}\n`);
  });

  it('renames __NAME__ and _dot_ names, the one dotfile rule; other names starting with _ stay', async () => {
    const files = await render({
      '__NAME__/server.js': 'x',
      _dot_layerapi2_label: 'x',
      _dot_gitignore: 'x',
      _gitignore: 'x',
      '__init__.py': '',
    });
    expect(files.map((f) => f.path)).toEqual([
      '.gitignore',
      '.layerapi2_label',
      '__init__.py',
      '_gitignore',
      'demo/server.js',
    ]);
  });

  it('resolves root-relative includes from the user template own directory', async () => {
    const dir = writeTemplate(
      freshDir(),
      't',
      { fields: [] },
      { 'a.txt.ejs': "<%- include('/partials/head.ejs', { who: name }) -%>body\n" },
    );
    mkdirSync(join(dir, 'partials'));
    writeFileSync(join(dir, 'partials', 'head.ejs'), 'head of <%- who %>\n');
    const files = await renderTemplate(loadTemplate(dir, 'user'), renderContext('demo', 'mfserv', {}));
    expect(contents(files)['a.txt']).toBe('head of demo\nbody\n');
  });

  it.each([
    ['a root-relative path climbing out', '/../../../../../../etc/passwd'],
    ['a relative path climbing out', '../../../../../../../etc/passwd'],
    ['a symbolic link inside the root pointing out', '/partials/leak.ejs'],
  ])('refuses an include leaving the user template directory: %s', async (_case, target) => {
    const dir = writeTemplate(freshDir(), 't', { fields: [] }, { 'x.txt.ejs': `ok\n<%- include('${target}') %>\n` });
    mkdirSync(join(dir, 'partials'));
    symlinkSync('/etc/passwd', join(dir, 'partials', 'leak.ejs'));
    const error = await renderTemplate(loadTemplate(dir, 'user'), renderContext('demo', 'mfserv', {})).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(error).toBe(
      `${join(dir, 'files', 'x.txt.ejs')}:2: template error: include "${target}" leaves the templates root ${dir}`,
    );
  });

  it('gives the built-in templates their folder as include root, from both generations', async () => {
    const classic = findTemplate('flask', lookup(), temp.dir);
    const metwork2 = findTemplate('python3_flask', { ...lookup(), generation: '2' as const }, temp.dir);
    expect([...classic.layers, ...metwork2.layers].every((layer) => layer.root === BUILTIN)).toBe(true);
    const files = contents(
      await renderTemplate(metwork2, renderContext('demo', 'mfserv', defaults(metwork2), { metworkVersion: '2.2' })),
    );
    expect(files['config.ini']).toContain('[app_');
    expect(files['.gitignore']).toBeDefined();
  });

  it('ships no template that includes by climbing (../) or names a dotfile other than _dot_X', () => {
    const all = readdirSync(BUILTIN, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const texts = all.map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
    expect(texts.filter((t) => /include\(\s*['"]\.\.?\//.test(t))).toEqual([]);
    expect(texts.filter((t) => /include\(\s*['"]\//.test(t)).length).toBeGreaterThan(30);
    expect(all.filter((e) => /^_(gitignore|npmignore|npmrc)$/.test(e.name)).map((e) => e.name)).toEqual([]);
  });

  it('keeps file modes, so scripts stay executable', async () => {
    const files = await render({
      'postinstall.ejs': { content: '#!/bin/sh\n', mode: 0o755 },
      'plain.txt': { content: 'x', mode: 0o600 },
    });
    expect(files.map((f) => [f.path, f.mode.toString(8)])).toEqual([
      ['plain.txt', '600'],
      ['postinstall', '755'],
    ]);
  });

  it('renders conditional files and directories only when their condition holds', async () => {
    const manifest = {
      fields: [{ name: 'cron', message: 'Cron?', type: 'choice', choices: ['no', 'yes'] }],
      conditions: { crontab: { cron: 'yes' }, bin: { cron: ['yes'] } },
    };
    const files = { 'crontab.ejs': '* * * * * x\n', 'bin/daemon': 'x', 'config.ini': 'x' };
    expect((await render(files, manifest, { cron: 'no' })).map((f) => f.path)).toEqual(['config.ini']);
    expect((await render(files, manifest, { cron: 'yes' })).map((f) => f.path)).toEqual([
      'bin/daemon',
      'config.ini',
      'crontab',
    ]);
  });

  it('leaves no run of blank lines where a conditional block was dropped', async () => {
    const text = '[a]\nx = 1\n\n<% if (false) { %>\n[b]\ny = 2\n<% } %>\n\n\n[c]\nz = 3\n';
    expect(contents(await render({ 'config.ini.ejs': text }))['config.ini']).toBe('[a]\nx = 1\n\n[c]\nz = 3\n');
  });

  it('keeps the two blank lines PEP 8 puts between Python definitions, but no more', async () => {
    const text = 'import os\n\n\n<% if (false) { %>\nX = 1\n<% } %>\n\n\ndef main():\n    pass\n';
    expect(contents(await render({ 'app.py.ejs': text }))['app.py']).toBe('import os\n\n\ndef main():\n    pass\n');
  });

  it('refuses a symbolic link inside a template', async () => {
    const dir = writeTemplate(freshDir(), 't', { fields: [] }, { 'a.txt': 'x' });
    symlinkSync('/etc/passwd', join(dir, 'files', 'leak'));
    await expect(renderTemplate(loadTemplate(dir, 'user'), renderContext('demo', 'mfserv', {}))).rejects.toThrow(
      'templates cannot hold symbolic links',
    );
  });

  it('names the template file and line of an EJS error', async () => {
    await expect(render({ 'x.txt.ejs': 'ok\n<%- nosuchvariable %>\n' })).rejects.toThrow(
      /x\.txt\.ejs:2: template error: nosuchvariable is not defined/,
    );
  });

  it('names the file, not the line, of an error in a built-in template (rendered without line numbers)', async () => {
    const dir = writeTemplate(freshDir(), 't', { fields: [] }, { 'x.txt.ejs': 'ok\n<%- nosuchvariable %>\n' });
    await expect(renderTemplate(loadTemplate(dir, 'builtin'), renderContext('demo', 'mfserv', {}))).rejects.toThrow(
      /x\.txt\.ejs: template error: nosuchvariable is not defined$/,
    );
  });

  it("renders only the extending template's file where it replaces its base's", async () => {
    const user = freshDir();
    // The base's file would fail to render: replaced, it is never run.
    writeTemplate(user, '_base', { fields: [] }, { 'a.txt.ejs': '<%- nosuchvariable %>\n', 'b.txt': 'base\n' });
    writeTemplate(user, 'child', { extends: '_base', fields: [] }, { 'a.txt.ejs': 'own <%- name %>\n' });
    const files = await renderTemplate(loadTemplate(join(user, 'child'), 'user'), renderContext('demo', 'mfserv', {}));
    expect(contents(files)).toEqual({ 'a.txt': 'own demo\n', 'b.txt': 'base\n' });
  });

  it('renders a user template in a worker keeping the errors, helpers and secrets of this thread', async () => {
    const keys = { 'key.txt.ejs': '<%- secret(12) %> <%- secret(3, "a") %>' };
    const dir = writeTemplate(freshDir(), 't', { fields: [] }, keys);
    const template = loadTemplate(dir, 'user');
    const first = renderContext('demo', 'mfserv', {});
    const handedOut = recordSecrets(first);
    const [key] = await renderTemplate(template, first);
    expect(key.content).toBeInstanceOf(Buffer);
    expect(key.content.toString()).toMatch(/^\S{12} aaa$/);
    expect(handedOut).toEqual(key.content.toString().split(' '));
    // A re-render (update) replays what the base recorded, through the worker too.
    const again = renderContext('demo', 'mfserv', {});
    recordSecrets(again, handedOut);
    expect((await renderTemplate(template, again))[0].content.toString()).toBe(key.content.toString());
    writeFileSync(join(dir, 'files', 'key.txt.ejs'), '<% throw new TypeError("no") %>');
    const error = await renderTemplate(template, renderContext('demo', 'mfserv', {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`${join(dir, 'files', 'key.txt.ejs')}:1: template error: no`);
  });

  it('stops a user template at its time limit, naming the file, or at once when its signal aborts', async () => {
    const dir = writeTemplate(
      freshDir(),
      't',
      { fields: [] },
      { 'ok.txt.ejs': 'ok', 'z/loop.ejs': '<% for (;;) {} %>' },
    );
    const template = loadTemplate(dir, 'user');
    const started = performance.now();
    await expect(renderTemplate(template, renderContext('demo', 'mfserv', {}), { timeLimit: 300 })).rejects.toThrow(
      `files/z/loop.ejs: still rendering after 0.3 s, an endless loop? (template ${dir})`,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await expect(
      renderTemplate(template, renderContext('demo', 'mfserv', {}), { signal: controller.signal }),
    ).rejects.toBeInstanceOf(InterruptedError);
  });

  it('generates secrets from a cryptographic source, Django-sized by default', () => {
    const a = secret();
    expect(a).toHaveLength(50);
    expect(a).toMatch(/^[a-z0-9!@#$%^&*(\-_=+)]+$/);
    expect(secret()).not.toBe(a);
  });
});

describe('writing', () => {
  const tree: RenderedFile[] = [
    { path: 'a.txt', content: Buffer.from('new'), mode: 0o644 },
    { path: 'bin/run', content: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
  ];

  it('creates the whole tree and leaves no temporary directory', async () => {
    const parent = freshDir();
    await writeFiles(join(parent, 'p'), tree, { replace: false });
    expect(readFileSync(join(parent, 'p', 'a.txt'), 'utf8')).toBe('new');
    expect(statSync(join(parent, 'p', 'bin', 'run')).mode & 0o777).toBe(0o755);
    expect(readdirSync(parent)).toEqual(['p']);
  });

  it('refuses an existing directory without force and leaves it untouched', async () => {
    const parent = freshDir();
    mkdirSync(join(parent, 'p'));
    writeFileSync(join(parent, 'p', 'mine.txt'), 'precious');
    await expect(writeFiles(join(parent, 'p'), tree, { replace: false })).rejects.toThrow(
      `directory ${join(parent, 'p')} already exists (use --force to write over it)`,
    );
    expect(readFileSync(join(parent, 'p', 'mine.txt'), 'utf8')).toBe('precious');
  });

  it('writes over an existing directory with replace: its files replaced, every other one kept', async () => {
    const parent = freshDir();
    mkdirSync(join(parent, 'p'));
    writeFileSync(join(parent, 'p', 'old.txt'), 'old');
    writeFileSync(join(parent, 'p', 'a.txt'), 'mine');
    const result = await writeFiles(join(parent, 'p'), tree, { replace: true });
    expect(result).toEqual({ written: ['a.txt', 'bin/run'], replaced: ['a.txt'], leftovers: [] });
    expect(readFileSync(join(parent, 'p', 'old.txt'), 'utf8')).toBe('old');
    expect(readFileSync(join(parent, 'p', 'a.txt'), 'utf8')).toBe('new');
    expect(readdirSync(parent)).toEqual(['p']);
  });

  it('stops when aborted, removes what it wrote, and keeps the old directory', async () => {
    const parent = freshDir();
    mkdirSync(join(parent, 'p'));
    writeFileSync(join(parent, 'p', 'mine.txt'), 'precious');
    const controller = new AbortController();
    controller.abort();
    await expect(writeFiles(join(parent, 'p'), tree, { replace: true, signal: controller.signal })).rejects.toThrow(
      'interrupted',
    );
    expect(readdirSync(parent)).toEqual(['p']);
    expect(readFileSync(join(parent, 'p', 'mine.txt'), 'utf8')).toBe('precious');
  });

  it('reports a write failure as one line and leaves nothing behind', async () => {
    const parent = freshDir();
    const clash: RenderedFile[] = [
      { path: 'x', content: Buffer.from('file'), mode: 0o644 },
      { path: 'x/y', content: Buffer.from('under a file'), mode: 0o644 },
    ];
    await expect(writeFiles(join(parent, 'p'), clash, { replace: false })).rejects.toThrow(
      /^cannot write .*; nothing was written$/,
    );
    expect(readdirSync(parent)).toEqual([]);
  });
});
