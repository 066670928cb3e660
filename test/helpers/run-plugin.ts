import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { CLI, cleanEnv, runCli } from './cli.js';
import { alive, descendants } from './processes.js';
import { PYTHON_PATH_ENV, freePort, get, start, waitForOutput, type Running } from './server-process.js';

// Starting `bootstrap-plugin run` on a generated plugin, talking to it, and stopping it while
// counting what it leaves behind.

export const START_TIMEOUT_MS = 30_000;
export const SETUP_TIMEOUT_MS = 180_000;
/** The contract: everything stopped "within a few seconds". */
export const STOP_LIMIT_MS = 5_000;

export async function create(
  parent: string,
  template: string,
  name: string,
  sets: string[] = [],
  extra: string[] = [],
): Promise<string> {
  const cwd = mkdtempSync(join(parent, 'case-'));
  const created = await runCli(
    ['create', `--template=${template}`, name, '--yes', ...extra, ...sets.flatMap((s) => ['--set', s])],
    { cwd },
  );
  expect(created.code, created.stderr).toBe(0);
  return join(cwd, name);
}

/** A node plugin's dependencies, installed as its README says. */
export async function npmInstall(dir: string): Promise<void> {
  await promisify(execFile)('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, timeout: SETUP_TIMEOUT_MS });
}

/** A django plugin's postinstall, which builds its project (and says it re-creates it). */
export async function djangoPostinstall(dir: string): Promise<void> {
  const { stderr } = await promisify(execFile)('./postinstall', [], {
    cwd: dir,
    env: PYTHON_PATH_ENV,
    timeout: SETUP_TIMEOUT_MS,
  });
  expect(stderr).toMatch(/DELETING and re-creating/);
}

export interface Started {
  running: Running;
  port: number;
  /** The run's private TMPDIR: where its socket directory lives. */
  tmp: string;
}

/**
 * PATH for the runs: the Python with the web runtimes first, and no pyenv: its `python` lacks
 * them, where MetWork's `python` (which 2.x commands name) is the Python 3 that has them.
 */
export const RUN_PATH = PYTHON_PATH_ENV.PATH.split(':')
  .filter((dir) => !dir.includes('pyenv'))
  .join(':');

export async function startRun(
  dir: string,
  args: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<Started> {
  const port = await freePort();
  // Its own TMPDIR, beside the plugin: what is left there after the run was left by the run.
  const tmp = mkdtempSync(join(dir, '..', 'tmp-'));
  const env = { ...cleanEnv(), PATH: RUN_PATH, TMPDIR: tmp, ...extraEnv };
  const running = start(process.execPath, [CLI, 'run', dir, '--port', String(port), ...args], { cwd: dir, env });
  await waitForOutput(running, 'Serving plugin at', START_TIMEOUT_MS);
  return { running, port, tmp };
}

/** Requests `path` until the page holds `text` (workers start, or restart after an edit). */
export async function waitForText(started: Started, path: string, text: string): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const page = await get({ port: started.port }, path).catch((error: Error) => ({ status: 0, body: error.message }));
    last = `${page.status} ${page.body}`;
    if (page.status === 200 && page.body.includes(text)) return page.body;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`${path} never showed "${text}"; last answer: ${last}\nrun printed:\n${started.running.output()}`);
}

/** Polls `condition` until it holds or the start time-out passes; returns whether it held. */
export async function eventually(condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!condition() && Date.now() < deadline) await new Promise((done) => setTimeout(done, 100));
  return condition();
}

/** The socket files of the run's workers now. */
export function sockets(started: Started): string[] {
  return readdirSync(started.tmp).flatMap((dir) =>
    readdirSync(join(started.tmp, dir)).filter((f) => f.endsWith('.sock')),
  );
}

/** Sends `signal` to the run and reports what it left: processes, files in its TMPDIR. */
export type Stopped = Awaited<ReturnType<typeof stopRun>>;

export async function stopRun(started: Started, signal: NodeJS.Signals = 'SIGINT') {
  const { child } = started.running;
  const processes = descendants(child.pid!);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const sent = Date.now();
  child.kill(signal);
  await Promise.race([exited, new Promise((done) => setTimeout(done, 3 * STOP_LIMIT_MS))]);
  const elapsedMs = Date.now() - sent;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  return {
    processes,
    code: child.exitCode,
    signal: child.signalCode,
    elapsedMs,
    left: alive(processes),
    files: readdirSync(started.tmp),
  };
}

export interface RunWhileOptions {
  args?: string[];
  env?: Record<string, string>;
  /** How the run is stopped; SIGINT (Ctrl-C) by default. */
  signal?: NodeJS.Signals;
}

/**
 * Runs `body` against the plugin in `dir` while `run` serves it, then stops the run, also when
 * `body` fails; returns what the stop left and what the run printed.
 */
export async function runWhile(
  dir: string,
  body: (started: Started) => Promise<void>,
  options: RunWhileOptions = {},
): Promise<{ stopped: Stopped; output: string }> {
  const started = await startRun(dir, options.args, options.env);
  let stopped: Stopped;
  try {
    await body(started);
  } finally {
    stopped = await stopRun(started, options.signal);
  }
  return { stopped, output: started.running.output() };
}

/** Runs `body` against the plugin in `dir` while `run` serves it, then stops it (SIGINT) and checks it left nothing. */
export async function withRun(dir: string, body: (started: Started) => Promise<void>): Promise<void> {
  const { stopped, output } = await runWhile(dir, body);
  expectNothingLeft(stopped, output);
}

export function expectNothingLeft(stopped: Stopped, output: string): void {
  // One comparison, so a failure's diff shows which promise broke (and the output says why).
  const seen = {
    stoppedInTime: stopped.elapsedMs < STOP_LIMIT_MS,
    hadProcesses: stopped.processes.length > 0,
    left: stopped.left,
    files: stopped.files,
  };
  expect(seen, `stopped in ${stopped.elapsedMs} ms; run printed:\n${output}`).toEqual({
    stoppedInTime: true,
    hadProcesses: true,
    left: [],
    files: [],
  });
}
