import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, CLI_PACKAGE, cleanEnv, makeTempDir, ROOT } from './helpers/cli.js';
import { writeTemplate } from './helpers/template-fixture.js';
import { inTerminal } from './helpers/terminal.js';

/**
 * Issue 9, "nothing half-done" and "no hang": signals at a prompt (a real pseudo-terminal) and
 * while writing, a closed terminal, the end of input, a full disk, a denied or read-only
 * directory, and every kind of missing stdin. Each run is bounded and must end quickly.
 */

const temp = makeTempDir('bp-interrupt-');
const freshDir = temp.fresh;
const ENTER = '\r';
const CTRL_D = '\x04';
/** A person waiting for the CLI to stop notices after this long; a run that ends sooner "did not hang". */
const QUICK_SECONDS = 3;
const HUNG_UP = 128 + 1;

/** flask's first questions: the CLI is asked to stop at the second one, after one answer. */
const AT_SECOND_PROMPT: Array<[string, string]> = [['Version', ENTER]];

describe('at a prompt, in a real terminal', () => {
  it.each(['INT', 'TERM'] as const)('stops on kill -%s with exit 130 and one line, leaving nothing', async (signal) => {
    const cwd = freshDir();
    const session = await inTerminal(
      cwd,
      ['create', '--template=flask', 'foo'],
      [...AT_SECOND_PROMPT, ['Release', { signal }]],
    );
    expect(session.timeout).toBeNull();
    expect(session.code).toBe(130);
    expect(session.output).toMatch(/\nbootstrap-plugin: error: interrupted, nothing was written\n\s*$/);
    expect(session.exitSeconds).toBeLessThan(QUICK_SECONDS);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('says what to pass instead when input ends (Ctrl-D): exit 2, nothing written', async () => {
    const cwd = freshDir();
    const session = await inTerminal(
      cwd,
      ['create', '--template=flask', 'foo'],
      [...AT_SECOND_PROMPT, ['Release', CTRL_D]],
    );
    expect(session.code).toBe(2);
    expect(session.output).toContain(
      'bootstrap-plugin: error: input ended before "release" was answered, nothing was written: pass --yes ' +
        'to take the defaults, or --set release=VALUE\n',
    );
    expect(session.exitSeconds).toBeLessThan(QUICK_SECONDS);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it.each([
    ['kill -HUP', { signal: 'HUP' as const }],
    ['the terminal closed', { hangup: true as const }],
  ])('ends by SIGHUP, as a hung-up process does, on %s, leaving nothing (no crash)', async (_, action) => {
    const cwd = freshDir();
    const session = await inTerminal(
      cwd,
      ['create', '--template=flask', 'foo'],
      [...AT_SECOND_PROMPT, ['Release', action]],
    );
    expect(session.timeout).toBeNull();
    expect(session.code).toBe(HUNG_UP);
    expect(session.output).not.toMatch(/Assertion failed|Native stack|\n\s+at /);
    expect(session.exitSeconds).toBeLessThan(QUICK_SECONDS);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('never prompts when CI is set, even in a terminal', async () => {
    const cwd = freshDir();
    const session = await inTerminal(cwd, ['create', '--template=static', 'site'], [['successfully created', '']], {
      CI: 'true',
    });
    expect(session.code).toBe(0);
    expect(session.output).not.toContain('?');
    expect(readdirSync(cwd)).toEqual(['site']);
  });
});

describe('without a terminal, it never waits', () => {
  const runWith = (stdin: 'null' | 'closed' | 'open pipe', cwd: string, args: string[]) =>
    new Promise<{ code: number | null; stderr: string; seconds: number }>((done, fail) => {
      const started = performance.now();
      // `<&-` closes descriptor 0 before node starts: no stdin at all.
      const [command, argv] =
        stdin === 'closed'
          ? ['sh', ['-c', 'exec "$0" "$@" <&-', process.execPath, CLI, ...args]]
          : [process.execPath, [CLI, ...args]];
      const stdio: StdioOptions = [stdin === 'null' ? 'ignore' : 'pipe', 'pipe', 'pipe'];
      const child = spawn(command, argv, { cwd, env: cleanEnv(), stdio, timeout: 15_000 });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
      child.on('error', fail);
      // The open pipe stays open, unwritten, until the CLI has exited.
      child.on('close', (code) => done({ code, stderr, seconds: (performance.now() - started) / 1000 }));
    });

  let template: string;
  beforeAll(() => {
    template = writeTemplate(
      freshDir(),
      'needs-token',
      { fields: [{ name: 'token', message: 'API token', type: 'string' }] },
      { 'token.txt.ejs': '<%- token %>\n' },
    );
  });

  it.each(['null', 'closed', 'open pipe'] as const)(
    'exits 2 at once naming --set for a field without default (stdin %s)',
    async (stdin) => {
      const cwd = freshDir();
      const run = await runWith(stdin, cwd, ['create', `--template=${template}`, 'foo']);
      expect(run.stderr).toBe('bootstrap-plugin: error: field "token" has no default: pass --set token=VALUE\n');
      expect(run.code).toBe(2);
      expect(run.seconds).toBeLessThan(QUICK_SECONDS);
      expect(readdirSync(cwd)).toEqual([]);
    },
  );

  it.each(['null', 'closed', 'open pipe'] as const)('uses the defaults and says so (stdin %s)', async (stdin) => {
    const cwd = freshDir();
    const run = await runWith(stdin, cwd, ['create', '--template=static', 'site', '--set', 'version=2']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      new RegExp(
        String.raw`^bootstrap-plugin: no terminal to ask on, so these took their defaults: release, .*` +
          String.raw`\(choose with --set FIELD=VALUE; --yes silences this note\)\n$`,
      ),
    );
    expect(run.seconds).toBeLessThan(QUICK_SECONDS);
  });
});

describe('while writing', () => {
  /** Enough files that writing takes a while, so a signal lands mid-write. */
  const bigTemplate = () => {
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const files = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`d${i % 20}/f${i}.txt`, chunk]));
    return writeTemplate(freshDir(), 'big', { fields: [] }, files);
  };

  /** Sends `signal` to the child as soon as a temporary name starting with `prefix` shows in `dir`; whether it did. */
  async function killWhenWriting(
    child: ChildProcess,
    dir: string,
    prefix: string,
    signal: NodeJS.Signals,
  ): Promise<boolean> {
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && child.exitCode === null;) {
      if (readdirSync(dir).some((entry) => entry.startsWith(prefix))) return child.kill(signal);
      await new Promise((r) => setTimeout(r, 1));
    }
    return false;
  }

  it('ends by SIGHUP after removing what it wrote when the terminal hangs up mid-write', async () => {
    const cwd = freshDir();
    const child = spawn(process.execPath, [CLI, 'create', `--template=${bigTemplate()}`, 'foo', '--yes'], {
      cwd,
      env: cleanEnv(),
      stdio: 'ignore',
      timeout: 30_000,
    });
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('close', (_, signal) => done(signal)));
    expect(await killWhenWriting(child, cwd, '.foo.bootstrap-plugin-', 'SIGHUP')).toBe(true);
    expect(await exited).toBe('SIGHUP');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('keeps the old profile and leaves no temporary file when env -o is interrupted (SIGINT)', async () => {
    const cwd = freshDir();
    const keys = Array.from({ length: 100_000 }, (_, i) => `key_${i} = value ${i} ${'x'.repeat(60)}`);
    writeFileSync(join(cwd, 'big.ini'), `[custom]\n${keys.join('\n')}\n`);
    writeFileSync(join(cwd, 'profile.sh'), 'old\n');
    const child = spawn(process.execPath, [CLI, 'env', 'big.ini', '-o', 'profile.sh'], {
      cwd,
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 30_000,
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    expect(await killWhenWriting(child, cwd, '.profile.sh.bootstrap-plugin-', 'SIGINT')).toBe(true);
    expect(await exited).toBe(130);
    // 100k variables are over what a program can receive: a warning comes first.
    expect(stderr).toMatch(
      new RegExp(
        String.raw`^bootstrap-plugin: warning: the 100000 variables take [^\n]*\n` +
          String.raw`bootstrap-plugin: error: interrupted, the file is unchanged\n$`,
      ),
    );
    expect(readdirSync(cwd).sort()).toEqual(['big.ini', 'profile.sh']);
    expect(readFileSync(join(cwd, 'profile.sh'), 'utf8')).toBe('old\n');
  });
});

describe('when the disk or the directory refuses', () => {
  const mounts: string[] = [];
  /** A real tmpfs: root can mount one here and in CI; without it these tests cannot prove anything, so they fail. */
  const mountTmpfs = (options: string) => {
    const dir = freshDir();
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      throw new Error(
        `cannot mount a tmpfs (${options}) on ${dir}: ${mounted.stderr || mounted.error?.message} (these ` +
          'tests need root, as CI has)',
      );
    }
    mounts.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of mounts) spawnSync('umount', [dir]);
  });

  const SMALL_DISK = 'size=256k';
  /** About 640 KiB of files: more than the small disk holds. */
  const tooBigTemplate = () => {
    const chunk = Buffer.alloc(16 * 1024, 'y');
    return writeTemplate(
      freshDir(),
      'big',
      { fields: [] },
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}.bin`, chunk])),
    );
  };
  /** Runs the CLI (after `prefix`, a command that runs it as another user), stdout ignored. */
  const runCommand = (args: string[], cwd: string, prefix: string[] = [], cli = CLI) =>
    new Promise<{ code: number | null; stderr: string }>((done, fail) => {
      const [command, ...rest] = [...prefix, process.execPath, cli, ...args];
      const child = spawn(command, rest, {
        cwd,
        env: cleanEnv(),
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 15_000,
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
      child.on('error', fail);
      child.on('close', (code) => done({ code, stderr }));
    });

  it('exits 1 with one line when the disk fills up, leaving nothing', async () => {
    const disk = mountTmpfs(SMALL_DISK);
    const run = await runCommand(
      ['create', `--template=${tooBigTemplate()}`, 'foo', '--yes', '--dir', join(disk, 'new', 'parent')],
      temp.dir,
    );
    expect(run.stderr).toMatch(
      new RegExp(
        `^bootstrap-plugin: error: cannot write ${join(disk, 'new', 'parent', 'foo')}: the disk is full(?: ` +
          `\\(.+\\))?; nothing was written\\n$`,
      ),
    );
    expect(run.code).toBe(1);
    expect(readdirSync(disk)).toEqual([]);
  });

  it('keeps the existing directory intact when a --force replacement fills the disk', async () => {
    const disk = mountTmpfs(SMALL_DISK);
    mkdirSync(join(disk, 'foo'));
    writeFileSync(join(disk, 'foo', 'mine.txt'), 'precious');
    const run = await runCommand(
      ['create', `--template=${tooBigTemplate()}`, 'foo', '--yes', '--force', '--dir', disk],
      temp.dir,
    );
    expect(run.stderr).toMatch(/the disk is full(?: \(.+\))?; nothing was written\n$/);
    expect(run.code).toBe(1);
    expect(readdirSync(disk)).toEqual(['foo']);
    expect(readFileSync(join(disk, 'foo', 'mine.txt'), 'utf8')).toBe('precious');
  });

  it('exits 1 with one line when env -o fills the disk, keeping the old profile', async () => {
    const disk = mountTmpfs(SMALL_DISK);
    const keys = Array.from({ length: 10_000 }, (_, i) => `key_${i} = ${'v'.repeat(40)}`);
    writeFileSync(join(temp.dir, 'many.ini'), `[custom]\n${keys.join('\n')}\n`);
    writeFileSync(join(disk, 'profile.sh'), 'old\n');
    const result = await runCommand(['env', 'many.ini', '-o', join(disk, 'profile.sh')], temp.dir);
    expect(result.stderr).toBe(
      `bootstrap-plugin: error: cannot write ${join(disk, 'profile.sh')}: the disk is full; the file is unchanged\n`,
    );
    expect(result.code).toBe(1);
    expect(readdirSync(disk)).toEqual(['profile.sh']);
    expect(readFileSync(join(disk, 'profile.sh'), 'utf8')).toBe('old\n');
  });

  it('exits 1 with one line on a read-only file system', async () => {
    const disk = mountTmpfs(`ro,${SMALL_DISK}`);
    const run = await runCommand(['create', '--template=static', 'foo', '--yes', '--dir', disk], temp.dir);
    expect(run.stderr).toMatch(
      new RegExp(
        `^bootstrap-plugin: error: cannot write ${join(disk, 'foo')}: the file system is read-only .*; ` +
          `nothing was written\\n$`,
      ),
    );
    expect(run.code).toBe(1);
  });

  it('exits 1 with one line when permission is denied, leaving nothing (run as nobody)', async () => {
    const parent = freshDir();
    const locked = join(parent, 'locked');
    mkdirSync(locked);
    // nobody may enter these directories but not write in `locked` (root would ignore the modes).
    for (const dir of [temp.dir, parent]) chmodSync(dir, 0o755);
    chmodSync(locked, 0o555);
    // The checkout may sit where nobody cannot enter (a 0700 mktemp directory): run a copy of
    // the built CLI from here instead.
    const cli = join(temp.dir, 'cli');
    for (const part of ['bin', 'dist', 'package.json', 'templates']) {
      cpSync(join(CLI_PACKAGE, part), join(cli, part), { recursive: true });
    }
    // `create --yes` loads EJS, which has no dependencies of its own.
    cpSync(join(ROOT, 'node_modules', 'ejs'), join(cli, 'node_modules', 'ejs'), { recursive: true });
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    for (const dir of [locked, join(locked, 'new', 'parent')]) {
      const run = await runCommand(
        ['create', '--template=static', 'foo', '--yes', '--dir', dir],
        parent,
        asNobody,
        join(cli, 'bin', 'bootstrap-plugin.cjs'),
      );
      expect(run.stderr).toMatch(
        /^bootstrap-plugin: error: cannot write .*\/foo: permission denied .*; nothing was written\n$/,
      );
      expect(run.code).toBe(1);
    }
    expect(readdirSync(parent)).toEqual(['locked']);
    expect(readdirSync(locked)).toEqual([]);
  });
});

afterAll(temp.cleanup);
