import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, makeTempDir, runCli } from './helpers/cli.js';
import { startCli, tempsUnder, waitForTemp } from './helpers/temps.js';
import { mfplugin, PEERS } from './helpers/original.js';

// `release` against MetWork's own plugin builder and reader (mfplugin, ../shared/peers/metwork2):
// the same archive members, file list and metadata, and MetWork reads ours.

const run = promisify(execFile);
const temp = makeTempDir('bp-release-');
afterAll(temp.cleanup);

const HOST = 'build-host.example';
const env = (extra: Record<string, string> = {}) => cleanEnv({ MFHOSTNAME_FULL: HOST, ...extra });

/** Members of a .plugin archive as Python's tarfile (MetWork's reader) sees them: name and type. */
function members(file: string): string[] {
  const code =
    'import sys, tarfile\nfor m in tarfile.open(sys.argv[1]).getmembers(): print(m.name.rstrip("/"), "dir" ' +
    'if m.isdir() else "link->" + m.linkname if m.issym() else "file")';
  return execFileSync('python3', ['-c', code, file], { encoding: 'utf8' }).trim().split('\n').sort();
}

function extract(file: string, name: string): unknown {
  const code = 'import sys, tarfile\nprint(tarfile.open(sys.argv[1]).extractfile(sys.argv[2]).read().decode())';
  return JSON.parse(execFileSync('python3', ['-c', code, file, `metwork_plugin/${name}`], { encoding: 'utf8' }));
}

async function releaseWithUs(dir: string, outputDir: string, extra: Record<string, string> = {}): Promise<string> {
  const cli = await runCli(['release', dir, '--output-dir', outputDir], { cwd: temp.dir, env: env(extra) });
  expect(cli.stderr).toBe('');
  expect(cli.code).toBe(0);
  return cli.stdout.trim();
}

describe('release against MetWork 2 mfplugin build and read, on a plugin made by MetWork bootstrap_plugin.py', () => {
  let plugin: string;
  let theirs: string;
  let ours: string;

  beforeAll(async () => {
    // A python3_flask plugin from MetWork's current tool (run-original2.sh), plus what a working
    // directory collects: caches its .releaseignore drops, an empty folder, a symbolic link, a
    // deep path longer than tar's 100-character name field, a non-ASCII name, an executable.
    const { stderr } = await run(join(PEERS, 'run-original2.sh'), ['create', '--template=python3_flask', 'shop'], {
      env: { ...process.env, KEEP: '1', TMPDIR: temp.dir },
      timeout: 120_000,
    });
    plugin = join(/^output dir: (.*)$/m.exec(stderr)![1], 'shop');
    execFileSync('chmod', ['-R', 'u+w', plugin]);
    writeFileSync(join(plugin, 'main', 'cached.pyc'), 'x');
    mkdirSync(join(plugin, 'main', '__pycache__'));
    writeFileSync(join(plugin, 'main', '__pycache__', 'wsgi.cpython-311.pyc'), 'y');
    mkdirSync(join(plugin, 'data', 'empty'), { recursive: true });
    symlinkSync('../config.ini', join(plugin, 'data', 'config-link.ini'));
    const deep = join(plugin, 'data', 'a-rather-long-directory-name-for-testing', 'and-another-one-below-it-as-well');
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'with-a-long-file-name-that-makes-the-path-pass-one-hundred-characters.txt'), 'deep\n');
    writeFileSync(join(plugin, 'data', 'résumé-日本.txt'), 'unicode\n');
    writeFileSync(join(plugin, 'bin-tool.sh'), '#!/bin/sh\n');
    chmodSync(join(plugin, 'bin-tool.sh'), 0o755);
    const theirOut = temp.fresh();
    theirs = (await mfplugin(['build', plugin, theirOut], { MFHOSTNAME_FULL: HOST })).trim();
    ours = await releaseWithUs(plugin, temp.fresh());
  }, 180_000);

  it('names the archive as MetWork does: NAME-VERSION-RELEASE.metwork.MODULE.plugin', () => {
    expect(ours.split('/').pop()).toBe(theirs.split('/').pop());
    expect(ours.endsWith('/shop-0.0.1-1.metwork.mfserv.plugin')).toBe(true);
  });

  it('holds the same members (files, directories, links) under metwork_plugin/, .releaseignore applied', () => {
    expect(members(ours)).toEqual(members(theirs));
    expect(members(ours)).toContain('metwork_plugin/data/empty dir');
    expect(members(ours)).toContain('metwork_plugin/data/config-link.ini link->../config.ini');
    expect(members(ours).some((m) => m.includes('.pyc') || m.includes('__pycache__'))).toBe(false);
  });

  it('.files.json lists the same files, and .metadata.json has the same keys in the same order and values', () => {
    expect((extract(ours, '.files.json') as string[]).sort()).toEqual(
      (extract(theirs, '.files.json') as string[]).sort(),
    );
    const mine = extract(ours, '.metadata.json') as Record<string, string>;
    const theirMetadata = extract(theirs, '.metadata.json') as Record<string, string>;
    expect(Object.keys(mine)).toEqual(Object.keys(theirMetadata));
    expect({ ...mine, build_date: 'any' }).toEqual({ ...theirMetadata, build_date: 'any' });
    expect(mine.build_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("MetWork's reader reads our archive as it reads its own", async () => {
    // MetWork lists files in directory order, we in path order (docs/decisions.md): compared sorted.
    const read = async (file: string): Promise<Record<string, unknown>> => {
      const data = JSON.parse(await mfplugin(['read', file])) as Record<string, unknown> & { files: string[] };
      return { ...data, files: data.files.sort(), build_date: 'any' };
    };
    const mine = await read(ours);
    expect(mine).toEqual(await read(theirs));
    expect(mine.name).toBe('shop');
  });

  it('keeps file modes and contents byte for byte', () => {
    const out = temp.fresh();
    execFileSync('tar', ['xzf', ours, '-C', out]);
    expect(readFileSync(join(out, 'metwork_plugin', 'data', 'résumé-日本.txt'), 'utf8')).toBe('unicode\n');
    expect(readFileSync(join(out, 'metwork_plugin', 'config.ini'))).toEqual(readFileSync(join(plugin, 'config.ini')));
    const listing = execFileSync('tar', ['tvzf', ours], { encoding: 'utf8' });
    expect(listing).toMatch(/^-rwxr-xr-x .* metwork_plugin\/bin-tool\.sh$/m);
  });
});

describe('release of a MetWork 0.9 plugin made by create', () => {
  it('builds NAME-VERSION-RELEASE.metwork.MODULE.plugin in the plugin directory, read back by MetWork', async () => {
    const cwd = temp.fresh();
    expect(
      (
        await runCli(['create', '--template=flask', 'shop', '--yes', '--set', 'version=1.2.3', '--set', 'release=4'], {
          cwd,
        })
      ).code,
    ).toBe(0);
    const cli = await runCli(['release'], { cwd: join(cwd, 'shop'), env: env() });
    expect(cli.stderr).toBe('');
    const file = join(cwd, 'shop', 'shop-1.2.3-4.metwork.mfserv.plugin');
    expect(cli.stdout).toBe(`${file}\n`);
    const read = JSON.parse(await mfplugin(['read', file])) as Record<string, unknown>;
    expect(read).toMatchObject({
      name: 'shop',
      version: '1.2.3',
      release: '4',
      build_host: HOST,
      summary: 'one line summary',
      license: 'Proprietary',
    });
    // The template's .releaseignore leaves out the tool's own state file; a second release does not hold the first.
    const files = read.files as string[];
    expect(files).toContain('metwork_plugin/config.ini');
    expect(files).not.toContain('metwork_plugin/.bootstrap-plugin.json');
    await runCli(['release'], { cwd: join(cwd, 'shop'), env: env() });
    expect(
      (JSON.parse(await mfplugin(['read', file])) as { files: string[] }).files.some((f) => f.endsWith('.plugin')),
    ).toBe(false);
  });

  it('takes {{MFMODULE_VERSION}} from the environment, as MetWork does, and says so when it is not set', async () => {
    const cwd = temp.fresh();
    expect(
      (await runCli(['create', '--template=static', 'site', '--yes', '--set', 'version={{MFMODULE_VERSION}}'], { cwd }))
        .code,
    ).toBe(0);
    const unset = await runCli(['release', 'site'], { cwd, env: env() });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(
      new RegExp(
        String.raw`^bootstrap-plugin: error: site/config.ini:\d+: \[general\] version uses \{\{MFMODULE_VERSION\}\}, ` +
          String.raw`which is not set in the environment: set MFMODULE_VERSION or write the value\n$`,
      ),
    );
    expect(readdirSync(join(cwd, 'site')).filter((f) => f.endsWith('.plugin'))).toEqual([]);
    const set = await runCli(['release', 'site'], { cwd, env: env({ MFMODULE_VERSION: '0.9.15' }) });
    expect(set.stdout).toBe(`${join(cwd, 'site', 'site-0.9.15-1.metwork.mfserv.plugin')}\n`);
  });

  it('refuses a directory that is not a plugin and a version that cannot name a file (exit 2, no file)', async () => {
    const cwd = temp.fresh();
    const none = await runCli(['release', '.'], { cwd, env: env() });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('.layerapi2_label: not a plugin directory');
    await runCli(['create', '--template=static', 'site', '--yes'], { cwd });
    const config = join(cwd, 'site', 'config.ini');
    writeFileSync(config, readFileSync(config, 'utf8').replace('version = 0.0.1', 'version = ../../etc'));
    const bad = await runCli(['release', 'site'], { cwd, env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/site\/config.ini:\d+: \[general\] version = "..\/..\/etc" cannot name the archive/);
    expect(readdirSync(join(cwd, 'site')).filter((f) => f.endsWith('.plugin'))).toEqual([]);
  });
});

describe('release leaves nothing half-written', () => {
  it('SIGTERM while the archive is written: exit 130, neither the archive nor its temporary file remain', async () => {
    const cwd = temp.fresh();
    await runCli(['create', '--template=static', 'site', '--yes'], { cwd });
    // 2 GiB of (sparse) zeros: seconds of gzip, time enough to be interrupted mid-way.
    execFileSync('truncate', ['-s', '2G', join(cwd, 'site', 'big.bin')]);
    const out = join(cwd, 'out');
    const { child, exited } = startCli(cwd, ['release', 'site', '--output-dir', out], env());
    expect(await waitForTemp(child, cwd)).toBe(true);
    expect(tempsUnder(cwd)).toEqual([
      expect.stringMatching(/^out\/\.site-0\.0\.1-1\.metwork\.mfserv\.plugin\.bootstrap-plugin-/),
    ]);
    child.kill('SIGTERM');
    const { code, stderr } = await exited;
    expect(code).toBe(130);
    expect(stderr).toBe('bootstrap-plugin: error: interrupted, no archive was written\n');
    expect(readdirSync(out)).toEqual([]);
  }, 60_000);

  it('an output directory below a file: exit 2, one line', async () => {
    const cwd = temp.fresh();
    await runCli(['create', '--template=static', 'site', '--yes'], { cwd });
    writeFileSync(join(cwd, 'afile'), '');
    const cli = await runCli(['release', 'site', '--output-dir', 'afile/sub'], { cwd, env: env() });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toBe(
      `bootstrap-plugin: error: cannot create the output directory ${join(cwd, 'afile', 'sub')}: it or one ` +
        `of its parents is a file\n`,
    );
  });
});

describe('create --make, --install, --delete (MetWork bootstrap_plugin.py options)', () => {
  const fakeInstaller = (dir: string, code: number) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'plugins.install'),
      `#!/bin/sh\necho "plugins.install got $1"\necho "installer said no" >&2\nexit ${code}\n`,
    );
    chmodSync(join(dir, 'plugins.install'), 0o755);
    return dir;
  };

  it('--make builds the archive in the new plugin directory', async () => {
    const cwd = temp.fresh();
    const cli = await runCli(['create', '--template=flask', 'shop', '--yes', '--make'], { cwd, env: env() });
    expect(cli.code, cli.stderr).toBe(0);
    const file = join(cwd, 'shop', 'shop-0.0.1-1.metwork.mfserv.plugin');
    expect(cli.stdout).toContain(`Plugin archive built: ${file}\n`);
    expect(members(file)).toContain('metwork_plugin/main/wsgi.py file');
  });

  it('--install or --delete without --make, --make with --dry-run: usage errors, nothing created', async () => {
    const cwd = temp.fresh();
    for (const flags of [['--install'], ['--delete'], ['--make', '--dry-run'], ['--make', '--delete', '--force']]) {
      const cli = await runCli(['create', 'shop', '--yes', ...flags], { cwd, env: env() });
      expect(cli.code, flags.join(' ')).toBe(2);
      expect(cli.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('--install runs plugins.install FILE from PATH; with --delete only the archive is left, beside', async () => {
    const cwd = temp.fresh();
    const bin = fakeInstaller(join(temp.fresh(), 'bin'), 0);
    const cli = await runCli(['create', 'shop', '--yes', '--make', '--install', '--delete'], {
      cwd,
      env: env({ PATH: `${bin}:${process.env.PATH}` }),
    });
    expect(cli.code, cli.stderr).toBe(0);
    const inside = join(cwd, 'shop', 'shop-0.0.1-1.metwork.mfserv.plugin');
    expect(cli.stdout).toContain(`plugins.install got ${inside}\n`);
    expect(readdirSync(cwd)).toEqual(['shop-0.0.1-1.metwork.mfserv.plugin']);
  });

  it('--install without plugins.install on PATH, or failing: one line, exit 1, plugin and archive kept', async () => {
    const cwd = temp.fresh();
    const missing = await runCli(['create', 'shop', '--yes', '--make', '--install', '--delete'], {
      cwd,
      env: env({ PATH: '/usr/bin:/bin' }),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `bootstrap-plugin: error: --install: plugins.install is not on PATH (load MetWork's environment ` +
        `first); the plugin is kept in ${join(cwd, 'shop')}, its archive is ` +
        `${join(cwd, 'shop', 'shop-0.0.1-1.metwork.mfserv.plugin')}\n`,
    );
    expect(readdirSync(join(cwd, 'shop'))).toContain('shop-0.0.1-1.metwork.mfserv.plugin');
    const bin = fakeInstaller(join(temp.fresh(), 'bin'), 3);
    const failing = await runCli(['create', 'other', '--yes', '--make', '--install', '--delete'], {
      cwd,
      env: env({ PATH: `${bin}:${process.env.PATH}` }),
    });
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(
      /^bootstrap-plugin: error: plugins.install \S+ failed \(exit 3\): installer said no; the plugin is kept in /,
    );
    expect(readdirSync(join(cwd, 'other'))).toContain('other-0.0.1-1.metwork.mfserv.plugin');
  });
});
