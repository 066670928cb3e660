import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, linkSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setConfigValues } from '../packages/bootstrap-plugin/src/core/config.js';
import { collectVariables } from '../packages/bootstrap-plugin/src/core/env.js';
import { BootstrapError } from '../packages/bootstrap-plugin/src/core/errors.js';
import { CLI, cleanEnv, runCli } from './helpers/cli.js';
import { useWorkspace } from './helpers/workspace.js';

/** `config set` among other writers, signals, killed runs, owners and links, hostile keys and bytes. */

const workspace = useWorkspace('bp-config-writers-');
const write = (path: string, content: string) => workspace.write(path, content);
const read = (path: string) => readFileSync(join(workspace.dir, path), 'utf8');
const isRoot = process.getuid?.() === 0;
const SEED = Number(process.env.FUZZ_SEED ?? 42);

describe('concurrent config set on one file', () => {
  const ROUNDS = 3;
  const WRITERS = 10;
  it(`keeps every change of ${WRITERS} concurrent writers (${ROUNDS} rounds), each reporting what it did`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      write('p/config.ini', '[custom]\nfirst = 1\n');
      const runs = await Promise.all(
        Array.from({ length: WRITERS }, (_, i) =>
          runCli(['config', 'set', 'p', `custom.key_${i}=${i}`, `custom.first=${i}`], { cwd: workspace.dir }),
        ),
      );
      for (const [i, run] of runs.entries())
        expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining(`[custom] key_${i} added`) });
      const text = read('p/config.ini');
      for (let i = 0; i < WRITERS; i++) expect(text).toContain(`key_${i} = ${i}\n`);
      expect(readdirSync(join(workspace.dir, 'p'))).toEqual(['config.ini']);
    }
  });

  it('removes a stale lock left by a killed run, and says so', async () => {
    write('p/config.ini', '[custom]\n');
    // A process that has ended: its id names no running process.
    const dead = spawnSync('true').pid!;
    write('p/config.ini.lock', `${dead} ${execFileSync('hostname', { encoding: 'utf8' }).trim()}\n`);
    const run = await runCli(['config', 'set', 'p', 'custom.k=v'], { cwd: workspace.dir });
    expect(run).toMatchObject({
      code: 0,
      stderr:
        `bootstrap-plugin: note: removed ${join(workspace.dir, 'p/config.ini.lock')}, left by an ` +
        `interrupted run\n`,
    });
    expect(read('p/config.ini')).toBe('[custom]\nk = v\n');
    expect(existsSync(join(workspace.dir, 'p/config.ini.lock'))).toBe(false);
  });

  it('gives up after a few seconds on a lock a live process holds, with one line naming it (exit 1)', async () => {
    write('p/config.ini', '[custom]\n');
    write('p/config.ini.lock', `${process.pid} ${execFileSync('hostname', { encoding: 'utf8' }).trim()}\n`);
    const started = Date.now();
    const run = await runCli(['config', 'set', 'p', 'custom.k=v'], { cwd: workspace.dir });
    expect(Date.now() - started).toBeGreaterThan(4000);
    expect(run).toMatchObject({
      code: 1,
      stderr:
        `bootstrap-plugin: error: ${join('p', 'config.ini')} is being changed by process ` +
        `${process.pid} (it holds ${join('p', 'config.ini')}.lock); try again, or delete ` +
        `${join('p', 'config.ini')}.lock if no bootstrap-plugin runs there\n`,
    });
    expect(read('p/config.ini')).toBe('[custom]\n');
  });
});

/** A config.ini big enough (about 24 MiB) that writing it takes a while: signals land during the write. */
function bigConfig(mode: number): string {
  const file = write('p/config.ini', `[custom]\nbig = ${'x'.repeat(24 << 20)}\n`);
  execFileSync('chmod', [mode.toString(8), file]);
  return file;
}

const tempFiles = () => readdirSync(join(workspace.dir, 'p')).filter((name) => name !== 'config.ini');

/** Starts `config set` (or `args`), and calls `onTemp` (synchronously) once the temporary file of `target` exists. */
function setUntilTemp(
  onTemp: (pid: number) => void,
  args = ['config', 'set', 'p', 'custom.k=v'],
  target = 'config.ini',
): Promise<number | null> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: workspace.dir, env: cleanEnv(), stdio: 'ignore' });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !tempFiles().some((name) => name.startsWith(`.${target}.bootstrap-plugin-`))) {
    // A tight loop on purpose: the temporary file lives for a fraction of a second.
  }
  onTemp(child.pid!);
  return new Promise((done) => child.on('close', (code) => done(code)));
}

describe('config set and signals', () => {
  it('creates its temporary file with the final mode: a 0600 file is never readable by others', async () => {
    bigConfig(0o600);
    let seen: number[] = [];
    const code = await setUntilTemp((pid) => {
      process.kill(pid, 'SIGSTOP');
      seen = tempFiles()
        .filter((name) => name.startsWith('.config.ini.'))
        .map((name) => statSync(join(workspace.dir, 'p', name)).mode & 0o777);
      process.kill(pid, 'SIGCONT');
    });
    expect(code).toBe(0);
    expect(seen).toEqual([0o600]);
    expect(statSync(join(workspace.dir, 'p/config.ini')).mode & 0o777).toBe(0o600);
  });

  const SIGNAL_CASES: Array<[NodeJS.Signals, NodeJS.Signals]> = [
    ['SIGINT', 'SIGINT'],
    ['SIGTERM', 'SIGTERM'],
    ['SIGINT', 'SIGTERM'],
    ['SIGHUP', 'SIGINT'],
  ];
  it(`leaves no temporary file nor lock after a second signal mid-write (${SIGNAL_CASES.length} pairs)`, async () => {
    for (const [first, second] of SIGNAL_CASES) {
      bigConfig(0o600);
      const code = await setUntilTemp((pid) => {
        process.kill(pid, first);
        process.kill(pid, second);
      });
      expect([first, second, code]).toEqual([first, second, 130]);
      expect(tempFiles()).toEqual([]);
      expect(read('p/config.ini')).not.toContain('k = v');
    }
  });

  it('leaves the old profile and no temporary file when env -o gets two signals while writing', async () => {
    bigConfig(0o600);
    write('p/profile.sh', 'old\n');
    const code = await setUntilTemp(
      (pid) => {
        process.kill(pid, 'SIGTERM');
        process.kill(pid, 'SIGINT');
      },
      ['env', 'p', '-o', 'p/profile.sh'],
      'profile.sh',
    );
    expect(code).toBe(130);
    expect(tempFiles()).toEqual(['profile.sh']);
    expect(read('p/profile.sh')).toBe('old\n');
  });

  it('after a SIGKILL, the next run removes the temporary file and the lock it left, naming them', async () => {
    bigConfig(0o644);
    await setUntilTemp((pid) => process.kill(pid, 'SIGKILL'));
    const left = tempFiles();
    expect(left).toHaveLength(2);
    const run = await runCli(['config', 'set', 'p', 'custom.k=w'], { cwd: workspace.dir });
    expect(run.code).toBe(0);
    for (const name of left)
      expect(run.stderr).toContain(
        `bootstrap-plugin: note: removed ${join(workspace.dir, 'p', name)}, left by an interrupted run\n`,
      );
    expect(tempFiles()).toEqual([]);
    expect(read('p/config.ini')).toMatch(/\nk = w\n$/);
  });
});

describe('config set keeps what the file is', () => {
  it.skipIf(!isRoot)('keeps the owner, group and mode of a file it edits as root', async () => {
    const file = write('p/config.ini', '[custom]\n');
    chownSync(file, 65534, 65534);
    execFileSync('chmod', ['640', file]);
    const run = await runCli(['config', 'set', 'p', 'custom.k=v'], { cwd: workspace.dir });
    expect(run.code).toBe(0);
    expect(statSync(file)).toMatchObject({ uid: 65534, gid: 65534, mode: expect.any(Number) });
    expect(statSync(file).mode & 0o7777).toBe(0o640);
  });

  it('writes through hard links: every name of the file sees the change', async () => {
    const file = write('p/config.ini', '[custom]\nold = a long value that the new text is shorter than\n');
    const other = join(workspace.dir, 'elsewhere.ini');
    linkSync(file, other);
    const run = await runCli(['config', 'set', 'p', 'custom.old=x'], { cwd: workspace.dir });
    expect(run.code).toBe(0);
    expect(readFileSync(other, 'utf8')).toBe('[custom]\nold = x\n');
    expect(statSync(other).ino).toBe(statSync(file).ino);
    expect(statSync(file).nlink).toBe(2);
  });
});

describe('config set refuses what env would refuse', () => {
  it('refuses a value or name that is not UTF-8 instead of writing U+FFFD, changing nothing', () => {
    write('p/config.ini', '[custom]\n');
    const run = (assignment: string) =>
      spawnSync('bash', ['-c', `exec "$0" "$1" config set p "${assignment}"`, process.execPath, CLI], {
        cwd: workspace.dir,
        encoding: 'utf8',
        env: cleanEnv(),
      });
    expect(run(`custom.k=caf$(printf '\\xe9')`)).toMatchObject({
      status: 2,
      stderr:
        'bootstrap-plugin: error: cannot set "custom.k": the value is not valid UTF-8 (its bytes arrive as ' +
        'U+FFFD "\uFFFD", which is refused for that reason): give it in UTF-8\n',
    });
    expect(run(`custom.k$(printf '\\xff')=v`)).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('the name is not valid UTF-8'),
    });
    expect(read('p/config.ini')).toBe('[custom]\n');
  });

  it("refuses k], k[] and a-b beside a_b with env's rule and words, naming the other key's line", async () => {
    write('p/config.ini', '# comment\n[custom]\na_b = 1\n[DEFAULT]\nx_y = 2\n');
    const cases: Array<[string, string]> = [
      [
        'custom.k]=1',
        'cannot set "custom.k]": a key holding [ or ] must be a variant, KEY[CONFIG_NAME] (e.g. port[DEV])',
      ],
      [
        'custom.k[]=1',
        'cannot set "custom.k[]": a key holding [ or ] must be a variant, KEY[CONFIG_NAME] (e.g. port[DEV])',
      ],
      [
        'custom.a-b=1',
        'cannot set "custom.a-b": [custom] a-b gives the variable …_CUSTOM_A_B, as [custom] a_b at ' +
          `${join('p', 'config.ini')}:3 does: rename one of them`,
      ],
      [
        'custom.x-y=1',
        'cannot set "custom.x-y": [custom] x-y gives the variable …_CUSTOM_X_Y, as [custom] x_y at ' +
          `${join('p', 'config.ini')}:5 does: rename one of them`,
      ],
    ];
    for (const [assignment, message] of cases) {
      const run = await runCli(['config', 'set', 'p', assignment], { cwd: workspace.dir });
      expect(run).toMatchObject({ code: 2, stderr: `bootstrap-plugin: error: ${message}\n` });
    }
    const twice = await runCli(['config', 'set', 'p', 'new.a_b=1', 'new.a-b=2'], { cwd: workspace.dir });
    expect(twice.stderr).toContain('as [new] a_b at an earlier assignment of this command does');
    expect(read('p/config.ini')).toBe('# comment\n[custom]\na_b = 1\n[DEFAULT]\nx_y = 2\n');
    // config check says what env says, in env's words.
    write('q/config.ini', '[custom]\nk] = 1\na_b = 1\na-b = 2\n');
    const check = await runCli(['config', 'check', 'q', '--template', 'default'], { cwd: workspace.dir });
    const env = await runCli(['env', 'q'], { cwd: workspace.dir });
    expect(check.stdout).toContain(
      `${join('q', 'config.ini')}:2: "k]": a key holding [ or ] must be a variant, KEY[CONFIG_NAME] (e.g. port[DEV])\n`,
    );
    expect(check.stdout).toContain(
      `${join('q', 'config.ini')}:4: [custom] a-b gives the variable MFSERV_CURRENT_PLUGIN_CUSTOM_A_B, as ` +
        `[custom] a_b at ${join('q', 'config.ini')}:3 does: rename one of them\n`,
    );
    expect(check.stdout).not.toContain('unknown key "k]"');
    expect(env.stderr).toBe(
      `bootstrap-plugin: error: ${join('q', 'config.ini')}:2: "k]": a key holding [ or ] must be a variant, ` +
        `KEY[CONFIG_NAME] (e.g. port[DEV])\n`,
    );
  });

  const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
  it(`accepts a key exactly when env then accepts the file (${RUNS} random keys, seed ${SEED})`, async () => {
    const key = fc
      .array(fc.constantFrom('a', 'c', 'x', '_', '-', '.', '[', ']', 'dev', ' ', 'é', 'A', '0', '$'), {
        minLength: 1,
        maxLength: 6,
      })
      .map((parts) => parts.join(''));
    const keys = fc.sample(key, { seed: SEED, numRuns: RUNS });
    const base = '[s]\na_b = 1\n[s_x]\nc = 3\n';
    const envAccepts = (file: string) =>
      collectVariables({
        paths: [file],
        cwd: workspace.dir,
        module: 'mfserv',
        configName: 'GENERIC',
        environment: {},
      }).then(
        () => true,
        () => false,
      );
    const counts = { accepted: 0, refusedByName: 0, refusedOther: 0 };
    for (const [index, name] of keys.entries()) {
      const file = `f${index}.ini`;
      write(file, base);
      const refusal = await setConfigValues({ path: file, cwd: workspace.dir, assignments: [`s.${name}=v`] }).then(
        () => undefined,
        (error: unknown) => {
          if (!(error instanceof BootstrapError)) throw error;
          return error.message;
        },
      );
      if (refusal === undefined) {
        counts.accepted++;
        expect([name, await envAccepts(file)]).toEqual([name, true]);
      } else if (/gives the variable|must be a variant/.test(refusal)) {
        // The same key written by hand: env refuses it too.
        counts.refusedByName++;
        write(file, `[s]\na_b = 1\n${name} = v\n[s_x]\nc = 3\n`);
        expect([name, await envAccepts(file)]).toEqual([name, false]);
      } else counts.refusedOther++;
    }
    expect(counts.refusedByName).toBeGreaterThan(RUNS / 10);
    expect(counts.accepted).toBeGreaterThan(RUNS / 10);
  });
});
