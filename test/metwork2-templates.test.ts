import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, makeTempDir, runCli } from './helpers/cli.js';
import { METWORK2_TEMPLATES, mfplugin, originalCreate } from './helpers/metwork2-peers.js';

// The MetWork 2.x generation (--metwork 2) held against MetWork's own tools: each of the 13
// templates, created with default answers, holds every file and every config.ini key (with its
// value) that MetWork's current bootstrap_plugin.py writes, and mfplugin accepts it.

const run = promisify(execFile);
const temp = makeTempDir('bp-metwork2-');
const originals: string[] = [];
afterAll(() => {
  temp.cleanup();
  for (const dir of originals) rmSync(dirname(dir), { recursive: true, force: true });
});

const STATE_FILE = '.bootstrap-plugin.json';
/** What update merges against, recorded beside the state file. */
const BASE_FILE = '.bootstrap-plugin.base.json';

/** Every file under dir, relative and sorted. */
function files(dir: string, base = dir): string[] {
  return readdirSync(dir)
    .flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? files(path, base) : [relative(base, path)];
    })
    .sort();
}

// As mfplugin reads config.ini: "=" only, "#" comments, keys keep their case, no interpolation.
const READ_AS_MFPLUGIN = String.raw`
import configparser, json, sys
p = configparser.RawConfigParser(delimiters=("=",), comment_prefixes=("#",))
p.optionxform = str
p.read(sys.argv[1])
json.dump({s: dict(p.items(s)) for s in p.sections()}, sys.stdout)
`;

async function readConfig(dir: string): Promise<Record<string, Record<string, string>>> {
  const { stdout } = await run('/usr/bin/python3', ['-c', READ_AS_MFPLUGIN, join(dir, 'config.ini')]);
  return JSON.parse(stdout) as Record<string, Record<string, string>>;
}

async function create(template: string, name: string, env = cleanEnv()): Promise<string> {
  const cwd = mkdtempSync(join(temp.dir, 'case-'));
  const created = await runCli(['create', '--metwork', '2', `--template=${template}`, name, '--yes'], { cwd, env });
  expect(created.code, created.stderr).toBe(0);
  return join(cwd, name);
}

describe('list --metwork', () => {
  it('2 lists the 13 current mfserv templates in order, then the packs', async () => {
    const listed = await runCli(['list', '--metwork', '2', '--json'], { cwd: temp.fresh() });
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<{ name: string; source: string }>;
    expect(rows.map((r) => r.name)).toEqual([...METWORK2_TEMPLATES, 'tutor', 'tracim']);
    expect(rows.map((r) => r.source)).toEqual([...METWORK2_TEMPLATES.map(() => 'builtin'), 'pack', 'pack']);
  });

  it('defaults to 2 when MFMODULE_VERSION names MetWork 1.x or 2.x, else to 0.9', async () => {
    const names = async (env: Record<string, string>) => {
      const listed = await runCli(['list', '--json'], { cwd: temp.fresh(), env: cleanEnv(env) });
      return (JSON.parse(listed.stdout) as Array<{ name: string }>).map((r) => r.name).slice(0, 2);
    };
    expect(await names({ MFMODULE_VERSION: '2.3.9' })).toEqual(['default', 'node']);
    expect(await names({ MFMODULE_VERSION: '1.0.4-1' })).toEqual(['default', 'node']);
    expect(await names({ MFMODULE_VERSION: '0.9.15' })).toEqual(['default', 'empty']);
    expect(await names({})).toEqual(['default', 'empty']);
  });

  it('--metwork 0.9 wins over a loaded MetWork 2 environment', async () => {
    const listed = await runCli(['list', '--metwork', '0.9'], {
      cwd: temp.fresh(),
      env: cleanEnv({ MFMODULE_VERSION: '2.3.9' }),
    });
    expect(listed.stdout).toContain('* empty');
    expect(listed.stdout).not.toContain('python3_flask');
  });

  it("names the generation a template belongs to when it is the other one's (exit 2)", async () => {
    const two = await runCli(['create', '--template=python3_flask', 'foo', '--yes'], { cwd: temp.fresh() });
    expect(two.code).toBe(2);
    expect(two.stderr).toBe(
      `bootstrap-plugin: error: template "python3_flask" is one of MetWork 2's: add --metwork 2 (see: ` +
        `bootstrap-plugin list --metwork 2)\n`,
    );
    const old = await runCli(['create', '--metwork', '2', '--template=empty', 'foo', '--yes'], { cwd: temp.fresh() });
    expect(old.stderr).toBe(
      `bootstrap-plugin: error: template "empty" is one of MetWork 0.9's: add --metwork 0.9 (see: ` +
        `bootstrap-plugin list --metwork 0.9)\n`,
    );
  });

  it('refuses an unknown generation with one line naming the choices (exit 2)', async () => {
    const listed = await runCli(['create', '--metwork', '3', 'foo', '--yes'], { cwd: temp.fresh() });
    expect(listed.code).toBe(2);
    expect(listed.stderr).toBe('bootstrap-plugin: error: --metwork "3": expected 0.9 or 2\n');
  });
});

describe.each(METWORK2_TEMPLATES)('create --metwork 2 --template=%s', (template) => {
  let ours: string;
  let theirs: string;
  beforeAll(async () => {
    [ours, theirs] = await Promise.all([create(template, 'foo'), originalCreate(template, 'foo')]);
    originals.push(theirs);
  }, 60_000);

  it("holds every file MetWork's bootstrap_plugin.py writes (and our state and base files)", () => {
    expect(files(ours)).toEqual([...files(theirs), STATE_FILE, BASE_FILE].sort());
  });

  it('holds every config.ini section and key MetWork writes, with the same default values', async () => {
    expect(await readConfig(ours)).toEqual(await readConfig(theirs));
  });

  it("is accepted by MetWork's mfplugin", async () => {
    const checked = await mfplugin(['check', ours]);
    expect(checked.stderr).toBe('');
    expect(checked).toMatchObject({ code: 0, stdout: 'ok: foo 0.0.1-1\n' });
  });

  it('has the same layer label and dependencies as MetWork writes', () => {
    for (const file of ['.layerapi2_label', '.layerapi2_dependencies', '.plugin_format_version']) {
      expect(readFileSync(join(ours, file), 'utf8'), file).toBe(readFileSync(join(theirs, file), 'utf8'));
    }
  });
});

describe('create --metwork 2: format version and answers', () => {
  it('writes the loaded MetWork version in .plugin_format_version, and defaults to --metwork 2 under it', async () => {
    const cwd = temp.fresh();
    const created = await runCli(['create', '--template=python3_flask', 'foo', '--yes'], {
      cwd,
      env: cleanEnv({ MFMODULE_VERSION: '2.1.4-1.mfserv' }),
    });
    expect(created.code, created.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'foo', '.plugin_format_version'), 'utf8')).toBe('2.1.4\n');
  });

  it('puts the answers in [general] private keys that mfplugin reads back', async () => {
    const cwd = temp.fresh();
    const sets = [
      'version=1.2.3',
      'release=4',
      'summary=Sum: it all',
      'license=MIT',
      'url=http://x/y',
      'maintainer=Jane <j@x>',
      'vendor=ACME',
    ];
    const created = await runCli(
      ['create', '--metwork', '2', '--template=python3_noweb', 'bar', '--yes', ...sets.flatMap((s) => ['--set', s])],
      { cwd },
    );
    expect(created.code, created.stderr).toBe(0);
    const general = (await readConfig(join(cwd, 'bar'))).general;
    expect(general).toMatchObject({
      _version: '1.2.3',
      _release: '4',
      _summary: 'Sum: it all',
      _license: 'MIT',
      _url: 'http://x/y',
      _maintainer: 'Jane <j@x>',
      _vendor: 'ACME',
    });
    expect(await mfplugin(['check', join(cwd, 'bar')])).toMatchObject({ code: 0, stdout: 'ok: bar 1.2.3-4\n' });
  });

  it('refuses a version mfplugin would refuse, before writing anything', async () => {
    const cwd = temp.fresh();
    const created = await runCli(
      ['create', '--metwork', '2', '--template=static', 'baz', '--yes', '--set', 'version=1.0 beta'],
      { cwd },
    );
    expect(created.code).toBe(2);
    expect(created.stderr).toMatch(
      /^bootstrap-plugin: error: --set version="1.0 beta": expected a version such as 1.2.3/,
    );
    expect(readdirSync(cwd)).toEqual([]);
  });
});
