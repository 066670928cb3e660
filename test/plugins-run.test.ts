import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from './helpers/cli.js';
import { create, djangoPostinstall, npmInstall } from './helpers/run-plugin.js';
import {
  PYTHON,
  PYTHON_PATH_ENV,
  freePort,
  start,
  stop,
  waitForOutput,
  waitForPage,
  type Address,
  type Page,
} from './helpers/server-process.js';

// Every generated application is started the way MFSERV starts it (listen address first, request
// timeout second) and must answer over HTTP with a page naming its plugin.

const run = promisify(execFile);
const temp = makeTempDir('bp-run-');
afterAll(temp.cleanup);

const START_TIMEOUT_MS = 20_000;
const SETUP_TIMEOUT_MS = 120_000;
// Every test here creates a plugin and starts its processes, some after npm install or a postinstall.
vi.setConfig({ testTimeout: SETUP_TIMEOUT_MS });
const REQUEST_TIMEOUT_SECONDS = '60';
const DAEMON_INTERVAL_SECONDS = '0.2';

type Transport = 'tcp' | 'unix';

/** The address as MFSERV passes it (HOST:PORT or a socket path), and how the test reaches it. */
async function listenOn(transport: Transport, dir: string): Promise<{ arg: string; address: Address }> {
  if (transport === 'unix') {
    const socketPath = join(dir, 'app.sock');
    return { arg: socketPath, address: { socketPath } };
  }
  const port = await freePort();
  return { arg: `127.0.0.1:${port}`, address: { port } };
}

/** Starts the app, requests each path once it answers, and always stops it. */
async function serve(dir: string, command: [string, string[]], address: Address, paths: string[]): Promise<Page[]> {
  const running = start(command[0], command[1], { cwd: dir, env: PYTHON_PATH_ENV });
  try {
    const pages = [await waitForPage(running, address, paths[0], START_TIMEOUT_MS)];
    for (const path of paths.slice(1)) pages.push(await waitForPage(running, address, path, START_TIMEOUT_MS));
    return pages;
  } finally {
    await stop(running);
  }
}

const gunicorn = (bind: string, target: string, extra: string[] = []): [string, string[]] => [
  PYTHON,
  ['-m', 'gunicorn', '--bind', bind, '--timeout', REQUEST_TIMEOUT_SECONDS, '--workers', '1', ...extra, target],
];
const gunicornBind = (transport: Transport, arg: string) => (transport === 'unix' ? `unix:${arg}` : arg);

interface WebCase {
  title: string;
  template: string;
  sets?: string[];
  transport: Transport;
  /** The command MFSERV would run, from the plugin directory. */
  command: (name: string, listen: string, transport: Transport) => [string, string[]];
  /** Work done once before starting: npm install, Django's postinstall. */
  setup?: (dir: string) => Promise<void>;
  /** Served behind MFSERV's prefix routing, at /NAME/, as well as at /. */
  prefixed: boolean;
  /** More paths that must answer the hello page (NAME stands for the plugin's name). */
  extraPaths?: string[];
}

const WEB_CASES: WebCase[] = [
  {
    title: 'default python3_sync: python3 main/wsgi.py HOST:PORT TIMEOUT serves the WSGI application',
    template: 'default',
    sets: ['type=python3_sync'],
    transport: 'tcp',
    command: (_, listen) => [PYTHON, ['main/wsgi.py', listen, REQUEST_TIMEOUT_SECONDS]],
    prefixed: true,
  },
  {
    title: 'default python2_sync (python2 is not installed here): its 2/3-compatible main/wsgi.py serves under python3',
    template: 'default',
    sets: ['type=python2_sync'],
    transport: 'unix',
    command: (_, listen) => [PYTHON, ['main/wsgi.py', listen, REQUEST_TIMEOUT_SECONDS]],
    prefixed: true,
  },
  {
    title: 'default aiohttp: python3 main/application.py SOCKET TIMEOUT serves over a unix socket',
    template: 'default',
    sets: ['type=aiohttp'],
    transport: 'unix',
    command: (_, listen) => [PYTHON, ['main/application.py', listen, REQUEST_TIMEOUT_SECONDS]],
    prefixed: true,
  },
  {
    title: 'default aiohttp: python3 main/application.py HOST:PORT TIMEOUT serves over TCP',
    template: 'default',
    sets: ['type=aiohttp'],
    transport: 'tcp',
    command: (_, listen) => [PYTHON, ['main/application.py', listen, REQUEST_TIMEOUT_SECONDS]],
    prefixed: false,
  },
  {
    title: 'default gunicorn3_sync: gunicorn --bind --timeout main.wsgi:application serves it',
    template: 'default',
    sets: ['type=gunicorn3_sync'],
    transport: 'tcp',
    command: (_, listen, transport) => gunicorn(gunicornBind(transport, listen), 'main.wsgi:application'),
    prefixed: true,
  },
  {
    title:
      'default gunicorn2_sync (python2 is not installed here): its 2/3-compatible app serves under gunicorn ' +
      'for python3',
    template: 'default',
    sets: ['type=gunicorn2_sync'],
    transport: 'unix',
    command: (_, listen, transport) => gunicorn(gunicornBind(transport, listen), 'main.wsgi:application'),
    prefixed: false,
  },
  {
    title: 'default gunicorn3_asyncio: gunicorn with aiohttp.GunicornWebWorker serves main.application:app',
    template: 'default',
    sets: ['type=gunicorn3_asyncio'],
    transport: 'unix',
    command: (_, listen, transport) =>
      gunicorn(gunicornBind(transport, listen), 'main.application:app', [
        '--worker-class',
        'aiohttp.GunicornWebWorker',
      ]),
    prefixed: true,
  },
  {
    title: 'flask: python3 main/wsgi.py HOST:PORT TIMEOUT serves the Flask app and its Jinja2 page',
    template: 'flask',
    transport: 'tcp',
    command: (_, listen) => [PYTHON, ['main/wsgi.py', listen, REQUEST_TIMEOUT_SECONDS]],
    prefixed: true,
  },
  {
    title:
      'django: the real postinstall builds the project, then python3 NAME/wsgi.py SOCKET TIMEOUT serves the ' +
      'hello app, also at /NAME/NAME/ ([app_NAME])',
    template: 'django',
    transport: 'unix',
    setup: djangoPostinstall,
    command: (name, listen) => [PYTHON, [`${name}/wsgi.py`, listen, REQUEST_TIMEOUT_SECONDS]],
    prefixed: true,
    extraPaths: ['/NAME/NAME/'],
  },
  {
    title: 'django gunicorn3_sync: after postinstall, gunicorn --bind --timeout NAME.wsgi:application serves it',
    template: 'django',
    sets: ['type=gunicorn3_sync'],
    transport: 'tcp',
    setup: djangoPostinstall,
    command: (name, listen, transport) => gunicorn(gunicornBind(transport, listen), `${name}.wsgi:application`),
    prefixed: true,
    extraPaths: ['/NAME/NAME/'],
  },
  {
    title: 'node: after npm install, node NAME/server.js SOCKET TIMEOUT serves the Express app',
    template: 'node',
    transport: 'unix',
    setup: npmInstall,
    command: (name, listen) => [process.execPath, [`${name}/server.js`, listen, REQUEST_TIMEOUT_SECONDS]],
    prefixed: true,
  },
  {
    title: 'static: main/index.html, served as files (nginx does it under MFSERV), names the plugin',
    template: 'static',
    transport: 'tcp',
    command: (_, listen) => [
      PYTHON,
      ['-m', 'http.server', listen.split(':')[1], '--bind', '127.0.0.1', '--directory', 'main'],
    ],
    prefixed: false,
  },
];

describe.concurrent('generated web applications answer HTTP requests', () => {
  WEB_CASES.forEach((c, index) => {
    it(c.title, async () => {
      const name = `run_${c.template}_${index}`;
      const dir = await create(temp.dir, c.template, name, c.sets);
      await c.setup?.(dir);
      const { arg, address } = await listenOn(c.transport, dir);
      const paths = [
        ...(c.prefixed ? ['/', `/${name}/`] : ['/']),
        ...(c.extraPaths ?? []).map((p) => p.replaceAll('NAME', name)),
      ];
      const pages = await serve(dir, c.command(name, arg, c.transport), address, paths);
      for (const page of pages) {
        expect(page.status).toBe(200);
        expect(page.body).toContain(`Hello from the ${name} plugin!`);
      }
    });
  });
});

describe.concurrent('the django project postinstall creates', () => {
  it('uses the secret key generated at create time and takes DEBUG from the plugin debug settings', async () => {
    const name = 'run_django_settings';
    const dir = await create(temp.dir, 'django', name);
    await djangoPostinstall(dir);
    const keyInScript = /SECRET_KEY = "([^"]+)"/.exec(readFileSync(join(dir, 'postinstall'), 'utf8'))?.[1];
    expect(keyInScript).toHaveLength(50);
    const settings = async (env: Record<string, string>) => {
      const code = `import json, ${name}.settings as s; print(json.dumps([s.SECRET_KEY, s.DEBUG, s.ALLOWED_HOSTS]))`;
      const { stdout } = await run(PYTHON, ['-c', code], {
        cwd: dir,
        env: { ...PYTHON_PATH_ENV, ...env },
        timeout: 20_000,
      });
      return JSON.parse(stdout) as [string, boolean, string[]];
    };
    expect(await settings({})).toEqual([keyInScript, false, ['localhost', '127.0.0.1', '[::1]']]);
    expect((await settings({ [`MFSERV_CURRENT_PLUGIN_APP_${name.toUpperCase()}_DEBUG`]: '1' }))[1]).toBe(true);
    expect((await settings({ MFSERV_CURRENT_PLUGIN_DEBUG: '1' }))[1]).toBe(true);
  });
});

interface DaemonCase {
  type: string;
  /** How to start bin/ the daemon; run directly, it proves the file is executable. */
  command: (script: string) => [string, string[]];
  script: string;
}

const DAEMON_CASES: DaemonCase[] = [
  { type: 'python3', script: 'bin/example_daemon.py', command: (s) => [s, [DAEMON_INTERVAL_SECONDS]] },
  { type: 'node', script: 'bin/example_daemon.js', command: (s) => [s, [DAEMON_INTERVAL_SECONDS]] },
  { type: 'nothing', script: 'bin/example_daemon.sh', command: (s) => [s, [DAEMON_INTERVAL_SECONDS]] },
  // python2 is not installed here: the daemon is written for both, so python3 runs it.
  { type: 'python2', script: 'bin/example_daemon.py', command: (s) => [PYTHON, [s, DAEMON_INTERVAL_SECONDS]] },
];

describe.concurrent('the empty template example daemon', () => {
  DAEMON_CASES.forEach((c) => {
    const note = c.type === 'python2' ? ' (python2 is not installed here: run by python3)' : '';
    it(`type ${c.type}: ${c.script} beats in the foreground and exits 0 on SIGTERM${note}`, async () => {
      const name = `run_empty_${c.type}`;
      const dir = await create(temp.dir, 'empty', name, [`type=${c.type}`]);
      const [command, args] = c.command(c.script);
      const running = start(command, args, { cwd: dir, env: PYTHON_PATH_ENV });
      try {
        const output = await waitForOutput(running, `${name} daemon: alive\n${name} daemon: alive`, START_TIMEOUT_MS);
        expect(output).toContain(`${name} daemon: alive`);
      } finally {
        await stop(running);
      }
      expect(running.child.exitCode).toBe(0);
    });
  });
});

describe.concurrent('the flask application, as the original template', () => {
  it('greets /NAME/<name> from its Jinja2 page (escaped) and answers unknown paths with its 404 page', async () => {
    const name = 'run_flask_pages';
    const dir = await create(temp.dir, 'flask', name);
    const { arg, address } = await listenOn('tcp', dir);
    const running = start(PYTHON, ['main/wsgi.py', arg, REQUEST_TIMEOUT_SECONDS], { cwd: dir, env: PYTHON_PATH_ENV });
    try {
      const greeting = await waitForPage(running, address, `/${name}/Ann%3Cb%3E`, START_TIMEOUT_MS);
      expect(greeting.status).toBe(200);
      expect(greeting.body).toContain('Hello Ann&lt;b&gt;!');
      const missing = await waitForPage(running, address, '/no/such/page', START_TIMEOUT_MS);
      expect(missing.status).toBe(404);
      expect(missing.body).toContain(`The ${name} plugin has no page at this address.`);
    } finally {
      await stop(running);
    }
  });
});

// Issue 12, point 17: run by hand without arguments, an entry point said IndexError. Now it prints
// its usage and listens on 127.0.0.1:8080 (one case at a time: they share that port).
const DEFAULT_PORT = 8080;
const NO_ARGUMENT_CASES: Array<{ title: string; template: string; sets: string[]; script: string }> = [
  {
    title: 'default python3_sync: python3 main/wsgi.py',
    template: 'default',
    sets: ['type=python3_sync'],
    script: 'main/wsgi.py',
  },
  {
    title: 'default python2_sync: python3 main/wsgi.py',
    template: 'default',
    sets: ['type=python2_sync'],
    script: 'main/wsgi.py',
  },
  {
    title: 'default aiohttp: python3 main/application.py',
    template: 'default',
    sets: ['type=aiohttp'],
    script: 'main/application.py',
  },
  { title: 'flask: python3 main/wsgi.py', template: 'flask', sets: [], script: 'main/wsgi.py' },
];

function assertPortFree(port: number): Promise<void> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', () =>
      fail(
        new Error(
          `port ${port} is taken on this machine: the no-argument default cannot be tried (free it and run again)`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => done()));
  });
}

describe.sequential('Python entry points run without arguments', () => {
  NO_ARGUMENT_CASES.forEach((c, index) => {
    it(`${c.title}: prints its usage, then serves on 127.0.0.1:${DEFAULT_PORT} with a 60 s timeout`, async () => {
      const name = `run_noargs_${index}`;
      const dir = await create(temp.dir, c.template, name, c.sets);
      await assertPortFree(DEFAULT_PORT);
      const running = start(PYTHON, [c.script], { cwd: dir, env: PYTHON_PATH_ENV });
      try {
        const page = await waitForPage(running, { port: DEFAULT_PORT }, `/${name}/`, START_TIMEOUT_MS);
        expect(page.status).toBe(200);
        expect(page.body).toContain(`Hello from the ${name} plugin!`);
        expect(running.output()).toContain(
          `usage: python3 ${c.script} [HOST:PORT|SOCKET_PATH [TIMEOUT_SECONDS]]  (default: 127.0.0.1:8080 60)`,
        );
        expect(running.output()).not.toContain('Traceback');
      } finally {
        await stop(running);
      }
    });

    it(`${c.title} --help prints the usage and exits 0; a timeout that is not a number exits 2 with it`, async () => {
      const dir = await create(temp.dir, c.template, `run_usage_${index}`, c.sets);
      const help = await run(PYTHON, [c.script, '--help'], { cwd: dir, env: PYTHON_PATH_ENV, timeout: 20_000 });
      expect(help.stdout).toMatch(/^usage: python3 /);
      const bad = await run(PYTHON, [c.script, '127.0.0.1:1', 'soon'], {
        cwd: dir,
        env: PYTHON_PATH_ENV,
        timeout: 20_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^usage: python3 /);
      expect(bad.stderr).not.toContain('Traceback');
    });
  });
});
