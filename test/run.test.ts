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

async function create(template: string, name: string, sets: string[] = [], extra: string[] = []): Promise<string> {
  const cwd = mkdtempSync(join(temp.dir, 'case-'));
  const created = await runCli(['create', `--template=${template}`, name, '--yes', ...extra, ...sets.flatMap((s) => ['--set', s])], { cwd });
  expect(created.code, created.stderr).toBe(0);
  return join(cwd, name);
}

interface Started {
  running: Running;
  port: number;
  /** The run's private TMPDIR: where its socket directory lives. */
  tmp: string;
}

/**
 * PATH for the runs: the Python with the web runtimes first, and no pyenv: its `python` lacks
 * them, where MetWork's `python` (which 2.x commands name) is the Python 3 that has them.
 */
const RUN_PATH = PYTHON_PATH_ENV.PATH.split(':').filter((dir) => !dir.includes('pyenv')).join(':');

async function startRun(dir: string, args: string[] = [], extraEnv: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const tmp = mkdtempSync(join(temp.dir, 'tmp-'));
  const env = { ...cleanEnv(), PATH: RUN_PATH, TMPDIR: tmp, ...extraEnv };
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
    setup: (dir) => npmInstall(dir),
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

const npmInstall = async (dir: string) => {
  await execFileAsync('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, timeout: SETUP_TIMEOUT_MS });
};

interface ServeCase {
  title: string;
  template: string;
  sets?: string[];
  metwork2?: boolean;
  setup?: (dir: string) => Promise<void>;
  stopWith: NodeJS.Signals;
}

const SERVE_CASES: ServeCase[] = [
  { title: '0.9 default python3_sync', template: 'default', sets: ['type=python3_sync'], stopWith: 'SIGTERM' },
  { title: '0.9 default python2_sync (under python3)', template: 'default', sets: ['type=python2_sync'], stopWith: 'SIGHUP' },
  { title: '0.9 default gunicorn3_sync', template: 'default', sets: ['type=gunicorn3_sync'], stopWith: 'SIGINT' },
  { title: '0.9 default gunicorn2_sync (under python3)', template: 'default', sets: ['type=gunicorn2_sync'], stopWith: 'SIGTERM' },
  { title: '0.9 default gunicorn3_asyncio', template: 'default', sets: ['type=gunicorn3_asyncio'], stopWith: 'SIGHUP' },
  { title: '0.9 static', template: 'static', stopWith: 'SIGTERM' },
  {
    title: '0.9 django, after its postinstall',
    template: 'django',
    setup: async (dir) => {
      await execFileAsync('./postinstall', [], { cwd: dir, env: PYTHON_PATH_ENV, timeout: SETUP_TIMEOUT_MS });
    },
    stopWith: 'SIGINT',
  },
  { title: '2.x python3_flask (_cmd_and_args with bjoern_wrapper.py)', template: 'python3_flask', metwork2: true, stopWith: 'SIGTERM' },
  { title: '2.x python3_raw_wsgi', template: 'python3_raw_wsgi', metwork2: true, stopWith: 'SIGINT' },
  { title: '2.x python3_aiohttp (python {plugin_dir}/{app_name}/application.py)', template: 'python3_aiohttp', metwork2: true, stopWith: 'SIGTERM' },
  { title: '2.x node ({plugin_name}/server.js)', template: 'node', metwork2: true, setup: npmInstall, stopWith: 'SIGHUP' },
  { title: '2.x static (_static_directory empty: the application directory)', template: 'static', metwork2: true, stopWith: 'SIGINT' },
];

/** How a run ends for each signal: 130 for an interruption, and SIGHUP passed on, as a shell expects. */
const ENDED_BY: Record<string, { code: number | null; signal: string | null }> = {
  SIGINT: { code: 130, signal: null },
  SIGTERM: { code: 130, signal: null },
  SIGHUP: { code: null, signal: 'SIGHUP' },
};

describe.concurrent('run serves every template at /NAME/ and stops cleanly on SIGINT, SIGTERM and SIGHUP', () => {
  SERVE_CASES.forEach((c, index) => {
    it(`${c.title}: a page naming the plugin, then ${c.stopWith} leaves no process or socket`, async () => {
      const name = `serve_${index}`;
      const generation = c.metwork2 ? ['--metwork', '2'] : [];
      const dir = await create(c.template, name, c.sets, generation);
      await c.setup?.(dir);
      // MetWork 2 templates take their process count from the hardware; two is enough here.
      const started = await startRun(dir, [], { MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2: '2' });
      let stopped: Awaited<ReturnType<typeof stopRun>> | undefined;
      try {
        const body = await waitForText(started, `/${name}/`, name);
        expect(body).toMatch(new RegExp(`Hello (World )?from the ${name} plugin|<h1>Plugin ${name}</h1>`));
      } finally {
        stopped = await stopRun(started, c.stopWith);
      }
      const output = started.running.output();
      expect({ code: stopped.code, signal: stopped.signal }, output).toEqual(ENDED_BY[c.stopWith]);
      expect(stopped.elapsedMs, output).toBeLessThan(STOP_LIMIT_MS);
      expect(stopped.left, output).toEqual([]);
      expect(stopped.files, output).toEqual([]);
    }, SETUP_TIMEOUT_MS);
  });
});
