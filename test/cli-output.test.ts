import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, CLI_PACKAGE, cleanEnv, makeTempDir, runCli } from './helpers/cli.js';

const exec = promisify(execFile);
const temp = makeTempDir('bp-output-');
afterAll(temp.cleanup);

describe('list TEMPLATE: one template, readable', () => {
  it('prints each field with its question, what it accepts, its default and when it is asked', async () => {
    const dir = temp.fresh();
    const template = join(dir, 'mine');
    mkdirSync(join(template, 'files'), { recursive: true });
    writeFileSync(join(template, 'files', 'README.md'), 'hi\n');
    const fields = [
      { name: 'port', message: 'Port to listen on', type: 'integer', default: 8080 },
      { name: 'db', message: 'Database', type: 'choice', choices: ['sqlite', 'postgres'], default: 'sqlite' },
      { name: 'db_host', message: 'Database host', type: 'string', when: { db: 'postgres' } },
      { name: 'tls', message: 'Serve over TLS', type: 'confirm', default: false },
    ];
    writeFileSync(join(template, 'template.json'), JSON.stringify({ description: 'My own', fields }));
    const { code, stdout, stderr } = await runCli(['list', './mine'], { cwd: dir });
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toBe(
      [
        'mine: My own',
        `  user template, from ${template}`,
        'Fields, in the order create asks them (or answer with --set FIELD=VALUE):',
        '  port     Port to listen on',
        '           a whole number; default: 8080',
        '  db       Database',
        '           one of sqlite, postgres; default: sqlite',
        '  db_host  Database host',
        '           text; asked only when db=postgres',
        '  tls      Serve over TLS',
        '           yes or no; default: no',
        '',
      ].join('\n'),
    );
  });

  it('names a built-in by name, with --json the same data list --json gives', async () => {
    const cwd = temp.fresh();
    const one = await runCli(['list', 'flask', '--metwork', '0.9'], { cwd });
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^flask: Flask application\n {2}built-in, from .*templates\/flask\n/);
    expect(one.stdout).toMatch(
      /^ {2}license +License\n +one of Proprietary, BSD, MIT, GPL, Specific; default: Proprietary$/m,
    );
    const json = JSON.parse((await runCli(['list', 'flask', '--json', '--metwork', '0.9'], { cwd })).stdout);
    const all = JSON.parse((await runCli(['list', '--json', '--metwork', '0.9'], { cwd })).stdout) as unknown[];
    expect(all).toContainEqual(json);
  });

  it('an unknown template is one line naming the nearest, exit 2', async () => {
    const { code, stdout, stderr } = await runCli(['list', 'flsk'], { cwd: temp.fresh() });
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toMatch(/^bootstrap-plugin: error: unknown template "flsk" \(did you mean "flask"\?\).*\n$/);
  });
});

/** The CLI in a pseudo-terminal; its raw output, escape codes included. */
async function rawInTerminal(args: string[], extra: Record<string, string | undefined>): Promise<string> {
  const spawnInPty = 'import pty, sys; pty.spawn(sys.argv[1:])';
  const env = cleanEnv({ TERM: 'xterm-256color', ...extra });
  delete env.CI; // Node colours no terminal under a CI it does not know (tty getColorDepth)
  const { stdout } = await exec('python3', ['-c', spawnInPty, process.execPath, CLI, ...args], {
    cwd: temp.fresh(),
    env,
    timeout: 30_000,
  });
  return stdout;
}

const ESCAPE = '\x1b[';

describe('colours: on a terminal only, never with NO_COLOR', () => {
  it('a terminal gets bold template names and a red error label', async () => {
    const names = await rawInTerminal(['list'], { NO_COLOR: undefined });
    expect(names).toContain(`${ESCAPE}1mflask`);
    const error = await rawInTerminal(['list', 'nope'], { NO_COLOR: undefined });
    expect(error).toContain(`bootstrap-plugin: ${ESCAPE}1m${ESCAPE}31merror:`);
  });

  it('NO_COLOR=1 on a terminal, and a pipe, get plain text', async () => {
    for (const args of [['list'], ['list', 'nope']]) {
      expect(await rawInTerminal(args, { NO_COLOR: '1' })).not.toContain(ESCAPE);
      const piped = await runCli(args, { cwd: temp.fresh(), env: cleanEnv({ TERM: 'xterm-256color' }) });
      expect(piped.stdout + piped.stderr).not.toContain(ESCAPE);
    }
  });
});

/** The `eval "$(… env)"` line of create's next steps, run in sh from the plugin: the label it loads. */
async function loadedLabel(stdout: string, plugin: string, env: NodeJS.ProcessEnv): Promise<string> {
  const line = /^ {4}(eval "\$\(.* env\)")$/m.exec(stdout)?.[1];
  expect(line).toBeDefined();
  const { stdout: label } = await exec('sh', ['-c', `${line} && echo "$MFSERV_CURRENT_PLUGIN_LABEL"`], {
    cwd: plugin,
    env,
  });
  return label.trim();
}

/** The user's PATH: without the workspace's node_modules/.bin, which npm puts there for the tests. */
const USER_PATH = (process.env.PATH ?? '')
  .split(':')
  .filter((dir) => !existsSync(join(dir, 'bootstrap-plugin')))
  .join(':');

describe('next steps print a command that works where the user is', () => {
  it('on PATH: the bare name', async () => {
    const cwd = temp.fresh();
    const bin = join(cwd, 'bin');
    mkdirSync(bin);
    symlinkSync(CLI, join(bin, 'bootstrap-plugin'));
    const env = cleanEnv({ PATH: `${bin}:${USER_PATH}` });
    const { stdout } = await exec('bootstrap-plugin', ['create', 'demo', '--template=flask', '--yes'], { cwd, env });
    expect(stdout).toContain('    eval "$(bootstrap-plugin env)"\n');
    expect(await loadedLabel(stdout, join(cwd, 'demo'), env)).toBe('plugin_demo@mfserv');
  });

  it('not on PATH: the program path, which works from anywhere', async () => {
    const cwd = temp.fresh();
    const env = cleanEnv({ PATH: USER_PATH });
    const { stdout } = await runCli(['create', 'demo', '--template=flask', '--yes'], { cwd, env });
    expect(stdout).toContain(`    eval "$(${CLI} env)"\n`);
    expect(await loadedLabel(stdout, join(cwd, 'demo'), env)).toBe('plugin_demo@mfserv');
  });

  it('under npx: npx bootstrap-plugin', async () => {
    const cwd = temp.fresh();
    // A project with the package installed locally, as `npm install bootstrap-plugin` leaves it.
    writeFileSync(join(cwd, 'package.json'), '{"name": "project", "version": "1.0.0"}\n');
    mkdirSync(join(cwd, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(CLI_PACKAGE, join(cwd, 'node_modules', 'bootstrap-plugin'));
    symlinkSync('../bootstrap-plugin/bin/bootstrap-plugin.cjs', join(cwd, 'node_modules', '.bin', 'bootstrap-plugin'));
    const env = cleanEnv({ PATH: USER_PATH, npm_config_offline: 'true', npm_config_update_notifier: 'false' });
    const npx = ['--no-install', 'bootstrap-plugin', 'create', 'demo', '--template=flask', '--yes'];
    const { stdout } = await exec('npx', npx, { cwd, env, timeout: 60_000 });
    expect(stdout).toContain('    eval "$(npx bootstrap-plugin env)"\n');
    expect(await loadedLabel(stdout, join(cwd, 'demo'), env)).toBe('plugin_demo@mfserv');
  });
});
