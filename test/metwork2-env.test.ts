import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, makeTempDir, runCli } from './helpers/cli.js';
import { METWORK2_TEMPLATES, mfplugin } from './helpers/metwork2-peers.js';

// `env DIR` on a plugin of format 2 gives exactly what mfplugin's get_plugin_env_dict gives
// (MetWork's plugin_env), compared as variables a real shell has after sourcing our profile.

const run = promisify(execFile);
const temp = makeTempDir('bp-metwork2-env-');
afterAll(temp.cleanup);

/** The MetWork variables a loaded mfserv environment has (the tool's own defaults, made explicit). */
function metworkEnv(runtime: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    MFMODULE_RUNTIME_HOME: runtime,
    MFSERV_NGINX_TIMEOUT: '60',
    MFSERV_LOG_TRY_TO_SPLIT_STDOUT_STDERR: '0',
    MFSERV_LOG_TRY_TO_SPLIT_MULTIPLE_WORKERS: '1',
    MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2: '6',
    PYTHONPATH: '/opt/site-packages',
    ...extra,
  });
}

/** The variables bash has after `. profile` that it did not have before: our profile, as sourced. */
async function sourced(
  dir: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  extraArgs: string[] = [],
): Promise<{ vars: Record<string, string>; stderr: string }> {
  const written = await runCli(['env', dir, ...extraArgs, '-o', 'profile.sh'], { cwd, env });
  expect(written.code, written.stderr).toBe(0);
  const dump = 'import json, os; print(json.dumps(dict(os.environ)))';
  const script =
    `before=$(/usr/bin/python3 -c '${dump}'); . ./profile.sh; after=$(/usr/bin/python3 -c ` +
    `'${dump}'); printf '%s\\n%s\\n' "$before" "$after"`;
  const { stdout } = await run('bash', ['-c', script], { cwd, env });
  const [before, after] = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, string>);
  const vars = Object.fromEntries(
    Object.entries(after).filter(([name, value]) => before[name] !== value || name === 'PYTHONPATH'),
  );
  for (const name of ['_', 'SHLVL', 'PWD', 'OLDPWD']) delete vars[name];
  return { vars, stderr: written.stderr };
}

async function theirs(dir: string, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const result = await mfplugin(['env', dir], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, string>;
}

async function create(template: string, name: string, cwd: string): Promise<string> {
  const created = await runCli(['create', '--metwork', '2', `--template=${template}`, name, '--yes'], { cwd });
  expect(created.code, created.stderr).toBe(0);
  return join(cwd, name);
}

describe.each(METWORK2_TEMPLATES)('env on a new %s plugin', (template) => {
  it('gives the variables mfplugin gives, value for value, after sourcing', async () => {
    const cwd = temp.fresh();
    await create(template, 'foo', cwd);
    const env = metworkEnv(join(cwd, 'runtime'));
    const [ours, expected] = await Promise.all([sourced('foo', cwd, env), theirs(join(cwd, 'foo'), env)]);
    expect(ours.vars).toEqual(expected);
    expect(ours.stderr).toBe('');
  });
});

describe('env on a format-2 plugin with every computed value', () => {
  let cwd: string;
  let runtime: string;
  let base: string;
  beforeAll(async () => {
    cwd = mkdtempSync(join(temp.dir, 'rich-'));
    runtime = join(cwd, 'runtime');
    base = join(cwd, 'installed');
    const dir = await create('python3_flask', 'rich', cwd);
    const ini = readFileSync(join(dir, 'config.ini'), 'utf8')
      .replace('debug=0', 'debug=1')
      .replace('max_age = 0', 'max_age=120')
      .replace('timeout=0', 'timeout=-5')
      .replace('log_split_stdout_stderr=AUTO', 'log_split_stdout_stderr=yes');
    writeFileSync(
      join(dir, 'config.ini'),
      ini +
        [
          'db_hostname=localhost',
          'cache_hostname=/run/cache.sock',
          'nothing_hostname=null',
          'peer_hostnames=127.0.0.1;nowhere.invalid;null',
          'bad_hostname=nowhere.invalid',
          'home={{HOME}}',
          'plugin_dir={{MFSERV_CURRENT_PLUGIN_DIR}}/data',
          'port=8080',
          'port[DEV]=18080',
          'port[DEV_JOHN]=28080',
          'level=info',
          'level[PROD]=error',
          'note=null',
          'poem=line one',
          '  line two',
          '',
          '[extra_daemon_worker]',
          '_cmd_and_args=sleep 60',
          'numprocesses={{MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2}}',
          '',
        ].join('\n'),
    );
    writeFileSync(
      join(dir, '.layerapi2_dependencies'),
      `${readFileSync(join(dir, '.layerapi2_dependencies'), 'utf8')}plugin_dep@mfserv\n-plugin_absent@mfserv\n`,
    );
    // A plugin it depends on, installed in the plugins base directory.
    const dep = await create('python3_noweb', 'dep', mkdtempSync(join(temp.dir, 'dep-')));
    mkdirSync(base, { recursive: true });
    cpSync(dep, join(base, 'dep'), { recursive: true });
    writeFileSync(
      join(base, 'dep', 'config.ini'),
      `${readFileSync(join(base, 'dep', 'config.ini'), 'utf8')}shared=from dep\nport=1\n`,
    );
    // The administrator's override of a public key, with a variant.
    mkdirSync(join(runtime, 'config', 'plugins'), { recursive: true });
    writeFileSync(
      join(runtime, 'config', 'plugins', 'rich.ini'),
      '[custom]\nlevel=warning\nport[DEV]=38080\n\n[app_main]\nnumprocesses=7\n',
    );
  });

  const cases: Array<[string, Record<string, string>]> = [
    ['GENERIC', {}],
    ['DEV', { MFCONFIG: 'DEV' }],
    ['DEV_JOHN', { MFCONFIG: 'DEV_JOHN' }],
  ];
  it.each(cases)('MFCONFIG=%s: the same variables as mfplugin, after sourcing', async (_, extra) => {
    const env = metworkEnv(runtime, {
      MFMODULE_PLUGINS_BASE_DIR: base,
      PLUGINS_BASE: base,
      HOME: '/home/someone',
      ...extra,
    });
    const [ours, expected] = await Promise.all([sourced('rich', cwd, env), theirs(join(cwd, 'rich'), env)]);
    expect(ours.vars).toEqual(expected);
  });

  it('holds the computed values MetWork documents', async () => {
    const env = metworkEnv(runtime, { MFMODULE_PLUGINS_BASE_DIR: base, HOME: '/home/someone', MFCONFIG: 'DEV' });
    const { vars } = await sourced('rich', cwd, env);
    const P = 'MFSERV_CURRENT_PLUGIN_';
    expect(vars).toMatchObject({
      [`${P}APP_MAIN_DEBUG`]: '1',
      [`${P}APP_MAIN_NUMPROCESSES`]: '1', // debug forces one process (the override asked 7)
      [`${P}APP_MAIN_MAX_AGE`]: '0', // and no max_age
      [`${P}APP_MAIN_TIMEOUT`]: '60', // <= 0: MFSERV_NGINX_TIMEOUT
      [`${P}APP_MAIN_GRACEFUL_TIMEOUT`]: '73', // timeout + smart_stop_delay + 10
      [`${P}APP_MAIN_PREFIX_BASED_ROUTING_EXTRA_ROUTES`]: '', // null
      [`${P}APP_MAIN_LOG_SPLIT_STDOUT_STDERR`]: '1',
      [`${P}APP_MAIN_LOG_SPLIT_MULTIPLE_WORKERS`]: '1', // AUTO: MFSERV_LOG_TRY_TO_SPLIT_MULTIPLE_WORKERS
      [`${P}EXTRA_DAEMON_WORKER_NUMPROCESSES`]: '6',
      [`${P}EXTRA_DAEMON_WORKER_GRACEFUL_TIMEOUT`]: '10',
      [`${P}CUSTOM_DB_HOSTNAME_IP`]: '127.0.0.1',
      [`${P}CUSTOM_CACHE_HOSTNAME_IP`]: '/run/cache.sock',
      [`${P}CUSTOM_NOTHING_HOSTNAME_IP`]: 'null',
      [`${P}CUSTOM_PEER_HOSTNAMES_IPS`]: '127.0.0.1;dns_error;null',
      [`${P}CUSTOM_BAD_HOSTNAME_IP`]: 'dns_error',
      [`${P}CUSTOM_HOME`]: '/home/someone',
      [`${P}CUSTOM_PLUGIN_DIR`]: `${join(cwd, 'rich')}/data`,
      [`${P}CUSTOM_PORT`]: '38080', // the override file's variant wins
      [`${P}CUSTOM_LEVEL`]: 'warning',
      [`${P}CUSTOM_NOTE`]: 'null',
      [`${P}CUSTOM_POEM`]: 'line one\nline two',
      [`${P}CUSTOM_SHARED`]: 'from dep', // from the dependency
      [`${P}NAME`]: 'rich',
      TMPDIR: join(runtime, 'tmp', 'dep'), // the dependency's
      PYTHONPATH: `${join(cwd, 'rich')}:/opt/site-packages`,
    });
  });
});

describe('env computes a MetWork variable that is not set, and says so', () => {
  const cores = availableParallelism();
  it('format 2: MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2, MFSERV_NGINX_TIMEOUT: machine, mfserv', async () => {
    const cwd = temp.fresh();
    await create('python3_flask', 'foo', cwd);
    const result = await runCli(['env', 'foo', '--format', 'json'], { cwd, env: cleanEnv() });
    expect(result.code, result.stderr).toBe(0);
    const vars = JSON.parse(result.stdout) as Record<string, string>;
    expect(vars.MFSERV_CURRENT_PLUGIN_APP_MAIN_NUMPROCESSES).toBe(String(cores * 2));
    expect(vars.MFSERV_CURRENT_PLUGIN_APP_MAIN_TIMEOUT).toBe('60');
    expect(result.stderr).toContain(
      'bootstrap-plugin: note: MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2 is not set (no MetWork ' +
        `environment loaded): using ${cores * 2}, this machine's ${cores} CPU cores, times 2\n`,
    );
    expect(result.stderr).toContain(
      'bootstrap-plugin: note: MFSERV_NGINX_TIMEOUT is not set (no MetWork environment loaded): ' +
        "using 60, mfserv's default nginx timeout\n",
    );
  });

  it('0.9: the workers placeholder of a flask plugin', async () => {
    const cwd = temp.fresh();
    const created = await runCli(['create', '--metwork', '0.9', '--template=flask', 'old', '--yes'], { cwd });
    expect(created.code, created.stderr).toBe(0);
    const result = await runCli(['env', 'old', '--format', 'json'], { cwd, env: cleanEnv() });
    expect(JSON.parse(result.stdout)).toMatchObject({ MFSERV_CURRENT_PLUGIN_APP_MAIN_WORKERS: String(cores * 2) });
    // 0.9.15's templates name the placeholder MFCOM_HARDWARE_…, as ours now do.
    expect(result.stderr).toBe(
      'bootstrap-plugin: note: MFCOM_HARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2 is not set (no MetWork ' +
        `environment loaded): using ${cores * 2}, this machine's ${cores} CPU cores, times 2\n`,
    );
  });

  it('says nothing when MetWork set it', async () => {
    const cwd = temp.fresh();
    await create('python3_flask', 'foo', cwd);
    const result = await runCli(['env', 'foo'], { cwd, env: metworkEnv(join(cwd, 'runtime')) });
    expect(result.stderr).toBe('');
  });

  it('refuses a plugin mfplugin refuses, naming the file and line (exit 2)', async () => {
    const cwd = temp.fresh();
    const dir = await create('python3_flask', 'foo', cwd);
    writeFileSync(
      join(dir, 'config.ini'),
      readFileSync(join(dir, 'config.ini'), 'utf8').replace('numprocesses=', 'workers='),
    );
    const result = await runCli(['env', 'foo'], { cwd, env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        String.raw`^bootstrap-plugin: error: foo/config\.ini:\d+: unknown key "workers" in \[app_main\] ` +
          String.raw`\(MetWork 2 names it "numprocesses"\) ` +
          String.raw`\(MetWork refuses this plugin; see: bootstrap-plugin config check foo\)\n$`,
      ),
    );
  });
});
