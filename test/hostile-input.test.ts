import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, posix, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { resolveAnswers } from '../packages/bootstrap-plugin/src/core/answers.js';
import { setConfigValues } from '../packages/bootstrap-plugin/src/core/config.js';
import { createPlugin, type CreateOptions } from '../packages/bootstrap-plugin/src/core/create.js';
import { validatePluginName } from '../packages/bootstrap-plugin/src/core/names.js';
import { writeFiles } from '../packages/bootstrap-plugin/src/core/tree.js';
import { renderContext, renderTemplate, type RenderedFile } from '../packages/bootstrap-plugin/src/core/render.js';
import { listTemplates, loadTemplate } from '../packages/bootstrap-plugin/src/core/templates.js';
import { CLI, CLI_PACKAGE, makeTempDir, ROOT, runCli } from './helpers/cli.js';
import { writeTemplate } from './helpers/template-fixture.js';

/**
 * Issue 9, "nothing escapes the target" and "templates are data": hostile names, directories,
 * answers and template trees, each refused with one clear line, nothing written anywhere else.
 */

const SEED = 9;
const temp = makeTempDir('bp-hostile-');
afterAll(temp.cleanup);
let counter = 0;
/** A parent directory per test; the CLI runs in its `cwd` child, so a write beside it would show in the parent. */
const freshCase = () => {
  const parent = join(temp.dir, `case-${++counter}`);
  const cwd = join(parent, 'cwd');
  mkdirSync(cwd, { recursive: true });
  return { parent, cwd };
};
const BUILTIN = join(CLI_PACKAGE, 'templates');
const ONE_ERROR_LINE = /^bootstrap-plugin: error: [^\n]+\n$/;

/** Every path under `dir`, sorted: what a run left behind. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

/** Runs the CLI in a fresh case and checks it refused with one line and exit `code`, writing nothing. */
async function expectRefused(
  args: string[],
  message: string | RegExp,
  options: { code?: number; setup?: (cwd: string) => void } = {},
): Promise<void> {
  const { parent, cwd } = freshCase();
  options.setup?.(cwd);
  const before = tree(parent);
  const run = await runCli(args, { cwd });
  expect(run.stderr).toMatch(ONE_ERROR_LINE);
  expect(run.stderr).toMatch(message);
  expect(run.code).toBe(options.code ?? 2);
  expect(tree(parent)).toEqual(before);
}

const errorOf = async (work: () => unknown) => {
  try {
    await work();
  } catch (error) {
    return error as Error & { exitCode?: number };
  }
  throw new Error('expected an error');
};

describe('plugin names cannot leave the target', () => {
  /** Path-like pieces, control characters and the name token, mixed with plain characters. */
  const nameArbitrary = fc.oneof(
    fc
      .array(
        fc.constantFrom(
          '.',
          '..',
          '/',
          '\\',
          '\0',
          '\n',
          ' ',
          '~',
          '__NAME__',
          '_dot_',
          'a',
          'Z',
          '0',
          '_',
          '-',
          'é',
          '\u2215',
        ),
        { maxLength: 12 },
      )
      .map((parts) => parts.join('')),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.stringMatching(/^[A-Za-z0-9_.-]{1,70}$/),
  );

  it('accepts only names that are one plain path segment of at most 64 characters (10,000 random names)', () => {
    const templates = listTemplates({ builtinDir: BUILTIN, userDirs: [] }).templates.filter((t) => t.nameRules);
    expect(templates.map((t) => t.name)).toEqual(expect.arrayContaining(['django', 'tutor', 'tracim']));
    const accepts = (name: string, template?: (typeof templates)[number]) => {
      try {
        validatePluginName(name, template);
        return true;
      } catch {
        return false;
      }
    };
    let accepted = 0;
    fc.assert(
      fc.property(nameArbitrary, (name) => {
        // A template's rules only narrow the base rules: no template can admit a name they refuse.
        for (const template of templates) if (accepts(name, template)) expect(accepts(name)).toBe(true);
        if (!accepts(name)) return;
        accepted++;
        expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
        expect(basename(resolve('/target', name))).toBe(name);
      }),
      { seed: SEED, numRuns: 10_000 },
    );
    expect(accepted).toBeGreaterThan(1000);
  });

  it('renders __NAME__ in paths only to segments inside the target, for any accepted name', async () => {
    const dir = writeTemplate(
      temp.dir,
      'names',
      { fields: [] },
      { '__NAME__/x.txt': 'x', 'a__NAME__b.txt': 'x', __NAME____NAME__: 'x', _dot___NAME__: 'x' },
    );
    const template = loadTemplate(dir, 'user');
    const names = fc.sample(
      fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/).filter((n) => !n.startsWith('__') && !n.startsWith('plugin_')),
      { seed: SEED, numRuns: 200 },
    );
    for (const name of names) {
      for (const file of await renderTemplate(template, renderContext(name, 'mfserv', {}))) {
        expect(isAbsolute(file.path)).toBe(false);
        expect(posix.normalize(file.path)).toBe(file.path);
        expect(file.path.split('/')).not.toContain('..');
      }
    }
  });

  const PATH_CHARACTERS = 'use only letters, digits, "_" and "-"';
  it.each([
    { label: '..', name: '..', rule: PATH_CHARACTERS },
    { label: '.', name: '.', rule: PATH_CHARACTERS },
    { label: '../escaped', name: '../escaped', rule: PATH_CHARACTERS },
    { label: '/tmp/escaped', name: '/tmp/escaped', rule: PATH_CHARACTERS },
    { label: 'a/b', name: 'a/b', rule: PATH_CHARACTERS },
    { label: 'of 65 characters', name: 'x'.repeat(65), rule: 'it is longer than 64 characters' },
    { label: 'of 5000 characters', name: 'x'.repeat(5000), rule: 'it is longer than 64 characters' },
  ])('refuses the name $label and writes nothing anywhere', ({ name, rule }) =>
    expectRefused(
      ['create', '--template=static', name, '--yes'],
      `invalid plugin name "${name.slice(0, 80)}${name.length > 80 ? '…' : ''}": ${rule}`,
    ),
  );

  it.each(['constructor', 'toString', 'hasOwnProperty'])(
    'creates a plugin named %s, a name JavaScript objects already have',
    async (name) => {
      const { cwd } = freshCase();
      const run = await runCli(['create', '--template=node', name, '--yes'], { cwd });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(existsSync(join(cwd, name, name, 'server.js'))).toBe(true);
    },
  );

  it('creates a plugin with a name of exactly 64 characters', async () => {
    const { cwd } = freshCase();
    const name = `p${'x'.repeat(63)}`;
    const run = await runCli(['create', '--template=static', name, '--yes'], { cwd });
    expect(run.code).toBe(0);
    expect(readdirSync(cwd)).toEqual([name]);
  });

  it('cannot receive NUL from a command line, and the core refuses it in a name, --dir and --set', async () => {
    expect(() => spawnSync(process.execPath, [CLI, 'create', 'a\0b'])).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    const { cwd, parent } = freshCase();
    const options: CreateOptions = {
      builtinDir: BUILTIN,
      userDirs: [],
      name: 'foo',
      template: 'static',
      dir: '.',
      cwd,
      module: 'mfserv',
      set: [],
      force: false,
      dryRun: false,
      toolVersion: '0',
    };
    expect((await errorOf(() => createPlugin({ ...options, name: 'a\0b' }))).message).toBe(
      'invalid plugin name "a\\u0000b": use only letters, digits, "_" and "-"',
    );
    const nulDir = await errorOf(() => createPlugin({ ...options, dir: 'sub\0/x' }));
    expect(nulDir.message).toBe('--dir "sub\\u0000/x": a path cannot hold a NUL character');
    expect(nulDir.exitCode).toBe(2);
    const fields = loadTemplate(join(BUILTIN, 'static'), 'builtin').fields;
    expect((await errorOf(() => resolveAnswers(fields, { set: ['summary=a\0b'] }))).message).toBe(
      '--set summary="a\\u0000b": it contains a NUL character',
    );
    expect(tree(parent)).toEqual(['cwd']);
  });
});

describe('--dir and what is already there', () => {
  it('refuses a --dir that is a file, naming it', () =>
    expectRefused(
      ['create', '--template=static', 'foo', '--yes', '--dir', 'afile/sub'],
      /cannot create .*\/afile\/sub\/foo: one of its parents is a file, not a directory \(check --dir\)/,
      {
        setup: (cwd) => writeFileSync(join(cwd, 'afile'), 'mine'),
      },
    ));

  it.each([
    ['a directory elsewhere', []],
    ['a directory elsewhere, even with --force', ['--force']],
    ['nothing (dangling)', ['--force']],
  ])('never writes through a symbolic link planted where the plugin goes, to %s', async (kind, flags) => {
    const elsewhere = join(temp.dir, `elsewhere-${++counter}`);
    if (!kind.startsWith('nothing')) mkdirSync(elsewhere);
    let cwd = '';
    await expectRefused(
      ['create', '--template=static', 'foo', '--yes', ...flags],
      /\/foo is a symbolic link; remove it or choose another name$/m,
      {
        setup: (dir) => symlinkSync(elsewhere, join((cwd = dir), 'foo')),
      },
    );
    expect(readlinkSync(join(cwd, 'foo'))).toBe(elsewhere);
    expect(existsSync(elsewhere) ? readdirSync(elsewhere) : 'absent').toEqual(
      kind.startsWith('nothing') ? 'absent' : [],
    );
  });

  it('reports a path too long for the file system as a failure, leaving nothing', () =>
    expectRefused(
      ['create', '--template=static', 'foo', '--yes', '--dir', 'd'.repeat(300)],
      /cannot write .*: a file name or the path is too long .*; nothing was written$/m,
      { code: 1 },
    ));

  describe('a symbolic link planted at the temporary name', () => {
    const PLANTED = `${process.pid}-deadbeef`;
    /** Makes the "random" temporary names predictable, so a link can be planted at them first. */
    const predictableTempNames = () => vi.spyOn(Math, 'random').mockReturnValue(0xdeadbeef / 2 ** 32);
    afterEach(() => vi.restoreAllMocks());
    const files: RenderedFile[] = [{ path: 'a.txt', content: Buffer.from('new'), mode: 0o644 }];

    it('is not written through by create: the write fails and nothing lands where it points', async () => {
      const { cwd } = freshCase();
      const elsewhere = join(temp.dir, `elsewhere-${++counter}`);
      mkdirSync(elsewhere);
      symlinkSync(elsewhere, join(cwd, `.p.bootstrap-plugin-${PLANTED}`));
      predictableTempNames();
      const error = await errorOf(() => writeFiles(join(cwd, 'p'), files, { replace: false }));
      expect(error.message).toMatch(/^cannot write .*\/p: EEXIST.*; nothing was written$/);
      expect(readdirSync(elsewhere)).toEqual([]);
      expect(readdirSync(cwd)).toEqual([`.p.bootstrap-plugin-${PLANTED}`]);
    });

    it('is not written through by --force staging a file: the write fails and the old file stays', async () => {
      const { cwd } = freshCase();
      const victim = join(temp.dir, `victim-${++counter}`);
      writeFileSync(victim, 'untouched');
      mkdirSync(join(cwd, 'p'));
      writeFileSync(join(cwd, 'p', 'a.txt'), 'precious');
      symlinkSync(victim, join(cwd, 'p', `.a.txt.bootstrap-plugin-${PLANTED}`));
      predictableTempNames();
      await expect(writeFiles(join(cwd, 'p'), files, { replace: true })).rejects.toThrow(
        /EEXIST.*; nothing was written$/,
      );
      expect(readFileSync(join(cwd, 'p', 'a.txt'), 'utf8')).toBe('precious');
      expect(readFileSync(victim, 'utf8')).toBe('untouched');
      expect(readdirSync(join(cwd, 'p')).sort()).toEqual([`.a.txt.bootstrap-plugin-${PLANTED}`, 'a.txt']);
    });

    it('is not written through by config set: the file is left unchanged', async () => {
      const { cwd } = freshCase();
      const victim = join(temp.dir, `victim-${++counter}`);
      writeFileSync(victim, 'untouched');
      writeFileSync(join(cwd, 'config.ini'), '[custom]\nk = 1\n');
      symlinkSync(victim, join(cwd, `.config.ini.bootstrap-plugin-${PLANTED}`));
      predictableTempNames();
      await expect(setConfigValues({ path: 'config.ini', cwd, assignments: ['custom.k=2'] })).rejects.toThrow(
        /cannot write .*\/config\.ini: EEXIST: file already exists, open .*; the file is unchanged$/,
      );
      expect(readFileSync(victim, 'utf8')).toBe('untouched');
      expect(readFileSync(join(cwd, 'config.ini'), 'utf8')).toBe('[custom]\nk = 1\n');
    });
  });
});

describe('template trees cannot leave the target', () => {
  it.each([
    ['a file named _dot_. (it would become "..")', { '_dot_.': 'x' }, '".."'],
    ['a file named _dot_..ejs', { '_dot_..ejs': 'x' }, '".."'],
    ['a directory named _dot_.', { '_dot_./escaped.txt': 'x' }, '"../escaped.txt"'],
    ['a file named _dot_ (it would become ".")', { _dot_: 'x' }, '"."'],
  ])('refuses %s', (_, files, rendered) =>
    expectRefused(
      ['create', '--template=../evil', 'foo', '--yes'],
      `renders to ${rendered}, which would leave the plugin directory`,
      {
        setup: (cwd) => writeTemplate(resolve(cwd, '..'), 'evil', { fields: [] }, { 'ok.txt': 'fine', ...files }),
      },
    ),
  );

  it.each([
    ['a file', (outside: string) => writeFileSync(outside, 'secret')],
    ['a directory', (outside: string) => mkdirSync(outside)],
  ])('refuses a symbolic link to %s inside a template', (_, makeOutside) =>
    expectRefused(
      ['create', '--template=../evil', 'foo', '--yes'],
      /evil\/files\/sub\/leak: templates cannot hold symbolic links \(copy the file instead\)$/m,
      {
        setup: (cwd) => {
          const dir = writeTemplate(resolve(cwd, '..'), 'evil', { fields: [] }, { 'ok.txt': 'fine', 'sub/a.txt': 'a' });
          const outside = join(temp.dir, `outside-${++counter}`);
          makeOutside(outside);
          symlinkSync(outside, join(dir, 'files', 'sub', 'leak'));
        },
      },
    ),
  );
  it('refuses an include that leaves the user template, in one line, exit 2, writing nothing', () =>
    expectRefused(
      ['create', '--template=../evil', 'foo', '--yes'],
      new RegExp(
        String.raw`evil/files/x\.txt\.ejs:1: template error: include "/\.\./\.\./etc/passwd" ` +
          String.raw`leaves the templates root .*evil$`,
        'm',
      ),
      {
        setup: (cwd) =>
          writeTemplate(
            resolve(cwd, '..'),
            'evil',
            { fields: [] },
            { 'x.txt.ejs': "<%- include('/../../etc/passwd') %>" },
          ),
      },
    ));
});

describe('templates are data', () => {
  const EVIL_ANSWERS = [
    '<%= process.exit(1) %>',
    "<%- include('/etc/passwd') %>",
    '${process.env.HOME}',
    '`touch pwned`',
    '$(touch pwned)',
    '../../escaped',
    '__NAME__',
  ];

  it('writes answers holding EJS, JavaScript or shell syntax literally, in contents and never in paths', async () => {
    const { cwd } = freshCase();
    const benign = await runCli(['create', '--template=flask', 'plain', '--yes', '--json'], { cwd });
    const sets = ['summary', 'vendor', 'maintainer'].flatMap((field, index) => [
      '--set',
      `${field}=${EVIL_ANSWERS.slice(index).join(' ')}`,
    ]);
    const run = await runCli(['create', '--template=flask', 'foo', '--yes', '--json', ...sets], { cwd });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).files).toEqual(JSON.parse(benign.stdout).files);
    const config = readFileSync(join(cwd, 'foo', 'config.ini'), 'utf8');
    expect(config).toContain(`summary = ${EVIL_ANSWERS.join(' ')}\n`);
    expect(config).not.toContain(readFileSync('/etc/passwd', 'utf8').split('\n')[0]);
    expect(readdirSync(cwd).sort()).toEqual(['foo', 'plain']);
    expect(tree(join(cwd, 'foo'))).toEqual(tree(join(cwd, 'plain')));
  });

  it('copies a template file name holding EJS as written: only contents of .ejs files are rendered', async () => {
    const dir = writeTemplate(
      temp.dir,
      `ejs-names-${++counter}`,
      { fields: [] },
      { '<%= name %>.txt': '<%= name %>', '<%- name %>.txt.ejs': '<%- name %>' },
    );
    const files = await renderTemplate(loadTemplate(dir, 'user'), renderContext('demo', 'mfserv', {}));
    expect(files.map((f) => [f.path, f.content.toString()])).toEqual([
      ['<%- name %>.txt', 'demo'],
      ['<%= name %>.txt', '<%= name %>'],
    ]);
  });

  it('compiles template text only in render-ejs.ts, with EJS, and evaluates nothing else (source scan)', async () => {
    const sources = ['packages/bootstrap-plugin/src', 'packages/generator-bootstrap-plugin/generators'].flatMap((dir) =>
      readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => join(dir, file)),
    );
    expect(sources.length).toBeGreaterThan(10);
    const texts = await Promise.all(
      sources.map(async (file) => [file, await readFile(join(ROOT, file), 'utf8')] as const),
    );
    const uses = (pattern: RegExp) => texts.filter(([, text]) => pattern.test(text)).map(([file]) => file);
    expect(uses(/\beval\s*\(|new Function\b|\bnode:vm\b|from 'vm'|\.runIn(?:New|This)?Context\b/)).toEqual([]);
    expect(uses(/\bimport\(['"]ejs['"]\)|from ['"]ejs['"]|require\(['"]ejs['"]\)/)).toEqual([
      join('packages/bootstrap-plugin/src', 'core', 'render-ejs.ts'),
    ]);
    expect(uses(/\bejs\.(?:render|compile)\b/)).toEqual([
      join('packages/bootstrap-plugin/src', 'core', 'render-ejs.ts'),
    ]);
  });
});
