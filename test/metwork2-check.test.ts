import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, makeTempDir, ROOT, runCli } from './helpers/cli.js';
import { mfplugin } from './helpers/metwork2-peers.js';

// `config check` on plugins of format 2 refuses what MetWork's mfplugin refuses, with a
// file:line per problem, and accepts what it accepts: on mfplugin's own test plugins, and on
// our templates changed one way at a time (each change judged by mfplugin in the same test).

const temp = makeTempDir('bp-metwork2-check-');
afterAll(temp.cleanup);
const MFPLUGIN_TESTS = join(ROOT, 'test', 'fixtures', 'mfplugin');
const ENV = cleanEnv({ MFMODULE_RUNTIME_HOME: temp.dir });

describe("config check on mfplugin's own test plugins (module generic)", () => {
  const cases: Array<[string, string[]]> = [
    ['plugin1', []],
    ['plugin2', []],
    [
      'badplugin1',
      [
        'badplugin1/config.ini: the [general] section is missing',
        'badplugin1/config.ini:1: unknown section [missing_general]',
      ],
    ],
    ['badplugin2', ['badplugin2/.layerapi2_label: expected one line plugin_NAME@generic']],
    ['badplugin3', ['badplugin3/config.ini:1: [general] _vendor is required']],
    ['badplugin4', ['badplugin4/config.ini:1: [general] _license is required']],
  ];
  it.each(cases)('%s: same verdict as mfplugin, each problem named with its file and line', async (name, expected) => {
    const cwd = temp.fresh();
    cpSync(join(MFPLUGIN_TESTS, name), join(cwd, name), { recursive: true });
    const [theirs, ours] = await Promise.all([
      mfplugin(['check', join(cwd, name)], { ...ENV, MFMODULE: 'GENERIC' }),
      runCli(['config', 'check', name, '--module', 'generic'], { cwd, env: ENV }),
    ]);
    expect(theirs.code === 0, theirs.stderr).toBe(expected.length === 0);
    expect(ours.code).toBe(theirs.code === 0 ? 0 : 2);
    const lines = ours.stdout.trimEnd().split('\n');
    if (expected.length === 0)
      expect(lines).toEqual([`${name}/config.ini: no problems (checked against the MetWork 2 (mfplugin) template)`]);
    else
      expected.forEach((start, index) =>
        expect(lines[index]).toMatch(new RegExp(`^${start.replace(/[[\]().*+?]/g, '\\$&')}`)),
      );
  });
});

/** A config.ini change, and the finding we print for it (undefined: mfplugin accepts it). */
interface Mutation {
  title: string;
  change: (ini: string) => string;
  findings?: RegExp[];
}

const GENERAL_END = '_add_plugin_dir_to_python_path=true\n';
const MUTATIONS: Mutation[] = [
  { title: 'a key of your own in [custom]', change: (s) => s.replace('[custom]\n', '[custom]\nmy_key=1\n') },
  {
    title: 'a [custom_more] section and an [extra_daemon_x] of known keys',
    change: (s) => `${s}\n[custom_more]\nx=1\n[extra_daemon_x]\n_cmd_and_args=sleep 60\nnumprocesses=1\n`,
  },
  { title: 'a private [_notes] section', change: (s) => `${s}\n[_notes]\nanything=goes\n` },
  {
    title: 'values of the wrong type (MetWork reads them as 0 and false)',
    change: (s) => `${s}\n[app_x]\nnumprocesses=many\ndebug=maybe\n`,
  },
  {
    title: 'an unknown key in [general]',
    change: (s) => s.replace(GENERAL_END, `${GENERAL_END}_verison=1\n`),
    findings: [/^foo\/config\.ini:\d+: unknown key "_verison" in \[general\] \(did you mean "_version"\?\)$/],
  },
  {
    title: 'an unknown key in [app_*]',
    change: (s) => `${s}\n[app_x]\nworkers=2\n`,
    findings: [/^foo\/config\.ini:\d+: unknown key "workers" in \[app_x\] \(MetWork 2 names it "numprocesses"\)$/],
  },
  {
    title: 'an unknown key in [extra_daemon_*]',
    change: (s) => `${s}\n[extra_daemon_d]\nfoo=2\n`,
    findings: [/^foo\/config\.ini:\d+: unknown key "foo" in \[extra_daemon_d\]$/],
  },
  {
    title: 'an unknown section',
    change: (s) => `${s}\n[weird]\na=1\n`,
    findings: [/^foo\/config\.ini:\d+: unknown section \[weird\]/],
  },
  {
    title: 'an empty _summary',
    change: (s) => s.replace(/^_summary=.*$/m, '_summary='),
    findings: [/^foo\/config\.ini:\d+: \[general\] _summary is empty/],
  },
  {
    title: 'a missing _url',
    change: (s) => s.replace(/^_url=.*\n/m, ''),
    findings: [/^foo\/config\.ini:\d+: \[general\] _url is required$/],
  },
  {
    title: 'a bad _version',
    change: (s) => s.replace('_version=0.0.1', '_version=1.0 Beta'),
    findings: [/^foo\/config\.ini:\d+: \[general\] _version="1.0 Beta": use only lower-case letters/],
  },
  {
    title: 'a case-changed key',
    change: (s) => s.replace('_version=', '_Version='),
    findings: [
      /^foo\/config\.ini:\d+: \[general\] _version is required$/,
      /^foo\/config\.ini:\d+: unknown key "_Version" in \[general\]/,
    ],
  },
  {
    title: 'a bad extra route',
    change: (s) => `${s}\n[app_x]\nprefix_based_routing_extra_routes=foo/\n`,
    findings: [/route "foo\/" must start with "\/"$/, /route "foo\/" must not end with "\/"/],
  },
  {
    title: 'a missing extra nginx file',
    change: (s) => `${s}\n[app_x]\n_extra_nginx_conf_filename=nope.conf\n`,
    findings: [/_extra_nginx_conf_filename="nope\.conf": no such file in the plugin directory/],
  },
  {
    title: 'a ":" delimiter',
    change: (s) => s.replace('[custom]\n', '[custom]\nfoo: 1\n'),
    findings: [/^foo\/config\.ini:\d+: MetWork cannot read this line: write key=value/],
  },
  {
    title: 'a ";" comment',
    change: (s) => s.replace('[custom]\n', '[custom]\n; a note\n'),
    findings: [/^foo\/config\.ini:\d+: MetWork cannot read this line: comments start with "#"/],
  },
  {
    title: 'a [DEFAULT] section',
    change: (s) => s.replace('[general]', '[DEFAULT]\nx=1\n\n[general]'),
    findings: [/^foo\/config\.ini:\d+: unknown section \[DEFAULT\]/],
  },
];

describe('config check on a python3_noweb plugin changed one way at a time', () => {
  let pristine: string;
  beforeAll(async () => {
    const cwd = mkdtempSync(join(temp.dir, 'template-'));
    const created = await runCli(['create', '--metwork', '2', '--template=python3_noweb', 'foo', '--yes'], { cwd });
    expect(created.code, created.stderr).toBe(0);
    pristine = join(cwd, 'foo');
  });

  it.each(MUTATIONS)('$title: same verdict as mfplugin', async ({ change, findings }) => {
    const cwd = temp.fresh();
    const dir = join(cwd, 'foo');
    cpSync(pristine, dir, { recursive: true });
    writeFileSync(join(dir, 'config.ini'), change(readFileSync(join(dir, 'config.ini'), 'utf8')));
    const [theirs, ours] = await Promise.all([
      mfplugin(['check', dir], ENV),
      runCli(['config', 'check', 'foo'], { cwd, env: ENV }),
    ]);
    expect(theirs.code, theirs.stderr).toBe(findings ? 3 : 0);
    expect(ours.code, ours.stdout).toBe(findings ? 2 : 0);
    const lines = ours.stdout.trimEnd().split('\n');
    if (findings)
      expect(lines.filter((line) => !line.includes(': warning: '))).toEqual(
        findings.map((f) => expect.stringMatching(f)),
      );
    else expect(lines.at(-1)).toBe('foo/config.ini: no problems (checked against the MetWork 2 (mfplugin) template)');
  });

  it('names a problem of an override file with that file and line', async () => {
    const cwd = temp.fresh();
    const runtime = join(cwd, 'runtime');
    cpSync(pristine, join(cwd, 'foo'), { recursive: true });
    mkdirSync(join(runtime, 'config', 'plugins'), { recursive: true });
    const override = join(runtime, 'config', 'plugins', 'foo.ini');
    writeFileSync(override, '[custom]\nok=1\n\n[app_oops]\nworkerz=3\n');
    const env = cleanEnv({ MFMODULE_RUNTIME_HOME: runtime });
    const [theirs, ours] = await Promise.all([
      mfplugin(['check', join(cwd, 'foo')], env),
      runCli(['config', 'check', 'foo'], { cwd, env }),
    ]);
    expect(theirs.code).toBe(3);
    expect(ours.code).toBe(2);
    expect(ours.stdout).toBe(`${override}:5: unknown key "workerz" in [app_oops]\n`);
  });
});
