import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  command09,
  command2,
  splitWords,
  type WorkerContext,
} from '../packages/bootstrap-plugin/src/core/run/commands.js';
import { planRun, type AppPlan } from '../packages/bootstrap-plugin/src/core/run/plan.js';
import { routeTable, staticFile } from '../packages/bootstrap-plugin/src/core/run/routes.js';
import { matcher } from '../packages/bootstrap-plugin/src/core/run/watcher.js';

const context: WorkerContext = {
  pluginName: 'foo',
  pluginDir: '/opt/my plugins/foo',
  appName: 'main',
  socketPath: '/tmp/run x/app_main_1.sock',
  timeoutSeconds: 60,
  debug: false,
};

describe('run commands', () => {
  it('splits words as a shell would for quotes and escapes, and runs nothing', () => {
    expect(splitWords(`node "a b" 'c $HOME' d\\ e $(rm -rf x) ""`)).toEqual([
      'node',
      'a b',
      'c $HOME',
      'd e',
      '$(rm',
      '-rf',
      'x)',
      '',
    ]);
    expect(() => splitWords('node "unclosed')).toThrow('unclosed " quote');
  });

  it('fills 2.x placeholders after splitting, so paths with spaces stay one argument', () => {
    const line =
      'bjoern_wrapper.py {debug_extra_options} --timeout={timeout} {app_name}.wsgi:app "{unix_socket_path}" ' +
      '{plugin_dir}/{plugin_name}';
    expect(command2(line, '--debug --debug-evalex', context)).toEqual([
      'bjoern_wrapper.py',
      '--timeout=60',
      'main.wsgi:app',
      '/tmp/run x/app_main_1.sock',
      '/opt/my plugins/foo/foo',
    ]);
    expect(command2(line, '--debug --debug-evalex', { ...context, debug: true }).slice(0, 3)).toEqual([
      'bjoern_wrapper.py',
      '--debug',
      '--debug-evalex',
    ]);
  });

  it('gives each 0.9 type the command MFSERV runs, and none for static', () => {
    const runtime = { binDir: '/rt', python: 'python3' };
    expect(command09('python3_sync', 'main.wsgi:application', '', runtime, context)).toEqual([
      'python3',
      '/rt/bjoern_wrapper.py',
      '--timeout=60',
      'main.wsgi:application',
      context.socketPath,
    ]);
    expect(command09('gunicorn3_asyncio', 'main.application:app', '', runtime, context)).toEqual([
      'python3',
      '-m',
      'gunicorn',
      '--bind',
      `unix:${context.socketPath}`,
      '--timeout',
      '60',
      '--workers',
      '1',
      '--worker-class',
      'aiohttp.GunicornWebWorker',
      'main.application:app',
    ]);
    expect(command09('node', 'server.js', '--max-old-space-size=100', runtime, { ...context, appName: 'foo' })).toEqual(
      ['node', '--max-old-space-size=100', '/opt/my plugins/foo/foo/server.js', context.socketPath, '60'],
    );
    expect(command09('static', '', '', runtime, context)).toBeUndefined();
  });
});

describe('run routes', () => {
  const app = (name: string, prefixes: string[], statics: AppPlan['statics'] = []): AppPlan => ({
    name,
    workers: 1,
    prefixes,
    statics,
    timeoutSeconds: 60,
    env: {},
  });
  const route = routeTable([
    app('main', ['/foo/main', '/foo'], [{ urlPrefix: '/foo/static', dir: '/d' }]),
    app('api', ['/foo/api', '/extra']),
  ]);

  it('takes the longest prefix, keeps the whole path, and redirects the bare prefix', () => {
    expect(route('/foo/')).toEqual({ kind: 'app', app: 'main' });
    expect(route('/foo/api/v1')).toEqual({ kind: 'app', app: 'api' });
    expect(route('/foo/apix')).toEqual({ kind: 'app', app: 'main' });
    expect(route('/extra/x')).toEqual({ kind: 'app', app: 'api' });
    expect(route('/foo/static/a.css')).toEqual({ kind: 'static', dir: '/d', rest: '/a.css' });
    expect(route('/foo')).toEqual({ kind: 'redirect', location: '/foo/' });
    expect(route('/bar/')).toEqual({ kind: 'none' });
  });
});

describe('run static files', () => {
  const root = mkdtempSync(join(tmpdir(), 'bp-static-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const site = join(root, 'site');
  mkdirSync(join(site, 'sub'), { recursive: true });
  writeFileSync(join(site, 'index.html'), 'home');
  writeFileSync(join(site, 'sub', 'a.css'), 'a');
  writeFileSync(join(root, 'secret.txt'), 'secret');
  symlinkSync(join(root, 'secret.txt'), join(site, 'leak.txt'));
  mkdirSync(join(site, 'trap'));
  symlinkSync(join(root, 'secret.txt'), join(site, 'trap', 'index.html'));

  it('serves files and index.html, and refuses every way out of the directory', async () => {
    expect(await staticFile(site, '/')).toEqual({
      file: join(site, 'index.html'),
      contentType: 'text/html; charset=utf-8',
    });
    expect(await staticFile(site, '/sub/a.css?v=1')).toEqual({
      file: join(site, 'sub', 'a.css'),
      contentType: 'text/css; charset=utf-8',
    });
    for (const hostile of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/sub/..%2f..%2fsecret.txt',
      '/leak.txt',
      '/%00',
      '/%zz',
      '/sub\\..\\..\\secret.txt',
      '/trap/',
    ]) {
      expect(await staticFile(site, hostile), hostile).toBeUndefined();
    }
  });
});

describe('run autorestart patterns', () => {
  it('anchors /patterns at the plugin root and matches other patterns against names', () => {
    const matches = matcher(['*.py', '/local', 'nginx*', '__pycache__', 'fil?.[ch]']);
    expect(
      ['main/wsgi.py', 'local', 'local/x.txt', 'conf/nginx.conf', 'main/__pycache__', 'file.c'].filter(matches),
    ).toHaveLength(6);
    expect(['main/wsgi.pyc', 'main/local', 'README.md', 'file.o', 'sub/dir/x.js'].filter(matches)).toEqual([]);
  });
});

describe('run plan', () => {
  const root = mkdtempSync(join(tmpdir(), 'bp-plan-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const runtime = { binDir: '/rt', python: 'python3' };
  const plan = async (name: string, config: string, configName = 'GENERIC') => {
    const dir = join(root, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.ini'), config);
    writeFileSync(join(dir, '.layerapi2_label'), `plugin_${name}@mfserv`);
    const environment = { PATH: '/usr/bin:/bin', MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2: '6' };
    return planRun({ dir, cwd: root, module: 'mfserv', configName, environment, runtime });
  };

  it('reads 0.9 workers by env rules (placeholders, variants), one when debug=1, the Python path keys', async () => {
    const config = [
      '[app_main]',
      'type = python3_sync',
      'main_arg = main.wsgi:app',
      'workers = {{MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2}}',
      'workers[DEV] = 3',
      'add_app_dir_to_python_path = true',
      '[app_api]',
      'type = node',
      'main_arg = server.js',
      'debug = 1',
      'workers = 4',
      'add_plugin_dir_to_python_path = false',
      '',
    ].join('\n');
    const generic = await plan('nine', config);
    const [main, api] = generic.apps;
    const dir = join(root, 'nine');
    expect({ main: main.workers, api: api.workers }).toEqual({ main: 6, api: 1 });
    expect(main.prefixes).toEqual(['/nine/main', '/nine']);
    expect(api.prefixes).toEqual(['/nine/api']);
    expect(main.env.PYTHONPATH).toBe(`${dir}:${join(dir, 'main')}`);
    expect(api.env.PYTHONPATH).toBeUndefined();
    expect(main.env.MFSERV_CURRENT_PLUGIN_APP_MAIN_TYPE).toBe('python3_sync');
    expect(main.env.PATH).toBe(`${join(dir, 'bin')}:/usr/bin:/bin:/rt`);
    expect((await plan('nine_dev', config, 'DEV')).apps[0].workers).toBe(3);
  });

  it('runs a 2.x _cmd_and_args with numprocesses, and [general] _add_plugin_dir_to_python_path', async () => {
    const config = [
      '[general]',
      '_add_plugin_dir_to_python_path=false',
      '[app_main]',
      '_cmd_and_args=sh {plugin_dir}/{app_name}/start "{unix_socket_path}" {timeout}',
      'numprocesses=3',
      'timeout=0',
      '_static_routing=true',
      '_static_url_prefix=/assets',
      '_static_directory=/public',
      '[extra_daemon_tick]',
      '_cmd_and_args=sh -c "echo {plugin_name}"',
      '',
    ].join('\n');
    const two = await plan('two', config);
    const dir = join(root, 'two');
    expect(two.apps[0].workers).toBe(3);
    expect(two.apps[0].command!('/s.sock')).toEqual(['sh', `${dir}/main/start`, '/s.sock', '60']);
    expect(two.apps[0].statics).toEqual([
      { urlPrefix: '/two/main/assets', dir: join(dir, 'main', 'public') },
      { urlPrefix: '/two/assets', dir: join(dir, 'main', 'public') },
    ]);
    expect(two.apps[0].env.PYTHONPATH).toBeUndefined();
    expect(two.daemons).toEqual([
      {
        name: 'tick',
        copies: 1,
        command: ['sh', '-c', 'echo two'],
        env: expect.objectContaining({ MFSERV_CURRENT_PLUGIN_NAME: 'two' }),
      },
    ]);
  });
});
