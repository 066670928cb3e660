import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, makeTempDir, runCli } from './helpers/cli.js';

// Debian's interpreter: python3-pluggy, -setuptools and -venv install into it; a python3 found
// earlier on PATH (pyenv, a virtualenv) may lack them.
const PYTHON = '/usr/bin/python3';
const TRACIM_HOST = join(ROOT, 'test', 'helpers', 'tracim-host.py');
const TUTOR_STANDIN = join(ROOT, 'test', 'helpers', 'tutor-hooks-standin');
const TUTOR_LOADER = join(TUTOR_STANDIN, 'load-plugin.py');
const MFSERV_TEMPLATES = ['default', 'empty', 'node', 'django', 'static', 'flask'];
// A venv and an offline pip build take seconds on their own; a loaded CI machine, several times that.
const INSTALL_TIMEOUT_MS = 120_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { env, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

async function runOk(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await run(command, args, env);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** What every created plugin holds for a later `update`: its answers and template, and the base to merge against. */
const UPDATE_RECORDS = ['.bootstrap-plugin.base.json', '.bootstrap-plugin.json'];

/** Every file under `dir`, relative and sorted, without the build leftovers pip writes in place. */
function listTree(dir: string): string[] {
  const walk = (at: string): string[] =>
    readdirSync(at, { withFileTypes: true }).flatMap((entry) => {
      const path = join(at, entry.name);
      return entry.isDirectory() ? walk(path) : [relative(dir, path)];
    });
  return walk(dir).sort();
}

async function create(cwd: string, template: string, name: string, set: string[] = []): Promise<string> {
  const result = await runCli(['create', '--template', template, name, '--yes', ...set.flatMap((s) => ['--set', s])], {
    cwd,
  });
  if (result.code !== 0) throw new Error(`create failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

describe('template packs in the catalogue', () => {
  it('lists tutor and tracim right after the six MFSERV templates, each with a description', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const result = await runCli(['list'], { cwd: dir });
      expect(result.code).toBe(0);
      const rows = result.stdout
        .split('\n')
        .filter((line) => line.startsWith('     * '))
        .map((line) => line.slice('     * '.length).split(/\s+/));
      expect(rows.slice(0, 8).map(([name]) => name)).toEqual([...MFSERV_TEMPLATES, 'tutor', 'tracim']);
      expect(result.stdout).toMatch(/^ {5}\* tutor +Tutor \(Open edX\) plugin/m);
      expect(result.stdout).toMatch(/^ {5}\* tracim +Tracim backend plugin/m);
    } finally {
      cleanup();
    }
  });

  it('describes both as packs in list --json, with their own fields rather than the MFSERV ones', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const result = await runCli(['list', '--json'], { cwd: dir });
      const rows = JSON.parse(result.stdout) as { name: string; source: string; fields: { name: string }[] }[];
      const fieldsOf = (name: string) => rows.find((row) => row.name === name)?.fields.map((f) => f.name);
      expect(rows.filter((row) => row.source === 'pack').map((row) => row.name)).toEqual(['tutor', 'tracim']);
      expect(fieldsOf('tutor')).toEqual(['version', 'description', 'author', 'licence']);
      expect(fieldsOf('tracim')).toEqual(['version', 'description', 'author']);
    } finally {
      cleanup();
    }
  });
});

interface FilterCall {
  filter: string;
  method: 'add_item' | 'add_items';
  items: unknown[];
}

interface TutorLoad {
  entry_point: { name: string; value: string };
  distribution: { name: string; version: string; summary: string };
  module_file: string;
  filters: FilterCall[];
}

/** A throw-away venv holding `pipArgs` (a plugin directory, or `-e DIR`), installed offline. */
async function installInVenv(venv: string, pipArgs: string[]): Promise<void> {
  await runOk(PYTHON, ['-m', 'venv', '--system-site-packages', venv]);
  // No network (PyPI is unreachable): setuptools comes from Debian through the system site packages.
  await runOk(join(venv, 'bin', 'pip'), ['install', '--no-deps', '--no-build-isolation', '--no-index', ...pipArgs], {
    ...process.env,
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
  });
}

/** Imports the plugin through its entry point, as Tutor does, against the stand-in tutor.hooks. */
async function loadTutorPlugin(venv: string, name: string): Promise<TutorLoad> {
  const stdout = await runOk(join(venv, 'bin', 'python'), [TUTOR_LOADER, name], {
    ...process.env,
    PYTHONPATH: TUTOR_STANDIN,
  });
  return JSON.parse(stdout) as TutorLoad;
}

describe('tutor pack', () => {
  const name = 'my_badges';
  const prefix = 'MY_BADGES_';
  const description = 'Badges "earned" in C:\\courses, façon Open edX';
  const extraPatch = { name: 'local-docker-compose-services', content: 'badges:\n  image: badges:latest\n' };
  let temp: { dir: string; cleanup: () => void };
  let plugin: string;
  let venv: string;
  let createOutput: string;
  let loaded: TutorLoad;
  const itemsOf = (filter: string) =>
    loaded.filters.filter((call) => call.filter === filter).flatMap((call) => call.items);

  beforeAll(async () => {
    temp = makeTempDir();
    createOutput = await create(temp.dir, 'tutor', name, [
      'version=1.2.3',
      `description=${description}`,
      'author=Ada Lovelace',
      'licence=MIT',
    ]);
    plugin = join(temp.dir, name);
    // A patch added by hand after create, as the README invites: plugin.py must pick it up unchanged.
    writeFileSync(join(plugin, `tutor_${name}`, 'patches', extraPatch.name), extraPatch.content);
    venv = join(temp.dir, 'venv');
    await installInVenv(venv, [plugin]);
    loaded = await loadTutorPlugin(venv, name);
  }, INSTALL_TIMEOUT_MS);

  afterAll(() => temp?.cleanup());

  it('generates a package with pyproject.toml, plugin.py, an example patch and template, README and LICENSE', () => {
    const generated = listTree(plugin).filter((path) => !path.startsWith('build/') && !path.includes('.egg-info/'));
    expect(generated).toEqual([
      ...UPDATE_RECORDS,
      '.gitignore',
      'LICENSE',
      'README.md',
      'pyproject.toml',
      `tutor_${name}/__about__.py`,
      `tutor_${name}/__init__.py`,
      `tutor_${name}/patches/${extraPatch.name}`,
      `tutor_${name}/patches/openedx-lms-common-settings`,
      `tutor_${name}/plugin.py`,
      `tutor_${name}/templates/${name}/apps/settings.yml`,
    ]);
    expect(readFileSync(join(plugin, 'pyproject.toml'), 'utf8')).toContain('build-backend = "setuptools.build_meta"');
    expect(readFileSync(join(plugin, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} Ada Lovelace\n/,
    );
  });

  it('installs offline, and importlib.metadata finds its tutor.plugin.v1 entry point under the plugin name', () => {
    expect(loaded.entry_point).toEqual({ name, value: `tutor_${name}.plugin` });
    expect(loaded.distribution).toEqual({ name: 'tutor-contrib-my-badges', version: '1.2.3', summary: description });
    expect(loaded.module_file.startsWith(venv)).toBe(true);
  });

  it('prefixes every setting it defines with the upper-cased plugin name', () => {
    const keys = [...itemsOf('CONFIG_DEFAULTS'), ...itemsOf('CONFIG_UNIQUE')].map(
      (item) => (item as [string, unknown])[0],
    );
    expect(keys).toEqual([`${prefix}VERSION`, `${prefix}ALLOW_PUBLIC_ACCOUNT_CREATION`, `${prefix}SECRET_KEY`]);
    expect(itemsOf('CONFIG_DEFAULTS')).toContainEqual([`${prefix}VERSION`, '1.2.3']);
    expect(loaded.filters.map((call) => call.filter)).toContain('CONFIG_OVERRIDES');
  });

  it('registers every file of its installed patches folder as a patch, including one added after create', () => {
    const example = readFileSync(join(plugin, `tutor_${name}`, 'patches', 'openedx-lms-common-settings'), 'utf8');
    expect(example).toContain(
      `FEATURES["ALLOW_PUBLIC_ACCOUNT_CREATION"] = {{ ${prefix}ALLOW_PUBLIC_ACCOUNT_CREATION }}`,
    );
    expect(itemsOf('ENV_PATCHES')).toEqual([
      [extraPatch.name, extraPatch.content],
      ['openedx-lms-common-settings', example],
    ]);
  });

  it('points its template root at a directory of the installed package that holds every target', () => {
    const [root, ...others] = itemsOf('ENV_TEMPLATE_ROOTS') as string[];
    expect(others).toEqual([]);
    expect(root).toBe(join(loaded.module_file, '..', 'templates'));
    const targets = itemsOf('ENV_TEMPLATE_TARGETS') as [string, string][];
    expect(targets).toEqual([[`${name}/apps`, 'plugins']]);
    for (const [source] of targets) expect(statSync(join(root, source)).isDirectory()).toBe(true);
    expect(existsSync(join(root, name, 'apps', 'settings.yml'))).toBe(true);
  });

  it('uses, in its patches and templates, only the settings of its own that it defines', () => {
    const installed = join(loaded.module_file, '..');
    const texts = listTree(installed)
      .filter((path) => path.startsWith('patches/') || path.startsWith('templates/'))
      .map((path) => readFileSync(join(installed, path), 'utf8'));
    const used = new Set(texts.flatMap((text) => text.match(new RegExp(`\\b${prefix}[A-Z0-9_]+`, 'g')) ?? []));
    const defined = [...itemsOf('CONFIG_DEFAULTS'), ...itemsOf('CONFIG_UNIQUE')].map(
      (item) => (item as [string, unknown])[0],
    );
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((key) => !defined.includes(key))).toEqual([]);
  });

  it(
    'installed as its README says (pip install -e .), reads a patch added afterwards without reinstalling',
    async () => {
      const { dir, cleanup } = makeTempDir();
      try {
        await create(dir, 'tutor', 'live');
        const editable = join(dir, 'live');
        const venvDir = join(dir, 'venv');
        await installInVenv(venvDir, ['-e', editable]);
        writeFileSync(join(editable, 'tutor_live', 'patches', 'cms-env'), 'LIVE: true\n');
        const live = await loadTutorPlugin(venvDir, 'live');
        expect(live.module_file).toBe(join(editable, 'tutor_live', 'plugin.py'));
        const patches = live.filters.filter((call) => call.filter === 'ENV_PATCHES').flatMap((call) => call.items);
        expect(patches).toContainEqual(['cms-env', 'LIVE: true\n']);
      } finally {
        cleanup();
      }
    },
    INSTALL_TIMEOUT_MS,
  );

  it('tells the user what to run to install, enable and check the plugin', () => {
    const readme = readFileSync(join(plugin, 'README.md'), 'utf8');
    for (const command of [
      'pip install -e .',
      `tutor plugins enable ${name}`,
      'tutor config save',
      `tutor config printvalue ${prefix}VERSION`,
    ]) {
      expect(readme).toContain(command);
      expect(createOutput).toContain(command);
    }
  });
});

interface TracimRun {
  plugins: string[];
  hook_calls: { hook: string; implementations: { qualname: string; parameters: string[] }[] }[];
  routes: Record<string, unknown>[];
  views: Record<string, unknown>[];
  responses: Record<string, unknown>;
  log: string[];
}

describe('tracim pack', () => {
  it('generates a tracim_backend_NAME package Tracim-style pluggy loading registers, hooks and route', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const name = 'hello_world';
      await create(dir, 'tracim', name, ['version=2.0.0']);
      const plugin = join(dir, name);
      expect(listTree(plugin)).toEqual([
        ...UPDATE_RECORDS,
        '.gitignore',
        'README.md',
        `tracim_backend_${name}/__about__.py`,
        `tracim_backend_${name}/__init__.py`,
      ]);
      const report = JSON.parse(await runOk(PYTHON, [TRACIM_HOST, plugin])) as TracimRun;
      expect(report.plugins).toEqual([name]);
      expect(report.hook_calls).toEqual([
        {
          hook: 'on_plugins_loaded',
          implementations: [
            { qualname: `tracim_backend_${name}.Plugin.on_plugins_loaded`, parameters: ['self', 'plugin_manager'] },
          ],
        },
        {
          hook: 'on_user_created',
          implementations: [
            { qualname: `tracim_backend_${name}.Plugin.on_user_created`, parameters: ['self', 'user', 'context'] },
          ],
        },
      ]);
      expect(report.routes).toEqual([
        { name: `${name}_hello`, pattern: `/plugins/${name}/hello`, request_method: 'GET' },
      ]);
      expect(report.views).toEqual([{ route_name: `${name}_hello`, renderer: 'json' }]);
      expect(report.responses).toEqual({ [`${name}_hello`]: { plugin: name, version: '2.0.0' } });
      expect(report.log).toContain(`tracim_backend_${name}: plugin ${name}: user Ada Lovelace was created`);
    } finally {
      cleanup();
    }
  });

  it('explains in its README where the package goes and how Tracim enables it', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const output = await create(dir, 'tracim', 'audit');
      const readme = readFileSync(join(dir, 'audit', 'README.md'), 'utf8');
      expect(readme).toContain('plugin.folder_path = %(here)s/plugins');
      expect(readme).toContain('cp -r tracim_backend_audit ');
      expect(readme).toContain('Restart Tracim');
      expect(output).toContain('plugin.folder_path');
    } finally {
      cleanup();
    }
  });
});

describe('pack name rules', () => {
  it.each([
    ['tutor', '9lives', 'needs a lower-case Python identifier'],
    ['tutor', 'my-plugin', 'needs a lower-case Python identifier'],
    ['tutor', 'MyPlugin', 'needs a lower-case Python identifier'],
    ['tutor', 'class', '"class" is reserved by the tutor template'],
    ['tutor', 'tutor', '"tutor" is reserved by the tutor template'],
    ['tracim', 'my-plugin', 'needs lower-case letters, digits and "_"'],
    ['tracim', 'tracim_backend_hello', 'without the tracim_backend_ prefix, which is added for you'],
  ])('the %s template refuses %s with one line naming the rule, and writes nothing', async (template, name, rule) => {
    const { dir, cleanup } = makeTempDir();
    try {
      const result = await runCli(['create', '--template', template, name, '--yes'], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(`invalid plugin name "${name}"`);
      expect(result.stderr).toContain(rule);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('lets tracim take a name starting with a digit, since tracim_backend_9lives is a valid package', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const result = await runCli(['create', '--template', 'tracim', '9lives', '--yes', '--dry-run'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('tracim_backend_9lives/__init__.py');
    } finally {
      cleanup();
    }
  });

  it('refuses a licence the tutor template does not offer, naming the choices', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const result = await runCli(['create', '--template', 'tutor', 'badges', '--yes', '--set', 'licence=GPL'], {
        cwd: dir,
      });
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain('AGPL-3.0-only, Apache-2.0, MIT, BSD-3-Clause, Proprietary');
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
