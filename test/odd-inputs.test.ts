import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, CLI_PACKAGE, cleanEnv, makeTempDir, ROOT } from './helpers/cli.js';
import { writeTemplate } from './helpers/template-fixture.js';
import { inTerminal } from './helpers/terminal.js';

/**
 * Issue 12: odd inputs a template, an answers file or the shell can hand the CLI — links,
 * FIFOs, huge or unreadable files, bytes that are not UTF-8, a full stdout, broken EJS — each
 * gives one line naming the file and the fix, quickly, and writes nothing.
 */

const temp = makeTempDir('bp-odd-');
afterAll(temp.cleanup);
const freshDir = temp.fresh;
const QUICK_SECONDS = 5;
const SECRET = 'TOP-SECRET-VALUE';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs the CLI (or `command` before it), bounded: a run that hangs is killed and shows as code null. */
function run(
  args: string[],
  cwd: string,
  options: { prefix?: string[]; cli?: string; stdout?: number; shell?: boolean } = {},
): Promise<Run> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const [command, ...rest] = options.shell
      ? ['sh', '-c', ...args]
      : [...(options.prefix ?? []), process.execPath, options.cli ?? CLI, ...args];
    const child = spawn(command, rest, {
      cwd,
      env: cleanEnv(),
      stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
  });
}

/** One line, exit 2, quickly, nothing created in `cwd` but what was there. */
function expectRefused(result: Run, message: RegExp, cwd: string, before: string[]): void {
  expect(result.stderr).toMatch(/^bootstrap-plugin: error: [^\n]+\n$/);
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(2);
  expect(result.seconds).toBeLessThan(QUICK_SECONDS);
  expect(readdirSync(cwd).sort()).toEqual(before);
  expect(result.stdout).not.toContain(SECRET);
}

const secretFile = () => {
  const file = join(freshDir(), 'secret.txt');
  writeFileSync(file, `${SECRET}\n`);
  return file;
};

describe('symbolic links anywhere in a template are refused, never followed', () => {
  // Hostile cases: 4 places a link can sit.
  it.each([
    [
      'files/ itself',
      (dir: string) => {
        rmSync(join(dir, 'files'), { recursive: true });
        const elsewhere = join(freshDir(), 'files');
        mkdirSync(elsewhere);
        writeFileSync(join(elsewhere, 'copied.txt'), SECRET);
        symlinkSync(elsewhere, join(dir, 'files'));
      },
      /\/files: templates cannot hold symbolic links/,
    ],
    [
      'next-steps.ejs',
      (dir: string) => symlinkSync(secretFile(), join(dir, 'next-steps.ejs')),
      /\/next-steps\.ejs: templates cannot hold symbolic links/,
    ],
    [
      'template.json',
      (dir: string) => {
        const real = join(freshDir(), 'template.json');
        writeFileSync(real, readFileSync(join(dir, 'template.json')));
        rmSync(join(dir, 'template.json'));
        symlinkSync(real, join(dir, 'template.json'));
      },
      /\/template\.json: is a symbolic link/,
    ],
    [
      'a file under files/',
      (dir: string) => symlinkSync(secretFile(), join(dir, 'files', 'copied.txt')),
      /\/copied\.txt: templates cannot hold symbolic links/,
    ],
  ])('%s', async (_, plant, message) => {
    const cwd = freshDir();
    const template = writeTemplate(cwd, 'tpl', { fields: [] }, { 'a.txt': 'a' });
    plant(template);
    const before = readdirSync(cwd).sort();
    expectRefused(await run(['create', '--template=./tpl', 'foo', '--yes'], cwd), message, cwd, before);
  });
});

describe('nothing waits on a FIFO, a device or /proc', () => {
  const fifo = (path: string) => execFileSync('mkfifo', [path]);
  // Hostile cases: 5 inputs that would block or spin forever.
  it.each([
    [
      'template.json',
      (dir: string) => (rmSync(join(dir, 'template.json')), fifo(join(dir, 'template.json'))),
      [],
      /\/template\.json: is a FIFO \(named pipe\), not a plain file: a template needs a readable template\.json file$/m,
    ],
    [
      'next-steps.ejs',
      (dir: string) => fifo(join(dir, 'next-steps.ejs')),
      [],
      /\/next-steps\.ejs: expected a plain file$/m,
    ],
    [
      'a file under files/',
      (dir: string) => fifo(join(dir, 'files', 'pipe')),
      [],
      /\/files\/pipe: is not a plain file \(a FIFO, socket or device\): remove it from the template$/m,
    ],
    [
      '--answers',
      (dir: string) => fifo(join(dir, '..', 'answers.json')),
      ['--answers', 'answers.json'],
      /answers\.json: is a FIFO \(named pipe\), not a plain file: check --answers$/m,
    ],
    [
      '--answers /dev/zero',
      () => undefined,
      ['--answers', '/dev/zero'],
      /\/dev\/zero: is a device, not a plain file: check --answers$/m,
    ],
  ])('%s', async (_, plant, extra, message) => {
    const cwd = freshDir();
    const template = writeTemplate(cwd, 'tpl', { fields: [] }, { 'a.txt': 'a' });
    plant(template);
    const before = readdirSync(cwd).sort();
    expectRefused(await run(['create', '--template=./tpl', 'foo', '--yes', ...extra], cwd), message, cwd, before);
  });

  it('--dir under /proc fails at once with one line (a recursive mkdir spins there)', async () => {
    const result = await run(['create', '--template=static', 'foo', '--yes', '--dir', '/proc/x/y'], freshDir());
    expect(result.stderr).toMatch(
      new RegExp(
        String.raw`^bootstrap-plugin: error: cannot write /proc/x/y/foo: no such file or directory \(/proc/x\); ` +
          String.raw`nothing was written\n$`,
      ),
    );
    expect(result.code).toBe(1);
    expect(result.seconds).toBeLessThan(QUICK_SECONDS);
  });
});

describe('raw Node errors never reach the user', () => {
  it('a 3 GiB template file: refused by its size, before reading it', async () => {
    const cwd = freshDir();
    const template = writeTemplate(cwd, 'tpl', { fields: [] }, { 'big.bin': '' });
    truncateSync(join(template, 'files', 'big.bin'), 3 * 1024 ** 3);
    expectRefused(
      await run(['create', '--template=./tpl', 'foo', '--yes'], cwd),
      /\/big\.bin: is 3\.0 GiB; files read are held in memory, at most 1 GiB: make it smaller$/m,
      cwd,
      ['tpl'],
    );
  });

  it('a file name that is not UTF-8, shown with its bytes', async () => {
    const cwd = freshDir();
    const template = writeTemplate(cwd, 'tpl', { fields: [] }, { 'a.txt': 'a' });
    writeFileSync(Buffer.concat([Buffer.from(join(template, 'files', 'caf')), Buffer.from([0xe9])]), 'x');
    expectRefused(
      await run(['create', '--template=./tpl', 'foo', '--yes'], cwd),
      /\/files: holds a file name that is not valid UTF-8 \("caf\\xe9"\): rename it$/m,
      cwd,
      ['tpl'],
    );
  });

  it('a template file another user cannot read (run as nobody)', async () => {
    const cwd = freshDir();
    const template = writeTemplate(cwd, 'tpl', { fields: [] }, { 'private.txt': { content: SECRET, mode: 0o600 } });
    for (let dir = cwd; dir !== temp.dir; dir = join(dir, '..')) chmodSync(dir, 0o777);
    chmodSync(temp.dir, 0o755);
    const cli = join(temp.dir, 'cli');
    // A copy of the built CLI where nobody can enter (as in interruptions.test.ts); EJS has no dependencies.
    for (const part of ['bin', 'dist', 'package.json', 'templates'])
      cpSync(join(CLI_PACKAGE, part), join(cli, part), { recursive: true });
    cpSync(join(ROOT, 'node_modules', 'ejs'), join(cli, 'node_modules', 'ejs'), { recursive: true });
    const result = await run(['create', `--template=${template}`, 'foo', '--yes'], cwd, {
      prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
      cli: join(cli, 'bin', 'bootstrap-plugin.cjs'),
    });
    expectRefused(
      result,
      /\/private\.txt: cannot be read \(permission denied\): make it readable, or remove it from the template$/m,
      cwd,
      ['tpl'],
    );
  });

  it('stdout closed by its reader (list | true): exit 0, nothing on stderr', async () => {
    const result = await run([`(${process.execPath} ${CLI} list; echo "exit $?" >&2) | true`], freshDir(), {
      shell: true,
    });
    expect(result.stderr).toBe('exit 0\n');
  });

  it('stdout a full non-blocking pipe: waits for the reader and writes it all', async () => {
    const dir = freshDir();
    const keys = 5000;
    const ini = Array.from({ length: keys }, (_, index) => `key${index} = value ${index}`);
    writeFileSync(join(dir, 'big.ini'), `[plugin_big]\n${ini.join('\n')}\n`);
    // Made non-blocking by the parent (as some shells and runners leave it), read only after 1 s.
    const reader = `import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
child = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
time.sleep(1)
data = b''
while chunk := os.read(r, 65536):
    data += chunk
sys.stdout.write(data.decode())
sys.exit(child.wait())`;
    const result = await run(['env', 'big.ini'], dir, { prefix: ['python3', '-c', reader] });
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(65_536);
    expect(result.stdout).toContain(`export MFSERV_PLUGIN_BIG_KEY${keys - 1}='value ${keys - 1}'\n`);
  });

  it('stdout on /dev/full: one line, exit 1', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const result = await run(['list'], freshDir(), { stdout: full });
      expect(result.stderr).toBe(
        'bootstrap-plugin: error: cannot write the output to standard output: the disk is full; check where ' +
          'it is redirected\n',
      );
      expect(result.code).toBe(1);
    } finally {
      closeSync(full);
    }
  });

  // Hostile cases: 5 ways EJS fails; each keeps its reason (and its line where EJS knows it).
  it.each([
    [
      'an unclosed block',
      '<% if (true) { %>\nb\n',
      /x\.txt\.ejs: template error: Unexpected token .* \(check that each <% has its %> and each \{ its \}\)$/m,
    ],
    ['an undefined name', 'a\n<%= nope.x %>\n', /x\.txt\.ejs:2: template error: nope is not defined$/m],
    [
      'a thrown string',
      'a\n<% throw "broken on purpose" %>\n',
      /x\.txt\.ejs: template error: it threw "broken on purpose"$/m,
    ],
    [
      'an error without a message',
      'a\n<% throw new Error("") %>\n',
      /x\.txt\.ejs:2: template error: Error with no message$/m,
    ],
    [
      'a two-line message',
      'a\n<% throw new Error("first\\nsecond") %>\n',
      /x\.txt\.ejs:2: template error: first second$/m,
    ],
  ])('an EJS error keeps its reason: %s', async (_, text, message) => {
    const cwd = freshDir();
    writeTemplate(cwd, 'tpl', { fields: [] }, { 'x.txt.ejs': text });
    expectRefused(await run(['create', '--template=./tpl', 'foo', '--yes'], cwd), message, cwd, ['tpl']);
  });
});

describe('answers that are not what they seem', () => {
  it('names a byte-order mark in a JSON answers file', async () => {
    const cwd = freshDir();
    writeFileSync(join(cwd, 'answers.json'), '\ufeff{"version": "1.0.0"}');
    expectRefused(
      await run(['create', '--template=static', 'foo', '--answers', 'answers.json'], cwd),
      new RegExp(
        String.raw`answers\.json:1: the file starts with a byte order mark \(BOM\), which JSON does not allow: ` +
          String.raw`save it as UTF-8 without BOM$`,
        'm',
      ),
      cwd,
      ['answers.json'],
    );
  });

  it('refuses a --set value that is not UTF-8, instead of writing U+FFFD', async () => {
    const cwd = freshDir();
    const result = await run(
      [`exec "${process.execPath}" "${CLI}" create --template=static foo --yes --set "summary=caf$(printf '\\351')"`],
      cwd,
      { shell: true },
    );
    expectRefused(
      result,
      /--set summary: the value is not valid UTF-8 \(it decodes to U\+FFFD\); pass it in UTF-8$/m,
      cwd,
      [],
    );
  });
});

describe('prompts with stdout piped', () => {
  it('still asks when stdin is a terminal and stdout a pipe (create foo | tee log), on stderr', async () => {
    const cwd = freshDir();
    writeTemplate(
      cwd,
      'tpl',
      { fields: [{ name: 'owner', message: 'Who owns it', type: 'string' }] },
      { 'owner.txt.ejs': '<%- owner %>\n' },
    );
    const session = await inTerminal(
      cwd,
      ['create', '--template=./tpl', 'foo'],
      [['Who owns it', 'bob\r']],
      {},
      join(cwd, 'log'),
    );
    expect(session.timeout).toBeNull();
    expect(session.code).toBe(0);
    expect(readFileSync(join(cwd, 'foo', 'owner.txt'), 'utf8')).toBe('bob\n');
    expect(readFileSync(join(cwd, 'log'), 'utf8')).toMatch(/^Plugin foo successfully created on directory /);
    expect(readFileSync(join(cwd, 'log'), 'utf8')).not.toContain('Who owns it');
  });
});
