import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, CLI_PACKAGE, makeTempDir, ROOT, runCli, type CliRun } from './helpers/cli.js';
import { PYTHON, start, stop, waitForPage, freePort } from './helpers/server-process.js';
import { writeTemplate } from './helpers/template-fixture.js';
import { mfplugin } from './helpers/metwork2-peers.js';
import { inTerminal } from './helpers/terminal.js';
import { startCli, tempsUnder, waitForTemp } from './helpers/temps.js';
import { fileStamps } from './helpers/expected-tree.js';

/**
 * Issue 17, points 6-7: `update` merges three ways against the base `create` recorded, for a
 * user template edited in place and for a built-in template after the tool itself changed.
 */

const temp = makeTempDir('bp-update-');
afterAll(() => temp.cleanup());

const read = (path: string) => readFileSync(path, 'utf8');
const chunkOf = (fill: string) => fill.repeat(16 * 1024);
const lines = (...items: string[]) => items.map((item) => `${item}\n`).join('');

/**
 * The templates these tests write live under `cwd/templates`, `t` or `elsewhere`, declared as the user's own: a
 * plugin's state file is trusted to name a template by path only inside those directories.
 */
async function cli(args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<CliRun> {
  return runCli(args, { cwd, env: env ?? usersTemplates(cwd) });
}

function usersTemplates(cwd: string): NodeJS.ProcessEnv {
  const dirs = ['templates', 't', 'elsewhere'].map((dir) => join(cwd, dir)).filter((dir) => existsSync(dir));
  return cleanEnv({ BOOTSTRAP_PLUGIN_TEMPLATES: dirs.join(':') });
}

describe('a user template from v1 to v2 to v3, edited on both sides', () => {
  const cwd = temp.fresh();
  const plugin = join(cwd, 'demo');
  const templateRoot = join(cwd, 'templates');
  const manifest = (fields: object[]) => ({
    fields: [{ name: 'greeting', message: 'Greeting', type: 'string', default: 'hello' }, ...fields],
  });
  const appV1 = lines(
    '# app',
    'greeting = "<%= greeting %>"',
    'port = 8080',
    'workers = 2',
    'timeout = 30',
    'debug = 0',
  );

  it("v1: create records the template's files; update right away has nothing to do", async () => {
    writeTemplate(templateRoot, 'mine', manifest([]), {
      'app.conf.ejs': appV1,
      'README.md': lines('# Demo', 'Read me.'),
      'old.txt': lines('dropped in v2, untouched'),
      'legacy.txt': lines('dropped in v2, edited by the user'),
      'logo.bin': Buffer.from([0, 1, 2, 3, 255]),
    });
    expect((await cli(['create', '--template', join(templateRoot, 'mine'), 'demo', '--yes'], cwd)).code).toBe(0);
    const base = JSON.parse(readFileSync(join(plugin, '.bootstrap-plugin.base.json'), 'utf8'));
    expect(base.files.map((f: { path: string }) => f.path)).toEqual([
      'README.md',
      'app.conf',
      'legacy.txt',
      'logo.bin',
      'old.txt',
    ]);
    const before = fileStamps(plugin);
    const run = await cli(['update', 'demo'], cwd);
    expect(run).toMatchObject({ code: 0, stderr: '', stdout: 'Plugin demo is up to date with template mine\n' });
    expect(fileStamps(plugin)).toEqual(before);
  });

  it('v2: a dry run prints the plan and writes nothing', async () => {
    // The user edits the plugin...
    writeFileSync(join(plugin, 'app.conf'), read(join(plugin, 'app.conf')).replace('debug = 0', 'debug = 1'));
    writeFileSync(join(plugin, 'legacy.txt'), 'mine now\n');
    writeFileSync(join(plugin, 'notes.txt'), "the user's own file\n");
    // ...and the template moves, edited in place: a new field, a changed line far from the
    // user's, a file changed, one added, two dropped.
    writeTemplate(
      templateRoot,
      'mine',
      manifest([{ name: 'color', message: 'Color', type: 'choice', choices: ['red', 'blue'], default: 'red' }]),
      {
        'app.conf.ejs': appV1.replace('port = 8080', 'port = 9090'),
        'README.md': lines('# Demo', 'Read me, v2.'),
        'color.txt.ejs': lines('<%= color %>'),
        'logo.bin': Buffer.from([0, 1, 2, 3, 255]),
      },
    );
    rmSync(join(templateRoot, 'mine', 'files', 'old.txt'));
    rmSync(join(templateRoot, 'mine', 'files', 'legacy.txt'));
    const before = fileStamps(plugin);
    const run = await cli(['update', 'demo', '--dry-run', '--yes'], cwd);
    expect(run.stdout).toBe(
      [
        '  updated  README.md',
        '  merged   app.conf',
        '  added    color.txt',
        '  kept     legacy.txt (the template dropped it, but you changed it)',
        '  removed  old.txt',
        'Dry run: updating demo from template mine would give 1 added, 1 updated, 1 merged, 1 removed, 1 ' +
          'kept; nothing was written',
        'New fields: color=red',
        '',
      ].join('\n'),
    );
    expect(run.code).toBe(0);
    expect(fileStamps(plugin)).toEqual(before);
  });

  it("v2: merges cleanly, keeps the user's edits and files, asks only the new field", async () => {
    const notes = fileStamps(plugin)['notes.txt'];
    const run = await cli(['update', 'demo', '--set', 'color=blue'], cwd);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        String.raw`^Plugin demo updated from template mine: 1 added, 1 updated, 1 merged, 1 removed, 1 kept\n` +
          String.raw`New fields: color=blue\n$`,
        'm',
      ),
    );
    expect(read(join(plugin, 'app.conf'))).toBe(
      lines('# app', 'greeting = "hello"', 'port = 9090', 'workers = 2', 'timeout = 30', 'debug = 1'),
    );
    expect(read(join(plugin, 'README.md'))).toBe(lines('# Demo', 'Read me, v2.'));
    expect(read(join(plugin, 'color.txt'))).toBe('blue\n');
    expect(read(join(plugin, 'legacy.txt'))).toBe('mine now\n');
    expect(existsSync(join(plugin, 'old.txt'))).toBe(false);
    expect(fileStamps(plugin)['notes.txt']).toBe(notes);
    const state = JSON.parse(read(join(plugin, '.bootstrap-plugin.json')));
    expect(state.answers).toEqual({ greeting: 'hello', color: 'blue' });
    expect(tempsUnder(plugin)).toEqual([]);
  });

  it('v3: overlapping changes get conflict markers, the files are listed, exit 1; the dry run said so', async () => {
    writeFileSync(join(plugin, 'app.conf'), read(join(plugin, 'app.conf')).replace('workers = 2', 'workers = 8'));
    writeFileSync(join(plugin, 'README.md'), `${read(join(plugin, 'README.md'))}My notes.\n`);
    writeFileSync(join(plugin, 'logo.bin'), Buffer.from([0, 9, 9]));
    writeTemplate(
      templateRoot,
      'mine',
      manifest([{ name: 'color', message: 'Color', type: 'choice', choices: ['red', 'blue'], default: 'red' }]),
      {
        'app.conf.ejs': appV1.replace('port = 8080', 'port = 9090').replace('workers = 2', 'workers = 4'),
        'README.md': lines('# Demo v3', 'Read me, v2.'),
        'color.txt.ejs': lines('<%= color %>'),
        'logo.bin': Buffer.from([0, 7, 7, 7]),
      },
    );
    const before = fileStamps(plugin);
    const dry = await cli(['update', 'demo', '--dry-run'], cwd);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toBe(
      'bootstrap-plugin: error: would leave conflicts in 2 files: app.conf, logo.bin (resolve the <<<<<<< ' +
        'blocks and *.bootstrap-plugin-new files by hand)\n',
    );
    expect(fileStamps(plugin)).toEqual(before);

    const run = await cli(['update', 'demo'], cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'bootstrap-plugin: error: conflicts in 2 files: app.conf, logo.bin (resolve the <<<<<<< blocks and ' +
        '*.bootstrap-plugin-new files by hand)\n',
    );
    expect(run.stdout).toBe(
      [
        '  merged      README.md',
        '  conflicted  app.conf (1 overlapping change marked <<<<<<< yours … >>>>>>> template mine)',
        '  conflicted  logo.bin (binary, changed on both sides: yours is kept, ' +
          "the template's version is in logo.bin.bootstrap-plugin-new)",
        'Plugin demo updated from template mine: 1 merged, 2 conflicted',
        '',
      ].join('\n'),
    );
    expect(read(join(plugin, 'app.conf'))).toBe(
      lines(
        '# app',
        'greeting = "hello"',
        'port = 9090',
        '<<<<<<< yours',
        'workers = 8',
        '=======',
        'workers = 4',
        '>>>>>>> template mine',
        'timeout = 30',
        'debug = 1',
      ),
    );
    expect(read(join(plugin, 'README.md'))).toBe(lines('# Demo v3', 'Read me, v2.', 'My notes.'));
    expect(readFileSync(join(plugin, 'logo.bin'))).toEqual(Buffer.from([0, 9, 9]));
    expect(readFileSync(join(plugin, 'logo.bin.bootstrap-plugin-new'))).toEqual(Buffer.from([0, 7, 7, 7]));
  });

  it('refuses to merge again over unresolved markers; once resolved, the next update has nothing to do', async () => {
    const before = fileStamps(plugin);
    const refused = await cli(['update', 'demo'], cwd);
    expect(refused.stderr).toBe(
      `bootstrap-plugin: error: ${join('demo', 'app.conf')} still holds the conflict markers of the last ` +
        'update: resolve them first (keep what you want between <<<<<<< yours and >>>>>>> template mine, ' +
        `remove the markers)\n`,
    );
    expect(refused.code).toBe(2);
    expect(fileStamps(plugin)).toEqual(before);
    writeFileSync(
      join(plugin, 'app.conf'),
      read(join(plugin, 'app.conf')).replace(/<<<<<<< yours\n.*\n=======\n(.*\n)>>>>>>> template mine\n/, '$1'),
    );
    const run = await cli(['update', 'demo'], cwd);
    expect(run).toMatchObject({ code: 0, stdout: 'Plugin demo is up to date with template mine\n' });
    expect(read(join(plugin, 'app.conf'))).toContain('workers = 4\n');
  });
});

describe('a built-in template after the tool itself is upgraded', () => {
  /** A copy of the installed tool whose flask template moved on, and whose version is newer. */
  function upgradedTool(dir: string): string {
    for (const entry of ['bin', 'dist', 'templates', 'package.json'])
      cpSync(join(CLI_PACKAGE, entry), join(dir, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const pkg = JSON.parse(read(join(dir, 'package.json')));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, version: '9.9.9' }));
    const wsgi = join(dir, 'templates', 'flask', 'files', 'main', 'wsgi.py.ejs');
    const text = read(wsgi);
    expect(text).toMatch(/^def /m);
    writeFileSync(wsgi, text.replace(/^(def \w+\(.*\):\n)/m, '$1    """Upgraded in 9.9.9."""\n'));
    return join(dir, 'bin', 'bootstrap-plugin.cjs');
  }

  it('merges the new template into an edited plugin, and the merged app still serves its page', async () => {
    const cwd = temp.fresh();
    expect((await cli(['create', '--template=flask', 'shop', '--yes'], cwd)).code).toBe(0);
    const wsgi = join(cwd, 'shop', 'main', 'wsgi.py');
    const userRoute = '\n\n@app.route("/shop/extra")\ndef extra():\n    return "added by the user"\n';
    const original = read(wsgi);
    writeFileSync(wsgi, original.replace(/\nif __name__ ==/, `${userRoute}\n\nif __name__ ==`));
    expect(read(wsgi)).toContain('added by the user');
    const newCli = upgradedTool(temp.fresh());

    const run = spawnSync(process.execPath, [newCli, 'update', 'shop'], { cwd, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('  merged  main/wsgi.py\nPlugin shop updated from template flask: 1 merged\n');
    expect(run.status).toBe(0);
    const merged = read(wsgi);
    expect(merged).toContain('"""Upgraded in 9.9.9."""');
    expect(merged).toContain('added by the user');
    expect(JSON.parse(read(join(cwd, 'shop', '.bootstrap-plugin.json'))).toolVersion).toBe('9.9.9');

    const port = await freePort();
    const server = start(PYTHON, ['main/wsgi.py', `127.0.0.1:${port}`, '60'], { cwd: join(cwd, 'shop') });
    try {
      expect((await waitForPage(server, { port }, '/shop/extra', 20_000)).body).toBe('added by the user');
    } finally {
      await stop(server);
    }
  });

  it('leaves a django plugin alone when nothing changed: its secret key is replayed, not drawn again', async () => {
    const cwd = temp.fresh();
    expect((await cli(['create', '--template=django', 'site', '--yes'], cwd)).code).toBe(0);
    const before = fileStamps(join(cwd, 'site'));
    const run = await cli(['update', 'site'], cwd);
    expect(run).toMatchObject({ code: 0, stdout: 'Plugin site is up to date with template django\n' });
    expect(fileStamps(join(cwd, 'site'))).toEqual(before);
  });
});

describe('in a terminal', () => {
  it('asks only the field the new template adds, showing its default', async () => {
    const cwd = temp.fresh();
    const field = (name: string, message: string, extra: object = {}) => ({
      name,
      message,
      type: 'string',
      default: `${name}-default`,
      ...extra,
    });
    const template = writeTemplate(
      join(cwd, 't'),
      'asking',
      { fields: [field('first', 'First question')] },
      { 'a.txt.ejs': '<%= first %>\n' },
    );
    expect((await cli(['create', '--template', template, 'p', '--set', 'first=typed'], cwd)).code).toBe(0);
    writeTemplate(
      join(cwd, 't'),
      'asking',
      { fields: [field('first', 'First question'), field('second', 'Second question')] },
      { 'a.txt.ejs': '<%= first %> <%= second %>\n' },
    );
    const session = await inTerminal(
      cwd,
      ['update', 'p', '--templates-dir', join(cwd, 't')],
      [
        ['Second question', `now${'\r'}`],
        ['updated from template', ''],
      ],
    );
    expect(session.timeout).toBeNull();
    expect(session.code).toBe(0);
    expect(session.output).toContain('(second-default)');
    expect(session.output).not.toContain('First question');
    expect(read(join(cwd, 'p', 'a.txt'))).toBe('typed now\n');
  });
});

describe('a MetWork 2 plugin', () => {
  it('is updated from the format-2 catalogue, keeping its .plugin_format_version, whatever the shell has', async () => {
    const cwd = temp.fresh();
    expect(
      (
        await cli(
          ['create', '--template', 'python3_flask', 'm2', '--yes'],
          cwd,
          cleanEnv({ MFMODULE_VERSION: '2.4.0' }),
        )
      ).code,
    ).toBe(0);
    expect(read(join(cwd, 'm2', '.plugin_format_version'))).toBe('2.4.0\n');
    const before = fileStamps(join(cwd, 'm2'));
    for (const env of [cleanEnv(), cleanEnv({ MFMODULE_VERSION: '2.5.1' })]) {
      const run = await cli(['update', 'm2'], cwd, env);
      expect(run).toMatchObject({ code: 0, stdout: 'Plugin m2 is up to date with template python3_flask\n' });
    }
    expect(fileStamps(join(cwd, 'm2'))).toEqual(before);
  });

  it("keeps its base out of the .plugin archive MetWork's own mfplugin builds, by .releaseignore", async () => {
    const cwd = temp.fresh();
    expect((await cli(['create', '--metwork', '2', '--template', 'python3_flask', 'm2', '--yes'], cwd)).code).toBe(0);
    expect(existsSync(join(cwd, 'm2', '.bootstrap-plugin.base.json'))).toBe(true);
    mkdirSync(join(cwd, 'out'));
    const built = await mfplugin(['build', join(cwd, 'm2'), join(cwd, 'out')]);
    expect(built.code).toBe(0);
    const [archive] = readdirSync(join(cwd, 'out'));
    const listing = spawnSync('tar', ['tzf', join(cwd, 'out', archive)], { encoding: 'utf8' }).stdout.split('\n');
    expect(listing).toContain('metwork_plugin/config.ini');
    expect(listing.filter((entry) => entry.includes('.bootstrap-plugin'))).toEqual([]);
  });
});

describe('what update never does', () => {
  const simple = (root: string, files: Record<string, string>) => writeTemplate(root, 'simple', { fields: [] }, files);

  async function created(files: Record<string, string>): Promise<{ cwd: string; plugin: string; template: string }> {
    const cwd = temp.fresh();
    const template = simple(join(cwd, 't'), files);
    expect((await cli(['create', '--template', template, 'p', '--yes'], cwd)).code).toBe(0);
    return { cwd, plugin: join(cwd, 'p'), template };
  }

  it('never writes through a symbolic link the user put where a template file was', async () => {
    const { cwd, plugin, template } = await created({ 'conf.txt': 'v1\n' });
    writeFileSync(join(cwd, 'elsewhere.txt'), "not the plugin's\n");
    unlinkSync(join(plugin, 'conf.txt'));
    symlinkSync(join(cwd, 'elsewhere.txt'), join(plugin, 'conf.txt'));
    writeFileSync(join(template, 'files', 'conf.txt'), 'v2\n');
    const run = await cli(['update', 'p'], cwd);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "conflicted  conf.txt (conf.txt is a symbolic link; left alone, the template's version was not written)",
    );
    expect(read(join(cwd, 'elsewhere.txt'))).toBe("not the plugin's\n");
    expect(lstatSync(join(plugin, 'conf.txt')).isSymbolicLink()).toBe(true);
  });

  it("keeps a file the user deleted deleted, and puts the template's change beside it", async () => {
    const { cwd, plugin, template } = await created({ 'sub/gone.txt': 'v1\n', 'same.txt': 'same\n' });
    rmSync(join(plugin, 'sub'), { recursive: true });
    rmSync(join(plugin, 'same.txt'));
    writeFileSync(join(template, 'files', 'sub', 'gone.txt'), 'v2\n');
    const run = await cli(['update', 'p'], cwd);
    expect(run.code).toBe(1);
    expect(existsSync(join(plugin, 'sub', 'gone.txt'))).toBe(false);
    expect(existsSync(join(plugin, 'same.txt'))).toBe(false);
    expect(read(join(plugin, 'sub', 'gone.txt.bootstrap-plugin-new'))).toBe('v2\n');
  });

  it("merges against an earlier version's gzip'd base, then replaces it with the plain one", async () => {
    const { cwd, plugin, template } = await created({ 'conf.txt': 'one\ntwo\nthree\nfour\n' });
    const base = join(plugin, '.bootstrap-plugin.base.json');
    const recorded = readFileSync(base);
    writeFileSync(join(plugin, '.bootstrap-plugin.base.gz'), gzipSync(recorded));
    rmSync(base);
    writeFileSync(join(plugin, 'conf.txt'), 'one (mine)\ntwo\nthree\nfour\n');
    writeFileSync(join(template, 'files', 'conf.txt'), 'one\ntwo\nthree\nfour (v2)\n');
    const run = await cli(['update', 'p'], cwd);
    expect(run.code).toBe(0);
    expect(read(join(plugin, 'conf.txt'))).toBe('one (mine)\ntwo\nthree\nfour (v2)\n');
    expect(existsSync(join(plugin, '.bootstrap-plugin.base.gz'))).toBe(false);
    const text = 'one\ntwo\nthree\nfour (v2)\n';
    expect(JSON.parse(read(base)).files).toEqual([{ path: 'conf.txt', mode: 0o644, text }]);
  });

  it('refuses a base record naming a path outside the plugin, removing nothing', async () => {
    const { cwd, plugin } = await created({ 'a.txt': 'a\n' });
    writeFileSync(join(cwd, 'victim.txt'), 'a\n');
    const hostile = { format: 1, secrets: [], files: [{ path: '../victim.txt', mode: 0o644, text: 'a\n' }] };
    writeFileSync(join(plugin, '.bootstrap-plugin.base.json'), JSON.stringify(hostile));
    const run = await cli(['update', 'p'], cwd);
    expect(run.stderr).toBe(
      `bootstrap-plugin: error: ${join('p', '.bootstrap-plugin.base.json')}: damaged: "../victim.txt" is not a ` +
        `path inside the plugin (restore it from version control)\n`,
    );
    expect(run.code).toBe(2);
    expect(read(join(cwd, 'victim.txt'))).toBe('a\n');
  });

  it('says what is missing when the plugin has no base record', async () => {
    const { cwd, plugin } = await created({ 'a.txt': 'a\n' });
    rmSync(join(plugin, '.bootstrap-plugin.base.json'));
    const run = await cli(['update', 'p'], cwd);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        String.raw`^bootstrap-plugin: error: p/\.bootstrap-plugin\.base\.json is missing: ` +
          String.raw`it holds what the plugin was generated from.*\n$`,
      ),
    );
  });

  it('leaves the plugin as it was when the disk fills up while staging', async () => {
    const { cwd, template } = await created({ 'a.txt': 'a\n' });
    const disk = join(cwd, 'disk');
    mkdirSync(disk);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk], { encoding: 'utf8' });
    if (mounted.status !== 0)
      throw new Error(`cannot mount a tmpfs on ${disk}: ${mounted.stderr} (this test needs root, as CI has)`);
    try {
      expect((await cli(['create', '--template', template, 'p', '--yes', '--dir', disk], cwd)).code).toBe(0);
      writeFileSync(join(template, 'files', 'a.txt'), 'a, changed\n');
      writeFileSync(join(template, 'files', 'big.bin'), Buffer.alloc(400 * 1024, 1));
      const before = fileStamps(join(disk, 'p'));
      const run = await cli(['update', join(disk, 'p')], cwd);
      expect(run.stderr).toMatch(
        /^bootstrap-plugin: error: cannot update .*: the disk is full; the plugin was left as it was\n$/,
      );
      expect(run.code).toBe(1);
      expect(fileStamps(join(disk, 'p'))).toEqual(before);
    } finally {
      spawnSync('umount', [disk]);
    }
  });

  /** A plugin of 400 files of 16 KiB, and its template changed in every file: an update long enough to signal. */
  async function bigUpdate(): Promise<{ cwd: string; plugin: string; args: string[] }> {
    const cwd = temp.fresh();
    const files = (fill: string) =>
      Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`d${i % 10}/f${i}.txt`, chunkOf(fill)]));
    const template = writeTemplate(join(cwd, 't'), 'big', { fields: [] }, files('a'));
    expect((await cli(['create', '--template', template, 'p', '--yes'], cwd)).code).toBe(0);
    writeTemplate(join(cwd, 't'), 'big', { fields: [] }, files('b'));
    return { cwd, plugin: join(cwd, 'p'), args: ['update', 'p', '--templates-dir', join(cwd, 't')] };
  }

  it('leaves the plugin as it was when SIGTERM arrives while the update is written (exit 130)', async () => {
    const { cwd, plugin, args } = await bigUpdate();
    const before = fileStamps(plugin);
    const { child, exited } = startCli(cwd, args);
    expect(await waitForTemp(child, plugin)).toBe(true);
    child.kill('SIGTERM');
    const { code, stderr } = await exited;
    expect(code).toBe(130);
    expect(stderr).toBe('bootstrap-plugin: error: interrupted, the plugin was left as it was\n');
    expect(fileStamps(plugin)).toEqual(before);
  });

  it('after a SIGKILL mid-update, every file is whole; the next update removes and names the leftovers', async () => {
    const { cwd, plugin, args } = await bigUpdate();
    const { child, exited } = startCli(cwd, args);
    expect(await waitForTemp(child, plugin)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    const leftovers = tempsUnder(plugin);
    expect(leftovers.length).toBeGreaterThan(0);
    for (let i = 0; i < 400; i++)
      expect([chunkOf('a'), chunkOf('b')]).toContain(read(join(plugin, `d${i % 10}`, `f${i}.txt`)));
    const next = await cli(args, cwd);
    expect(next.code).toBe(0);
    const named = next.stderr.trimEnd().split('\n');
    expect(named.sort()).toEqual(
      leftovers
        .map((path) => `bootstrap-plugin: note: removed ${join(plugin, path)}, left by an interrupted run`)
        .sort(),
    );
    expect(tempsUnder(plugin)).toEqual([]);
    for (let i = 0; i < 400; i++) expect(read(join(plugin, `d${i % 10}`, `f${i}.txt`))).toBe(chunkOf('b'));
  });

  it('merges with the template --template names instead of the recorded one, recording it for the next', async () => {
    const { cwd, plugin } = await created({ 'a.txt': lines('one', 'two', 'three', 'four') });
    writeFileSync(join(plugin, 'a.txt'), lines('one', 'two', 'three', 'four, mine'));
    const other = writeTemplate(
      join(cwd, 'elsewhere'),
      'fork',
      { fields: [] },
      { 'a.txt': lines('ONE', 'two', 'three', 'four'), 'b.txt': 'forked\n' },
    );
    const run = await cli(['update', 'p', '--template', other], cwd);
    expect(run.stdout).toBe(
      '  merged  a.txt\n  added   b.txt\nPlugin p updated from template fork: 1 added, 1 merged\n',
    );
    expect(run.code).toBe(0);
    expect(read(join(plugin, 'a.txt'))).toBe(lines('ONE', 'two', 'three', 'four, mine'));
    expect(JSON.parse(read(join(plugin, '.bootstrap-plugin.json'))).template).toBe(other);
    expect((await cli(['update', 'p'], cwd)).stdout).toBe('Plugin p is up to date with template fork\n');
  });

  it('keeps modes: an executable the template ships stays executable after a merge', async () => {
    const cwd = temp.fresh();
    const script = (one: string, two: string, ...more: string[]) =>
      lines('#!/bin/sh', one, two, 'echo three', 'echo four', ...more);
    const template = writeTemplate(
      join(cwd, 't'),
      'simple',
      { fields: [] },
      { 'run.sh': { content: script('echo one', 'echo two'), mode: 0o755 } },
    );
    expect((await cli(['create', '--template', template, 'p', '--yes'], cwd)).code).toBe(0);
    writeFileSync(join(cwd, 'p', 'run.sh'), script('echo one', 'echo two', 'echo mine'));
    writeFileSync(join(template, 'files', 'run.sh'), script('echo ONE', 'echo two'));
    expect((await cli(['update', 'p'], cwd)).code).toBe(0);
    expect(read(join(cwd, 'p', 'run.sh'))).toBe(script('echo ONE', 'echo two', 'echo mine'));
    expect(statSync(join(cwd, 'p', 'run.sh')).mode & 0o777).toBe(0o755);
    // A mode the user chose stays, whatever the template changes.
    chmodSync(join(cwd, 'p', 'run.sh'), 0o700);
    writeFileSync(join(template, 'files', 'run.sh'), script('echo ONE', 'echo TWO'));
    expect((await cli(['update', 'p'], cwd)).code).toBe(0);
    expect(read(join(cwd, 'p', 'run.sh'))).toBe(script('echo ONE', 'echo TWO', 'echo mine'));
    expect(statSync(join(cwd, 'p', 'run.sh')).mode & 0o777).toBe(0o700);
  });
});
