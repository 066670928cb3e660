import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PACKAGE, makeTempDir, runCli } from './helpers/cli.js';

const temp = makeTempDir('bp-conventions-');
afterAll(temp.cleanup);
const run = (args: string[]) => runCli(args, { cwd: temp.fresh() });
const VERSION = (JSON.parse(readFileSync(join(CLI_PACKAGE, 'package.json'), 'utf8')) as { version: string }).version;
const COMMANDS = [
  'list',
  'create',
  'update',
  'release',
  'env',
  'config get',
  'config set',
  'config check',
  'run',
  'completion',
];

describe('help and version', () => {
  it('a bare bootstrap-plugin prints every command with its summary, exit 0', async () => {
    const { code, stdout, stderr } = await run([]);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(/^Usage: bootstrap-plugin <command> \[options\]\n/);
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command}\\b.* {2}\\w`, 'm'));
    expect((await run(['--help'])).stdout).toBe(stdout);
    expect((await run(['-h'])).stdout).toBe(stdout);
  });

  it.each(COMMANDS)(
    '%s -h and --help print its usage and every option, without needing its arguments',
    async (command) => {
      const words = command.split(' ');
      const long = await run([...words, '--help']);
      expect([long.code, long.stderr]).toEqual([0, '']);
      expect(long.stdout).toMatch(new RegExp(`^Usage: bootstrap-plugin ${command}\\b`));
      expect(long.stdout).toMatch(/^ {2}-h, --help +show this help$/m);
      expect(long.stdout).toMatch(/^ {2}-v, --version +print the version$/m);
      expect((await run([...words, '-h'])).stdout).toBe(long.stdout);
    },
  );

  it('create --help lists its flags with their values and defaults', async () => {
    const { stdout } = await run(['create', '--help']);
    expect(stdout).toMatch(
      /^ {2}-t, --template T +template name, or path to a template directory \(default: default\)$/m,
    );
    expect(stdout).toMatch(/^ {2}-y, --yes, --no-input +/m);
    expect(stdout).toMatch(/^ {2}--set FIELD=VALUE +answer a field \(repeatable\)$/m);
    expect(stdout).toMatch(/^ {2}NAME +plugin name/m);
  });

  it('env --help names the formats', async () => {
    expect((await run(['env', '--help'])).stdout).toMatch(
      /--format F +profile format \(one of sh, fish, dotenv, json; default: sh\)/,
    );
  });

  it.each([['-v'], ['--version'], ['list', '-v'], ['create', '--version'], ['config', 'check', '-v']])(
    '%s prints the version',
    async (...args) => {
      const { code, stdout, stderr } = await run(args);
      expect([code, stdout, stderr]).toEqual([0, `${VERSION}\n`, '']);
    },
  );

  it('a bare `config` prints the config commands', async () => {
    const { code, stdout } = await run(['config']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: bootstrap-plugin config <command> \[options\]\n/);
    expect(stdout.match(/^ {2}config (get|set|check)\b/gm)).toEqual(['  config get', '  config set', '  config check']);
    expect(stdout).not.toMatch(/^ {2}create/m);
  });
});

describe('usage errors: one line, exit 2', () => {
  it.each([
    [['lst'], 'unknown command "lst" (did you mean "list"?) (see: bootstrap-plugin --help)'],
    [['craete', 'foo'], 'unknown command "craete" (did you mean "create"?) (see: bootstrap-plugin --help)'],
    [['frobnicate'], 'unknown command "frobnicate" (see: bootstrap-plugin --help)'],
    [['config', 'chek'], 'unknown config command "chek" (did you mean "check"?) (see: bootstrap-plugin config --help)'],
    [['list', '--jsn'], 'unknown option --jsn (did you mean "--json"?) (see: bootstrap-plugin list --help)'],
    [['create'], 'create needs NAME (see: bootstrap-plugin create --help)'],
    [['config', 'set', 'plugin'], 'config set needs SECTION.KEY=VALUE... (see: bootstrap-plugin config set --help)'],
    [['create', 'foo', '--dir'], 'option --dir needs a value (DIR)'],
    [['create', 'foo', '--yes=no'], 'option --yes takes no value (got "no")'],
    [['env', '--format', 'csh'], '--format "csh": expected one of sh, fish, dotenv, json'],
    [['list', 'flask', 'extra'], 'unexpected argument "extra" (see: bootstrap-plugin list --help)'],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await run(args);
    expect([code, stdout, stderr]).toEqual([2, '', `bootstrap-plugin: error: ${message}\n`]);
  });

  it('takes arguments after -- as they are: a plugin may be named --x', async () => {
    const cwd = temp.fresh();
    const { code, stdout } = await runCli(['create', '--template=static', '--yes', '--', '--x'], { cwd });
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe(`Plugin --x successfully created on directory ${join(cwd, '--x')}`);
    expect(readdirSync(cwd)).toEqual(['--x']);
  });
});
