import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from './helpers/cli.js';
import {
  SETUP_TIMEOUT_MS,
  STOP_LIMIT_MS,
  create,
  djangoPostinstall,
  eventually,
  expectNothingLeft,
  npmInstall,
  runWhile,
  sockets,
  waitForText,
  type Started,
} from './helpers/run-plugin.js';

// `bootstrap-plugin run` end to end: generated plugins served through its proxy at /NAME/, code
// edits picked up, and every process and socket gone after Ctrl-C, SIGTERM or SIGHUP.

const temp = makeTempDir('bp-run-cmd-');
afterAll(temp.cleanup);

const WORKERS = 2;

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
    edit: (name) => ({
      file: 'main/wsgi.py',
      from: 'plugin=PLUGIN_NAME)',
      to: 'plugin=PLUGIN_NAME + " (edited)")',
      shows: `Hello from the ${name} (edited) plugin!`,
    }),
  },
  {
    template: 'default',
    sets: ['type=aiohttp'],
    edit: () => ({
      file: 'main/application.py',
      from: 'Hello from the',
      to: 'Edited hello from the',
      shows: 'Edited hello from the',
    }),
  },
  {
    template: 'node',
    setup: (dir) => npmInstall(dir),
    edit: (name) => ({
      file: `${name}/server.js`,
      from: 'Hello from the',
      to: 'Edited hello from the',
      shows: 'Edited hello from the',
    }),
  },
];

describe.concurrent('run serves a plugin at /NAME/, picks up code edits and leaves nothing after Ctrl-C', () => {
  EDIT_CASES.forEach((c) => {
    const title = `${c.template}${c.sets ? ` (${c.sets.join(' ')})` : ''}`;
    it(
      `${title}: one socket per worker, the edit served after one restart line, exit 130 with no process or ` +
        'socket left',
      async () => {
        const name = `edit_${c.template}_${c.sets ? 'aiohttp' : 'app'}`;
        const dir = await create(temp.dir, c.template, name, [...(c.sets ?? []), `workers=${WORKERS}`]);
        await c.setup?.(dir);
        const { stopped, output } = await runWhile(dir, async (started) => {
          await waitForText(started, `/${name}/`, `Hello from the ${name} plugin!`);
          await eventually(() => sockets(started).length === WORKERS);
          expect(sockets(started)).toHaveLength(WORKERS);
          const edit = c.edit(name);
          const path = join(dir, edit.file);
          const source = readFileSync(path, 'utf8');
          expect(source).toContain(edit.from);
          writeFileSync(path, source.replace(edit.from, edit.to));
          await waitForText(started, `/${name}/`, edit.shows);
          const restarts = started.running
            .output()
            .split('\n')
            .filter((line) => line.includes('changed: restarting'));
          expect(restarts).toEqual([`${edit.file} changed: restarting ${WORKERS} process(es)`]);
        });
        expectNothingLeft(stopped, output);
        expect(stopped.code).toBe(130);
      },
      SETUP_TIMEOUT_MS,
    );
  });
});

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
  {
    title: '0.9 default python2_sync (under python3)',
    template: 'default',
    sets: ['type=python2_sync'],
    stopWith: 'SIGHUP',
  },
  { title: '0.9 default gunicorn3_sync', template: 'default', sets: ['type=gunicorn3_sync'], stopWith: 'SIGINT' },
  {
    title: '0.9 default gunicorn2_sync (under python3)',
    template: 'default',
    sets: ['type=gunicorn2_sync'],
    stopWith: 'SIGTERM',
  },
  { title: '0.9 default gunicorn3_asyncio', template: 'default', sets: ['type=gunicorn3_asyncio'], stopWith: 'SIGHUP' },
  { title: '0.9 static', template: 'static', stopWith: 'SIGTERM' },
  {
    title: '0.9 django, after its postinstall',
    template: 'django',
    setup: djangoPostinstall,
    stopWith: 'SIGINT',
  },
  {
    title: '2.x python3_flask (_cmd_and_args with bjoern_wrapper.py)',
    template: 'python3_flask',
    metwork2: true,
    stopWith: 'SIGTERM',
  },
  { title: '2.x python3_raw_wsgi', template: 'python3_raw_wsgi', metwork2: true, stopWith: 'SIGINT' },
  {
    title: '2.x python3_aiohttp (python {plugin_dir}/{app_name}/application.py)',
    template: 'python3_aiohttp',
    metwork2: true,
    stopWith: 'SIGTERM',
  },
  {
    title: '2.x node ({plugin_name}/server.js)',
    template: 'node',
    metwork2: true,
    setup: npmInstall,
    stopWith: 'SIGHUP',
  },
  {
    title: '2.x static (_static_directory empty: the application directory)',
    template: 'static',
    metwork2: true,
    stopWith: 'SIGINT',
  },
];

/** How a run ends for each signal: 130 for an interruption, and SIGHUP passed on, as a shell expects. */
const ENDED_BY: Record<string, { code: number | null; signal: string | null }> = {
  SIGINT: { code: 130, signal: null },
  SIGTERM: { code: 130, signal: null },
  SIGHUP: { code: null, signal: 'SIGHUP' },
};

describe.concurrent('run serves every template at /NAME/ and stops cleanly on SIGINT, SIGTERM and SIGHUP', () => {
  SERVE_CASES.forEach((c, index) => {
    it(
      `${c.title}: a page naming the plugin, then ${c.stopWith} leaves no process or socket`,
      async () => {
        const name = `serve_${index}`;
        const generation = c.metwork2 ? ['--metwork', '2'] : [];
        const dir = await create(temp.dir, c.template, name, c.sets, generation);
        await c.setup?.(dir);
        // MetWork 2 templates take their process count from the hardware; two is enough here.
        const env = { MFHARDWARE_NUMBER_OF_CPU_CORES_MULTIPLIED_BY_2: '2' };
        const served = async (started: Started) => {
          const body = await waitForText(started, `/${name}/`, name);
          expect(body).toMatch(new RegExp(`Hello (World )?from the ${name} plugin|<h1>Plugin ${name}</h1>`));
        };
        const { stopped, output } = await runWhile(dir, served, { env, signal: c.stopWith });
        expect({ code: stopped.code, signal: stopped.signal }, output).toEqual(ENDED_BY[c.stopWith]);
        expect(stopped.elapsedMs, output).toBeLessThan(STOP_LIMIT_MS);
        expect(stopped.left, output).toEqual([]);
        expect(stopped.files, output).toEqual([]);
      },
      SETUP_TIMEOUT_MS,
    );
  });
});

describe('run from a sub-folder of a plugin', () => {
  it(
    'serves the plugin around it and names that root, not the folder it was started in',
    async () => {
      const dir = await create(temp.dir, 'static', 'nested');
      const served = async (started: Started) => {
        expect(started.running.output()).toContain(`/nested/ from ${dir} (Ctrl-C stops everything)`);
        await waitForText(started, '/nested/', 'nested');
      };
      const { stopped, output } = await runWhile(join(dir, 'main'), served, { signal: 'SIGTERM' });
      // A static plugin starts no process: what is left to check is the exit and the socket directory.
      expect({ code: stopped.code, files: stopped.files }, output).toEqual({ code: 130, files: [] });
    },
    SETUP_TIMEOUT_MS,
  );

  it('names the root config.ini in its errors', async () => {
    const dir = await create(temp.dir, 'static', 'nested_bad');
    writeFileSync(join(dir, 'config.ini'), '[app_main]\ntype = python3_sync\nworkers = many\n');
    const run = await runCli(['run'], { cwd: join(dir, 'main') });
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 2,
      stderr:
        'bootstrap-plugin: error: ../config.ini:3: [app_main] workers must be a whole number of at least 1, ' +
        'not "many"\n',
    });
    writeFileSync(join(dir, 'config.ini'), '[general]\n');
    const idle = await runCli(['run', 'main'], { cwd: dir });
    expect(idle.stderr).toBe(
      'bootstrap-plugin: error: config.ini: nothing to run (no [app_*] or [extra_daemon_*] section)\n',
    );
  });
});
