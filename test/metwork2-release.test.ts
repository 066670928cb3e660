import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, makeTempDir, ROOT, runCli } from './helpers/cli.js';
import { mfplugin } from './helpers/metwork2-peers.js';

// `release` on a plugin of format 2 gives the archive `mfplugin.sh build` gives of the same
// directory: MetWork reads it (`mfplugin.sh read`) with the same name, metadata and file list,
// build host and date aside. A plugin mfplugin refuses to build is refused too.

const temp = makeTempDir('bp-metwork2-release-');
afterAll(temp.cleanup);
const MFPLUGIN_TESTS = join(ROOT, 'test', 'fixtures', 'mfplugin');

/** What `mfplugin.sh read` says of an archive, build host and date left out, files sorted. */
async function read(archive: string, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const result = await mfplugin(['read', archive], env);
  expect(result.code, result.stderr).toBe(0);
  const { build_host: _host, build_date: _date, files, ...rest } = JSON.parse(result.stdout) as Record<string, unknown>;
  return { ...rest, files: [...(files as string[])].sort() };
}

async function releaseBoth(dir: string, cwd: string, env: NodeJS.ProcessEnv) {
  const ours = join(cwd, 'ours');
  const theirs = join(cwd, 'theirs');
  mkdirSync(theirs);
  const released = await runCli(['release', dir, '--output-dir', ours], { cwd, env });
  const built = await mfplugin(['build', join(cwd, dir), theirs], env);
  return { released, built, ours, theirs };
}

const cases: Array<[string, string, string]> = [
  ['our python3_flask plugin', 'python3_flask', 'mfserv'],
  ['our node plugin', 'node', 'mfserv'],
  ['our static plugin', 'static', 'mfserv'],
  ["mfplugin's plugin1 (a .releaseignore of its own)", 'plugin1', 'generic'],
  ["mfplugin's plugin2", 'plugin2', 'generic'],
];

describe.each(cases)('release of %s', (_, source, module) => {
  it('gives the archive mfplugin.sh build gives: same file name, metadata and files', async () => {
    const cwd = temp.fresh();
    const env = cleanEnv({ MFMODULE: module.toUpperCase(), MFMODULE_RUNTIME_HOME: join(cwd, 'runtime') });
    if (module === 'mfserv') {
      const created = await runCli(['create', '--metwork', '2', `--template=${source}`, 'plug', '--yes'], { cwd });
      expect(created.code, created.stderr).toBe(0);
    } else cpSync(join(MFPLUGIN_TESTS, source), join(cwd, 'plug'), { recursive: true });
    const { released, built, ours } = await releaseBoth('plug', cwd, env);
    expect(released.code, released.stderr).toBe(0);
    expect(built.code, built.stderr).toBe(0);
    const ourArchive = readdirSync(ours).filter((f) => f.endsWith('.plugin'));
    expect(ourArchive).toEqual([basename(built.stdout.trim())]);
    expect(await read(join(ours, ourArchive[0]), env)).toEqual(await read(built.stdout.trim(), env));
  });
});

describe('release of a plugin mfplugin refuses to build', () => {
  it("refuses mfplugin's badplugin4 (no _license), naming the file and line (exit 2)", async () => {
    const cwd = temp.fresh();
    cpSync(join(MFPLUGIN_TESTS, 'badplugin4'), join(cwd, 'plug'), { recursive: true });
    const env = cleanEnv({ MFMODULE: 'GENERIC', MFMODULE_RUNTIME_HOME: join(cwd, 'runtime') });
    const { released, built, ours } = await releaseBoth('plug', cwd, env);
    expect(built.code).toBe(3);
    expect(released.code).toBe(2);
    expect(released.stderr).toMatch(/^bootstrap-plugin: error: plug\/config\.ini:1: \[general\] _license is required/);
    expect(() => readdirSync(ours)).toThrow();
  });
});
