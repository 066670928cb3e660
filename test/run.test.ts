import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeTempDir, runCli } from './helpers/cli.js';
import { alive, descendants } from './helpers/processes.js';
import { PYTHON_PATH_ENV, freePort, get, start, waitForOutput, type Running } from './helpers/server-process.js';

// `bootstrap-plugin run` end to end: generated plugins served through its proxy at /NAME/, code
// edits picked up, and every process and socket gone after Ctrl-C, SIGTERM or SIGHUP.

const execFileAsync = promisify(execFile);
const temp = makeTempDir('bp-run-cmd-');
afterAll(temp.cleanup);

const START_TIMEOUT_MS = 30_000;
const SETUP_TIMEOUT_MS = 180_000;
/** The contract: everything stopped "within a few seconds". */
const STOP_LIMIT_MS = 5_000;
const WORKERS = 2;

async function create(template: string, name: string, sets: string[] = []): Promise<string> {
  const cwd = mkdtempSync(join(temp.dir, 'case-'));
  const created = await runCli(['create', `--template=${template}`, name, '--yes', ...sets.flatMap((s) => ['--set', s])], { cwd });
  expect(created.code, created.stderr).toBe(0);
  return join(cwd, name);
}

interface Started {
  running: Running;
  port: number;
  /** The run's private TMPDIR: where its socket directory lives. */
  tmp: string;
}

async function startRun(dir: string, args: string[] = []): Promise<Started> {
  const port = await freePort();
  const tmp = mkdtempSync(join(temp.dir, 'tmp-'));
  const env = { ...cleanEnv(), PATH: PYTHON_PATH_ENV.PATH, TMPDIR: tmp };
  const running = start(process.execPath, [CLI, 'run', dir, '--port', String(port), ...args], { cwd: dir, env });
  await waitForOutput(running, 'Serving plugin at', START_TIMEOUT_MS);
  return { running, port, tmp };
}

/** Requests `path` until the page holds `text` (workers start, or restart after an edit). */
async function waitForText(started: Started, path: string, text: string): Promise<string> {
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
async function eventually(condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!condition() && Date.now() < deadline) await new Promise((done) => setTimeout(done, 100));
  return condition();
}

/** The socket files of the run's workers now. */
function sockets(started: Started): string[] {
  return readdirSync(started.tmp).flatMap((dir) => readdirSync(join(started.tmp, dir)).filter((f) => f.endsWith('.sock')));
}

/** Sends `signal` to the run and reports what it left: processes, files in its TMPDIR. */
async function stopRun(started: Started, signal: NodeJS.Signals = 'SIGINT') {
  const { child } = started.running;
  const processes = descendants(child.pid!);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const sent = Date.now();
  child.kill(signal);
  await Promise.race([exited, new Promise((done) => setTimeout(done, 3 * STOP_LIMIT_MS))]);
  const elapsedMs = Date.now() - sent;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  return { processes, code: child.exitCode, signal: child.signalCode, elapsedMs, left: alive(processes), files: readdirSync(started.tmp) };
}

function expectNothingLeft(stopped: Awaited<ReturnType<typeof stopRun>>, output: string): void {
  expect(stopped.elapsedMs, output).toBeLessThan(STOP_LIMIT_MS);
  expect(stopped.processes.length, output).toBeGreaterThan(0);
  expect(stopped.left, output).toEqual([]);
  expect(stopped.files, output).toEqual([]);
}

interface EditCase {
  template: string;
  sets?: string[];
  setup?: (dir: string) => Promise<void>;
  /** The file holding the code, relative to the plugin, and the edit made to it. */
  edit: (name: string) => { file: string; from: string; to: string; shows: string };
}

const EDIT_CASES: EditCase[] = [
  {
    template: 'flask',
    edit: (name) => ({ file: 'main/wsgi.py', from: 'plugin=PLUGIN_NAME)', to: 'plugin=PLUGIN_NAME + " (edited)")', shows: `Hello from the ${name} (edited) plugin!` }),
  },
  {
    template: 'default',
    sets: ['type=aiohttp'],
    edit: () => ({ file: 'main/application.py', from: 'Hello from the', to: 'Edited hello from the', shows: 'Edited hello from the' }),
  },
  {
    template: 'node',
    setup: async (dir) => {
      await execFileAsync('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, timeout: SETUP_TIMEOUT_MS });
    },
    edit: (name) => ({ file: `${name}/server.js`, from: 'Hello from the', to: 'Edited hello from the', shows: 'Edited hello from the' }),
  },
];

describe.concurrent('run serves a plugin at /NAME/, picks up code edits and leaves nothing after Ctrl-C', () => {
  EDIT_CASES.forEach((c) => {
    const title = `${c.template}${c.sets ? ` (${c.sets.join(' ')})` : ''}`;
    it(`${title}: one socket per worker, the edit served after one restart line, exit 130 with no process or socket left`, async () => {
      const name = `edit_${c.template}_${c.sets ? 'aiohttp' : 'app'}`;
      const dir = await create(c.template, name, [...(c.sets ?? []), `workers=${WORKERS}`]);
      await c.setup?.(dir);
      const started = await startRun(dir);
      try {
        await waitForText(started, `/${name}/`, `Hello from the ${name} plugin!`);
        await eventually(() => sockets(started).length === WORKERS);
        expect(sockets(started)).toHaveLength(WORKERS);
        const edit = c.edit(name);
        const path = join(dir, edit.file);
        const source = readFileSync(path, 'utf8');
        expect(source).toContain(edit.from);
        writeFileSync(path, source.replace(edit.from, edit.to));
        await waitForText(started, `/${name}/`, edit.shows);
        const restarts = started.running.output().split('\n').filter((line) => line.includes('changed: restarting'));
        expect(restarts).toEqual([`${edit.file} changed: restarting ${WORKERS} process(es)`]);
      } finally {
        const stopped = await stopRun(started, 'SIGINT');
        expectNothingLeft(stopped, started.running.output());
        expect(stopped.code).toBe(130);
      }
    }, SETUP_TIMEOUT_MS);
  });
});
