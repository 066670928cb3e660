import { spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeTempDir, runCli } from './helpers/cli.js';
import { writeTemplate } from './helpers/template-fixture.js';
import { startCli, TEMP_MARK, tempsUnder, waitForTemp } from './helpers/temps.js';

/**
 * Issue 12, "nothing the user owns is lost": `create --force` writes only the template's files
 * over an existing plugin; two runs racing for one name leave exactly one winner; signals
 * (twice, or SIGKILL) leave nothing behind, or a next run finds and removes it.
 */

const temp = makeTempDir('bp-force-');
afterAll(temp.cleanup);
// Each case's trees go as soon as it ends: thousands of files per case add up.
afterEach(() =>
  readdirSync(temp.dir).forEach((entry) => rmSync(join(temp.dir, entry), { recursive: true, force: true })),
);
const freshDir = temp.fresh;

interface Entry {
  kind: 'file' | 'dir' | 'link';
  mode: number;
  /** File content, or a link's target. */
  data?: string;
}

/** Everything under `dir`, hidden files included: path → kind, mode, content. */
function snapshot(dir: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  for (const path of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const absolute = join(dir, path);
    const stats = lstatSync(absolute);
    const mode = stats.mode & 0o7777;
    if (stats.isSymbolicLink()) entries.set(path, { kind: 'link', mode: 0, data: readlinkSync(absolute) });
    else if (stats.isDirectory()) entries.set(path, { kind: 'dir', mode });
    else entries.set(path, { kind: 'file', mode, data: readFileSync(absolute, 'latin1') });
  }
  return entries;
}

/**
 * A plugin someone works in: made by flask, then a git repository with a commit, uncommitted
 * code, a virtualenv, edits to generated files, and a user template living inside it.
 */
function livedInPlugin(cwd: string): string {
  expect(
    spawnSync(process.execPath, [CLI, 'create', '--template=flask', 'foo', '--yes'], { cwd, env: cleanEnv() }).status,
  ).toBe(0);
  const plugin = join(cwd, 'foo');
  const git = (...args: string[]) =>
    expect(spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: plugin }).status).toBe(0);
  git('init', '-q', '.');
  git('add', '-A');
  git('commit', '-q', '-m', 'first');
  writeFileSync(join(plugin, 'main', 'wsgi.py'), '# my edit, not committed\n');
  writeFileSync(join(plugin, 'main', 'views.py'), 'def mine(): pass\n');
  writeFileSync(join(plugin, 'notes.txt'), 'todo\n', { mode: 0o600 });
  mkdirSync(join(plugin, '.venv', 'bin'), { recursive: true });
  writeFileSync(join(plugin, '.venv', 'bin', 'python3'), '#!/bin/sh\n', { mode: 0o755 });
  // The user's own template, kept inside the plugin.
  writeTemplate(
    plugin,
    'tpl',
    { fields: [] },
    { 'main/wsgi.py.ejs': '# <%= name %>, from tpl\n', 'README.md': 'from tpl\n' },
  );
  return plugin;
}

describe('create --force writes only the files the template produces', () => {
  it('keeps .git, user code, a virtualenv, the template it renders from as they were; lists the replaced', async () => {
    const cwd = freshDir();
    const plugin = livedInPlugin(cwd);
    const before = snapshot(plugin);
    const run = await runCli(['create', '--template=flask', 'foo', '--yes', '--force'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const after = snapshot(plugin);
    const listed = /\nReplaced \d+ existing files:\n((?: {2}.+\n)+)/.exec(run.stdout);
    const produced = listed![1]
      .trimEnd()
      .split('\n')
      .map((line) => line.trim());
    // Every path that is not one of the template's files is byte for byte, mode for mode, as it was.
    const untouched = [...before.keys()].filter((path) => !produced.includes(path));
    expect(untouched.length).toBeGreaterThan(20);
    for (const path of untouched) expect({ path, entry: after.get(path) }).toEqual({ path, entry: before.get(path) });
    expect(after.get('main/views.py')?.data).toBe('def mine(): pass\n');
    // The replaced ones are listed, and were really rewritten.
    expect(run.stdout).toMatch(
      new RegExp(
        String.raw`^Plugin foo successfully created on directory .*\nReplaced 19 existing files:\n` +
          String.raw` {2}\.autorestart_excludes\n {2}\.autorestart_includes\n` +
          String.raw` {2}\.bootstrap-plugin\.base\.json\n {2}\.bootstrap-plugin\.json\n`,
      ),
    );
    expect(produced).toContain('main/wsgi.py');
    expect(after.get('main/wsgi.py')?.data).toContain('Flask');
    expect(
      spawnSync('git', ['status', '--porcelain'], { cwd: plugin, encoding: 'utf8' })
        .stdout.split('\n')
        .sort()
        .filter(Boolean),
    ).toEqual(['?? .venv/', '?? main/views.py', '?? notes.txt', '?? tpl/']);
    expect(tempsUnder(cwd)).toEqual([]);
  });

  it('renders from a template inside the plugin it writes over, leaving the template as it was', async () => {
    const cwd = freshDir();
    const plugin = livedInPlugin(cwd);
    const template = snapshot(join(plugin, 'tpl'));
    const run = await runCli(['create', '--template=./foo/tpl', 'foo', '--yes', '--force'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(snapshot(join(plugin, 'tpl'))).toEqual(template);
    expect(readFileSync(join(plugin, 'main', 'wsgi.py'), 'utf8')).toBe('# foo, from tpl\n');
    expect(readFileSync(join(plugin, 'main', 'views.py'), 'utf8')).toBe('def mine(): pass\n');
    expect(readFileSync(join(plugin, 'config.ini'), 'utf8')).toContain('[app_main]');
  });

  it('lists the files it would write and replace with --dry-run --force, writing nothing', async () => {
    const cwd = freshDir();
    const plugin = livedInPlugin(cwd);
    writeFileSync(join(plugin, 'Makefile'), 'mine\n');
    const before = snapshot(cwd);
    const run = await runCli(['create', '--template=static', 'foo', '--yes', '--force', '--dry-run'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Dry run: would create .*\/foo with 10 files, replacing 9 existing ones:\n/);
    expect(run.stdout).toContain('\n  Makefile (replaces the existing file)\n');
    expect(run.stdout).toContain('\n  main/index.html\n');
    expect(snapshot(cwd)).toEqual(before);
  });

  // Hostile cases: 3 shapes the user's tree can take where a template file goes.
  it.each([
    [
      'a symbolic link to a directory elsewhere',
      (plugin: string, elsewhere: string) => symlinkSync(elsewhere, join(plugin, 'main')),
      new RegExp(
        String.raw`/foo/main is a symbolic link, and the template writes main/index\.html there: ` +
          String.raw`links are never written through; remove it or move it aside$`,
      ),
    ],
    [
      'a directory where the template writes a file',
      (plugin: string) => mkdirSync(join(plugin, 'Makefile')),
      /\/foo\/Makefile is a directory, and the template writes a file there: move it aside$/,
    ],
    [
      'a file where the template needs a directory',
      (plugin: string) => writeFileSync(join(plugin, 'main'), 'mine'),
      /\/foo\/main is a file, and the template needs a directory there for main\/index\.html: move it aside$/,
    ],
  ])('refuses %s, exit 2, changing nothing', async (_, plant, message) => {
    const cwd = freshDir();
    const elsewhere = freshDir();
    mkdirSync(join(cwd, 'foo'));
    writeFileSync(join(cwd, 'foo', 'config.ini'), 'mine\n');
    plant(join(cwd, 'foo'), elsewhere);
    const before = snapshot(cwd);
    const run = await runCli(['create', '--template=static', 'foo', '--yes', '--force'], { cwd });
    expect(run.stderr).toMatch(/^bootstrap-plugin: error: [^\n]+\n$/);
    expect(run.stderr.trimEnd()).toMatch(message);
    expect(run.code).toBe(2);
    expect(snapshot(cwd)).toEqual(before);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('replaces a symbolic link where the template writes a file, never writing through it', async () => {
    const cwd = freshDir();
    const victim = join(freshDir(), 'victim');
    writeFileSync(victim, 'untouched');
    mkdirSync(join(cwd, 'foo'));
    symlinkSync(victim, join(cwd, 'foo', 'Makefile'));
    const run = await runCli(['create', '--template=static', 'foo', '--yes', '--force'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Replaced 1 existing files:\n  Makefile\n');
    expect(lstatSync(join(cwd, 'foo', 'Makefile')).isFile()).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
  });
});

/** Enough files that writing takes a while, so signals land mid-write. */
function bigTemplate(content: string, mode = 0o640): string {
  const files = Object.fromEntries(
    Array.from({ length: 2000 }, (_, i) => [`d${i % 20}/f${i}.txt`, { content: content.repeat(64), mode }]),
  );
  return writeTemplate(freshDir(), 'big', { fields: [] }, files);
}

/** A plugin for --force to write over: a file the template replaces, and one of the user's. */
function existingPlugin(cwd: string): void {
  mkdirSync(join(cwd, 'foo', 'd1'), { recursive: true });
  writeFileSync(join(cwd, 'foo', 'd1', 'f1.txt'), 'old');
  writeFileSync(join(cwd, 'foo', 'mine.txt'), 'mine');
}

/** Starts creating foo from `template` (over what is there, with `force`), once it is writing. */
async function creating(cwd: string, template: string, force: boolean): Promise<ReturnType<typeof startCli>> {
  const started = startCli(cwd, ['create', `--template=${template}`, 'foo', '--yes', ...(force ? ['--force'] : [])]);
  expect(await waitForTemp(started.child, cwd)).toBe(true);
  return started;
}

describe('signals while writing', () => {
  it.each([[false], [true]])(
    'leaves nothing behind on a second SIGTERM right after the first (--force: %s), 2 rounds',
    async (force) => {
      for (let round = 0; round < 2; round++) {
        const cwd = freshDir();
        const template = bigTemplate('n');
        if (force) existingPlugin(cwd);
        const before = snapshot(cwd);
        const { child, exited } = await creating(cwd, template, force);
        child.kill('SIGTERM');
        await new Promise((r) => setTimeout(r, 3));
        child.kill('SIGTERM');
        // Exit 130, or ended by the second SIGTERM when it lands while Node is already exiting
        // (its handlers gone): either way an interruption, and nothing may be left.
        const { code, signal } = await exited;
        expect(code === 130 || signal === 'SIGTERM').toBe(true);
        expect(tempsUnder(cwd)).toEqual([]);
        expect(snapshot(cwd)).toEqual(before);
      }
    },
  );

  it('stages files with their final mode from the start: never more open than the template says', async () => {
    const cwd = freshDir();
    mkdirSync(join(cwd, 'foo'));
    const template = bigTemplate('m', 0o600);
    const { child, exited } = startCli(cwd, ['create', `--template=${template}`, 'foo', '--yes', '--force']);
    const modes = new Set<number>();
    while (child.exitCode === null) {
      for (const path of tempsUnder(cwd).filter((p) => p.includes('/d'))) {
        try {
          modes.add(lstatSync(join(cwd, path)).mode & 0o777);
        } catch {
          // Renamed into place meanwhile.
        }
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    expect((await exited).code).toBe(0);
    expect(modes.size).toBeGreaterThan(0);
    expect([...modes]).toEqual([0o600]);
  });

  it.each([[false], [true]])(
    'after a SIGKILL mid-write, every file is whole and the next run removes and names the leftovers (--force: %s)',
    async (force) => {
      const cwd = freshDir();
      if (force) existingPlugin(cwd);
      const template = bigTemplate('k');
      const { child, exited } = await creating(cwd, template, force);
      child.kill('SIGKILL');
      await exited;
      const leftovers = tempsUnder(cwd);
      expect(leftovers.length).toBeGreaterThan(0);
      const whole = 'k'.repeat(64);
      for (const [path, entry] of snapshot(cwd)) {
        if (entry.kind === 'file' && !path.includes(TEMP_MARK) && path !== 'foo/mine.txt')
          expect([whole, 'old']).toContain(entry.data);
      }
      const next = await runCli(['create', `--template=${template}`, 'foo', '--yes', '--force'], { cwd });
      expect(next.code).toBe(0);
      const named = next.stderr.trimEnd().split('\n');
      // One note per leftover the killed run made; files it had written inside its staged
      // directory go with that directory.
      const outermost = leftovers.filter((path) => !leftovers.some((other) => path.startsWith(`${other}/`)));
      expect(named).toHaveLength(outermost.length);
      for (const line of named)
        expect(line).toMatch(
          /^bootstrap-plugin: note: removed .*\.bootstrap-plugin-\d+-[0-9a-f]{8}, left by an interrupted run$/,
        );
      expect(tempsUnder(cwd)).toEqual([]);
      if (force) expect(readFileSync(join(cwd, 'foo', 'mine.txt'), 'utf8')).toBe('mine');
    },
  );
});

describe('two runs creating the same name at once', () => {
  const ROUNDS = Number(process.env.RACE_ROUNDS ?? 15);
  const RUNS = 4;

  it(`leaves one winner; the others exit 2, the plugin whole (${ROUNDS} rounds of ${RUNS} processes)`, async () => {
    // Small enough to write fast, big enough that all of them are writing when the first renames.
    const files = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`d${i % 10}/f${i}.txt`, 'x']));
    const template = writeTemplate(freshDir(), 'race', { fields: [] }, files);
    for (let round = 0; round < ROUNDS; round++) {
      const cwd = freshDir();
      const runs = await Promise.all(
        Array.from({ length: RUNS }, () => startCli(cwd, ['create', `--template=${template}`, 'foo', '--yes']).exited),
      );
      const codes = runs.map((run) => run.code).sort();
      expect({ round, codes }).toEqual({ round, codes: [0, 2, 2, 2] });
      for (const run of runs.filter((r) => r.code === 2))
        expect(run.stderr).toMatch(
          /^bootstrap-plugin: error: directory .*\/foo already exists \(use --force to write over it\)\n$/,
        );
      expect(readdirSync(cwd)).toEqual(['foo']);
      // 400 files in 10 directories, the state file and the base `update` merges against.
      expect(readdirSync(join(cwd, 'foo'), { recursive: true }).length).toBe(400 + 10 + 2);
    }
  }, 300_000);
});
