import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli, type CliRun } from './helpers/cli.js';
import { COMMON_FIELDS } from './helpers/fields.js';

// What each MFSERV template generates, variant by variant: the file list (a vitest snapshot, so
// that an accidental change shows; `npx vitest run -u` records a wanted one), the layer files, and a
// config.ini that Python's configparser reads, with every key documented.

const run = promisify(execFile);
const temp = makeTempDir('bp-templates-');
afterAll(temp.cleanup);

// MetWork 0.9's placeholders: two workers per core, one per core for node (as the original's templates).
const WORKERS_PLACEHOLDER = '{{MFCOM_HARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2}}';
const NODE_WORKERS_PLACEHOLDER = '{{MFCOM_HARDWARE_NUMBER_OF_CPU_CORES}}';
const EXECUTABLE = 0o100;

interface Variant {
  /** The variant's name in tests and snapshots: the template, then the --set answers. */
  key: string;
  template: string;
  sets: string[];
}

const variant = (template: string, ...sets: string[]): Variant => ({
  key: [template, ...sets].join(' '),
  template,
  sets,
});

const DEFAULT_TYPES = [
  'python3_sync',
  'python2_sync',
  'aiohttp',
  'gunicorn3_sync',
  'gunicorn2_sync',
  'gunicorn3_asyncio',
];
const EMPTY_TYPES = ['python3', 'python2', 'node', 'nothing'];
const VARIANTS: Variant[] = [
  ...DEFAULT_TYPES.map((type) => variant('default', `type=${type}`)),
  variant('default', 'type=python3_sync', 'crontab_support=yes'),
  ...EMPTY_TYPES.map((type) => variant('empty', `type=${type}`)),
  variant('empty', 'type=nothing', 'crontab_support=yes'),
  variant('node'),
  variant('django'),
  variant('django', 'type=gunicorn3_sync'),
  variant('static'),
  variant('flask'),
  variant('flask', 'crontab_support=yes'),
];

interface Created {
  dir: string;
  name: string;
  cli: CliRun;
}

const created = new Map<string, Created>();

async function create(template: string, name: string, sets: string[]): Promise<Created> {
  const cwd = mkdtempSync(join(temp.dir, 'case-'));
  const cli = await runCli(['create', `--template=${template}`, name, '--yes', ...sets.flatMap((s) => ['--set', s])], {
    cwd,
  });
  expect(cli.code, cli.stderr).toBe(0);
  return { dir: join(cwd, name), name, cli };
}

beforeAll(async () => {
  const all = await Promise.all(VARIANTS.map((v, index) => create(v.template, `plug${index}`, v.sets)));
  VARIANTS.forEach((v, index) => created.set(v.key, all[index]));
}, 60_000);

const plugin = (key: string): Created => created.get(key)!;
const read = (key: string, path: string) => readFileSync(join(plugin(key).dir, path), 'utf8');

/** Relative paths, sorted, executables marked with " *". */
function tree(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) return tree(dir, path);
      return [statSync(join(dir, path)).mode & EXECUTABLE ? `${path} *` : path];
    })
    .sort();
}

describe('the file tree of each template', () => {
  it.each(VARIANTS.map((v) => [v.key]))('%s', (key) => {
    const { dir, name } = plugin(key);
    expect(tree(dir).map((path) => path.split(name).join('NAME'))).toMatchSnapshot();
  });
});

describe('layer files', () => {
  it.each(VARIANTS.map((v) => [v.key]))('%s: .layerapi2_label is plugin_NAME@mfserv', (key) => {
    expect(read(key, '.layerapi2_label').trim()).toBe(`plugin_${plugin(key).name}@mfserv`);
  });

  const RUNTIME: Record<string, string | undefined> = {
    'default type=python3_sync': 'python3',
    'default type=python2_sync': 'python2',
    'default type=aiohttp': 'python3',
    'default type=gunicorn3_sync': 'python3',
    'default type=gunicorn2_sync': 'python2',
    'default type=gunicorn3_asyncio': 'python3',
    'empty type=python3': 'python3',
    'empty type=python2': 'python2',
    'empty type=node': 'nodejs',
    'empty type=nothing': undefined,
    node: 'nodejs',
    django: 'python3',
    'django type=gunicorn3_sync': 'python3',
    static: undefined,
    flask: 'python3',
  };
  it.each(Object.entries(RUNTIME))('%s: .layerapi2_dependencies is root plus the %s layer', (key, runtime) => {
    // The empty template's node daemons load mfext's node runtime, as the original's do.
    const layer = key === 'empty type=node' ? 'nodejs@mfext' : `${runtime}@mfserv`;
    const expected = ['root@mfserv', ...(runtime ? [layer] : [])];
    expect(read(key, '.layerapi2_dependencies').trim().split('\n')).toEqual(expected);
  });

  it('--module names the module in the label, the dependencies and the environment variables', async () => {
    const cwd = mkdtempSync(join(temp.dir, 'module-'));
    const cli = await runCli(['create', '--template=flask', 'other', '--yes', '--module', 'mfdata'], { cwd });
    expect(cli.code, cli.stderr).toBe(0);
    const dir = join(cwd, 'other');
    expect(readFileSync(join(dir, '.layerapi2_label'), 'utf8').trim()).toBe('plugin_other@mfdata');
    expect(readFileSync(join(dir, '.layerapi2_dependencies'), 'utf8').trim()).toBe('root@mfdata\npython3@mfdata');
    expect(readFileSync(join(dir, 'main', 'wsgi.py'), 'utf8')).toContain('"MFDATA_CURRENT_PLUGIN_APP_MAIN_DEBUG"');
  });

  it('crontab is generated only with crontab_support=yes, and documents its format', () => {
    for (const v of VARIANTS) {
      expect(tree(plugin(v.key).dir).includes('crontab'), v.key).toBe(v.sets.includes('crontab_support=yes'));
    }
    expect(read('flask crontab_support=yes', 'crontab')).toMatch(
      /^# One job per line: minute hour day-of-month month day-of-week command\.$/m,
    );
  });
});

// Python's ConfigParser as bootstrap-plugin's env reads plugin files (values raw, no "%"
// interpolation: MetWork's {{VARIABLE}} is the only substitution); prints {section: {key: value}}.
const READ_ALL = String.raw`
import configparser, json, sys
parser = configparser.ConfigParser(interpolation=None)
with open(sys.argv[1], encoding="utf-8") as handle:
    parser.read_file(handle)
print(json.dumps({s: {k: parser.get(s, k) for k in parser.options(s)} for s in parser.sections()}))
`;

type Sections = Record<string, Record<string, string>>;
const readings = new Map<string, Promise<Sections>>();

/** One Python run per file, shared by the tests that look at it. */
function configparser(path: string): Promise<Sections> {
  if (!readings.has(path)) {
    readings.set(
      path,
      run('python3', ['-c', READ_ALL, path], { timeout: 20_000 }).then(({ stdout }) => JSON.parse(stdout) as Sections),
    );
  }
  return readings.get(path)!;
}

const GENERAL_KEYS = [
  ...COMMON_FIELDS,
  'extra_nginx_http_conf_filename',
  'extra_nginx_server_conf_filename',
  'extra_nginx_init_worker_by_lua_block_filename',
  'redis_service',
];
const ROUTING_KEYS = [
  'timeout',
  'prefix_based_routing',
  'virtualdomain_based_routing',
  'prefix_based_routing_extra_routes',
  'extra_nginx_conf_filename',
];
const PROCESS_KEYS = [
  'workers',
  'main_arg',
  'max_age',
  'graceful_timeout',
  'static_routing',
  'extra_nginx_conf_static_filename',
  'rlimit_as',
  'rlimit_nofile',
  'rlimit_stack',
  'rlimit_core',
  'rlimit_fsize',
];
const PYTHON_KEYS = ['add_plugin_dir_to_python_path', 'add_app_dir_to_python_path'];

/** [app_xxx] of each variant: its section, type, main_arg, and the keys beyond the common ones. */
const APPS: Record<string, { section: string; type: string; mainArg?: string; extra: string[] } | undefined> = {
  'default type=python3_sync': {
    section: 'app_main',
    type: 'python3_sync',
    mainArg: 'main.wsgi:application',
    extra: ['debug', ...PYTHON_KEYS],
  },
  'default type=python2_sync': {
    section: 'app_main',
    type: 'python2_sync',
    mainArg: 'main.wsgi:application',
    extra: ['debug', ...PYTHON_KEYS],
  },
  'default type=aiohttp': { section: 'app_main', type: 'aiohttp', mainArg: 'main/application.py', extra: PYTHON_KEYS },
  'default type=gunicorn3_sync': {
    section: 'app_main',
    type: 'gunicorn3_sync',
    mainArg: 'main.wsgi:application',
    extra: PYTHON_KEYS,
  },
  'default type=gunicorn2_sync': {
    section: 'app_main',
    type: 'gunicorn2_sync',
    mainArg: 'main.wsgi:application',
    extra: PYTHON_KEYS,
  },
  'default type=gunicorn3_asyncio': {
    section: 'app_main',
    type: 'gunicorn3_asyncio',
    mainArg: 'main.application:app',
    extra: PYTHON_KEYS,
  },
  'empty type=python3': undefined,
  node: { section: 'app_NAME', type: 'node', mainArg: 'server.js', extra: ['node_extra_opts'] },
  django: {
    section: 'app_NAME',
    type: 'python3_sync',
    mainArg: 'NAME.wsgi:application',
    extra: ['debug', ...PYTHON_KEYS],
  },
  'django type=gunicorn3_sync': {
    section: 'app_NAME',
    type: 'gunicorn3_sync',
    mainArg: 'NAME.wsgi:application',
    extra: PYTHON_KEYS,
  },
  static: { section: 'app_main', type: 'static', extra: [] },
  flask: { section: 'app_main', type: 'python3_sync', mainArg: 'main.wsgi:app', extra: ['debug', ...PYTHON_KEYS] },
};

describe('config.ini', () => {
  it.each(VARIANTS.map((v) => [v.key]))('%s: Python configparser reads it, every value included', async (key) => {
    const sections = await configparser(join(plugin(key).dir, 'config.ini'));
    expect(Object.keys(sections.general)).toEqual(GENERAL_KEYS);
    expect(sections.general.version).toBe('0.0.1');
    expect(Object.keys(sections).at(-1)).toBe('custom');
  });

  it.each(Object.entries(APPS))('%s: the [app_xxx] section has the keys its type uses', async (key, app) => {
    const { name, dir } = plugin(key);
    const sections = await configparser(join(dir, 'config.ini'));
    const apps = Object.keys(sections).filter((s) => s.startsWith('app_'));
    if (!app) {
      expect(apps).toEqual([]);
      return;
    }
    const section = app.section.replace('NAME', name);
    expect(apps).toEqual([section]);
    const values = sections[section];
    const expected =
      app.type === 'static' ? ['type', ...ROUTING_KEYS] : ['type', ...PROCESS_KEYS, ...ROUTING_KEYS, ...app.extra];
    expect(Object.keys(values).sort()).toEqual(expected.sort());
    expect(values.type).toBe(app.type);
    if (app.mainArg) expect(values.main_arg).toBe(app.mainArg.replace('NAME', name));
    if (app.type !== 'static')
      expect(values.workers).toBe(app.type === 'node' ? NODE_WORKERS_PLACEHOLDER : WORKERS_PLACEHOLDER);
    if ('debug' in values) expect(values.debug).toBe('0');
  });

  it.each(VARIANTS.map((v) => [v.key]))(
    '%s: every key has a comment right above it, and gunicorn_arg is gone',
    (key) => {
      const lines = read(key, 'config.ini').split('\n');
      const undocumented = lines.filter((line, i) => /^\w+ *=/.test(line) && !lines[i - 1]?.startsWith('#'));
      expect(undocumented).toEqual([]);
      expect(lines.some((line) => line.startsWith('gunicorn_arg'))).toBe(false);
    },
  );

  it('answers holding "%" or ";" are written and read back exactly as typed', async () => {
    const summary = '100% sure; 50%s off';
    const maintainer = 'Ann %(name)s <ann@example.org>';
    const { dir } = await create('default', 'percent', [`summary=${summary}`, `maintainer=${maintainer}`]);
    const sections = await configparser(join(dir, 'config.ini'));
    expect(sections.general.summary).toBe(summary);
    expect(sections.general.maintainer).toBe(maintainer);
  });

  it('debug says what 1 does and forbids it in production', () => {
    const text = read('flask', 'config.ini');
    expect(text).toMatch(/# 1 = show an interactive debugger/);
    expect(text).toMatch(/# NEVER set it to 1 in production/);
  });

  it.each(VARIANTS.filter((v) => v.template !== 'static').map((v) => [v.key]))(
    '%s: a commented [extra_daemon_xxx] example comes before [custom]',
    (key) => {
      const text = read(key, 'config.ini');
      expect(text).toMatch(/^# \[extra_daemon_example\]\n(?:#.*\n)*# cmd_and_args = \S/m);
      expect(text.indexOf('# [extra_daemon_example]')).toBeLessThan(text.indexOf('[custom]'));
    },
  );
});

describe('runtime files', () => {
  it('flask and django ship python3_virtualenv_sources/requirements-to-freeze.txt naming their framework', () => {
    const packages = (key: string) =>
      read(key, 'python3_virtualenv_sources/requirements-to-freeze.txt')
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'));
    expect(packages('flask')).toEqual(['Flask', 'Jinja2']);
    expect(packages('django')).toEqual(['Django']);
  });

  it('node ships a package.json that depends on express and starts NAME/server.js', () => {
    const { name } = plugin('node');
    const pkg = JSON.parse(read('node', 'package.json')) as {
      name: string;
      dependencies: Record<string, string>;
      main: string;
    };
    expect(pkg.name).toBe(name);
    expect(Object.keys(pkg.dependencies)).toEqual(['express']);
    expect(pkg.main).toBe(`${name}/server.js`);
  });

  it('django: postinstall is an executable bash script that bash can parse', async () => {
    const { dir } = plugin('django');
    expect(statSync(join(dir, 'postinstall')).mode & EXECUTABLE).toBe(EXECUTABLE);
    await run('bash', ['-n', join(dir, 'postinstall')], { timeout: 10_000 });
  });

  it('django: each create writes a new 50-character secret key from Django alphabet, safe in the script', async () => {
    const key = (text: string) => /^SECRET_KEY = "([^"]*)"$/m.exec(text)?.[1];
    const first = key(read('django', 'postinstall'));
    const second = key(readFileSync(join((await create('django', 'again', [])).dir, 'postinstall'), 'utf8'));
    for (const secret of [first, second]) expect(secret).toMatch(/^[a-z0-9!@#$%^&*(\-_=+)]{50}$/);
    expect(first).not.toBe(second);
    // The key sits in a quoted heredoc: the shell must not expand "$" in it.
    expect(read('django', 'postinstall')).toMatch(/cat >>\w+\/settings\.py <<'EOF'\n/);
  });

  it('django refuses plugin names that cannot name a Django project next to its hello app', async () => {
    const cwd = mkdtempSync(join(temp.dir, 'names-'));
    for (const bad of ['hello', 'main', 'my-site', '1site']) {
      const cli = await runCli(['create', '--template=django', bad, '--yes'], { cwd });
      expect(cli.code, bad).toBe(2);
      expect(cli.stderr, bad).toMatch(new RegExp(`invalid plugin name "${bad}"`));
    }
  });
});

describe('next steps printed by create', () => {
  const STEPS: Array<[string, string[]]> = [
    ['default type=python3_sync', ['python3 main/wsgi.py 127.0.0.1:8080 60', 'main/wsgi.py']],
    [
      'default type=python2_sync',
      ['python2 main/wsgi.py 127.0.0.1:8080 60', 'python2_virtualenv_sources/requirements-to-freeze.txt'],
    ],
    ['default type=aiohttp', ['python3 main/application.py 127.0.0.1:8080 60']],
    ['default type=gunicorn3_sync', ['gunicorn --bind 127.0.0.1:8080 --timeout 60 main.wsgi:application']],
    ['default type=gunicorn3_asyncio', ['--worker-class aiohttp.GunicornWebWorker', 'main.application:app']],
    ['empty type=node', ['bin/example_daemon.js 5', '[extra_daemon_xxx]', 'package.json']],
    ['empty type=nothing crontab_support=yes', ['bin/example_daemon.sh 5', 'crontab']],
    ['node', ['npm install', 'node NAME/server.js 127.0.0.1:8080 60']],
    ['django', ['./postinstall', 'DELETES', 'python3 NAME/wsgi.py 127.0.0.1:8080 60']],
    ['static', ['main/index.html', 'python3 -m http.server 8080']],
    ['flask', ['python3 main/wsgi.py 127.0.0.1:8080 60', 'main/templates/']],
  ];
  it.each(STEPS)('%s: how to run it and what to edit', (key, expected) => {
    const { cli, name } = plugin(key);
    expect(cli.stdout).toContain(`Next steps:\n  cd ${name}\n`);
    for (const text of expected) expect(cli.stdout).toContain(text.replace('NAME', name));
    expect(cli.stdout).toContain('make develop');
  });
});
