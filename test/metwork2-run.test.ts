import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, makeTempDir, ROOT, runCli } from './helpers/cli.js';
import { PYTHON, start, stop, waitForPage } from './helpers/server-process.js';

// Each format-2 template whose runtime Debian packages (Flask, Django, aiohttp, Tornado, a raw
// WSGI and a raw ASGI server, Node with Express) is started the way its [app_main]
// _cmd_and_args says, placeholders filled in as MetWork fills them, inside the environment
// `bootstrap-plugin env` gives it, and must answer at /NAME/ on its unix socket.
// MetWork-only commands are stood in for (test/fixtures/metwork2-standins, each says how):
// bjoern_wrapper.py (gunicorn serves the same callable on the same socket), `python` and
// `uvicorn` (the commands of MetWork's python3 layer).

const run = promisify(execFile);
const temp = makeTempDir('bp-metwork2-run-');
afterAll(temp.cleanup);

const STANDINS = join(ROOT, 'test', 'fixtures', 'metwork2-standins');
const START_TIMEOUT_MS = 30_000;
const SETUP_TIMEOUT_MS = 180_000;
const TIMEOUT_SECONDS = '60';
const NAME = 'foo';

/** MetWork's placeholders of _cmd_and_args, as mfserv fills them for one worker (debug off). */
function fillPlaceholders(command: string, dir: string, socket: string): string {
  return command
    .replaceAll('{unix_socket_path}', socket)
    .replaceAll('{timeout}', TIMEOUT_SECONDS)
    .replaceAll('{debug_extra_options}', '')
    .replaceAll('{plugin_name}', NAME)
    .replaceAll('{plugin_dir}', dir)
    .replaceAll('{app_name}', 'main');
}

const RUNTIME_ENV = {
  PATH: `${STANDINS}:${dirname(PYTHON)}:${process.env.PATH ?? ''}`,
  // Debian's node-express.
  NODE_PATH: '/usr/share/nodejs',
};

interface Case {
  template: string;
  /** What the template's _cmd_and_args starts, for the title. */
  runs: string;
  setup?: (dir: string) => Promise<void>;
}

const CASES: Case[] = [
  { template: 'python3_flask', runs: 'bjoern_wrapper.py main.wsgi:app' },
  { template: 'default', runs: 'bjoern_wrapper.py main.wsgi:app' },
  { template: 'python3_raw_wsgi', runs: 'bjoern_wrapper.py main.wsgi:application' },
  { template: 'python3_raw_asgi', runs: 'uvicorn --uds main.application:app' },
  { template: 'python3_aiohttp', runs: 'python main/application.py' },
  { template: 'python3_tornado', runs: 'python main/application.py' },
  {
    template: 'python3_django',
    runs: `./postinstall, then bjoern_wrapper.py ${NAME}.wsgi:application`,
    setup: async (dir) => {
      await run(join(dir, 'postinstall'), [], {
        cwd: dir,
        env: { ...cleanEnv(), ...RUNTIME_ENV },
        timeout: SETUP_TIMEOUT_MS,
      });
    },
  },
  { template: 'node', runs: 'node foo/server.js' },
];

describe.each(CASES)('$template ($runs)', ({ template, setup }) => {
  it(
    'answers at /foo/ when started as its _cmd_and_args says, in the environment env gives it',
    async () => {
      const cwd = mkdtempSync(join(temp.dir, 'case-'));
      const created = await runCli(['create', '--metwork', '2', `--template=${template}`, NAME, '--yes'], { cwd });
      expect(created.code, created.stderr).toBe(0);
      const dir = join(cwd, NAME);
      await setup?.(dir);
      const command = await runCli(['config', 'get', NAME, 'app_main._cmd_and_args'], { cwd });
      expect(command.code, command.stderr).toBe(0);
      const env = { ...cleanEnv({ MFMODULE_RUNTIME_HOME: join(cwd, 'runtime') }), ...RUNTIME_ENV };
      const profile = await runCli(['env', NAME, '-o', join(cwd, 'profile.sh')], { cwd, env });
      expect(profile.code, profile.stderr).toBe(0);
      const socket = join(cwd, 'app.socket');
      const line = fillPlaceholders(command.stdout.trim(), dir, socket);
      const running = start('bash', ['-c', `. ${join(cwd, 'profile.sh')} && exec ${line}`], { cwd: dir, env });
      try {
        const page = await waitForPage(running, { socketPath: socket }, `/${NAME}/`, START_TIMEOUT_MS);
        expect(page.status, page.body).toBe(200);
        expect(page.body).toContain(`Hello World from the ${NAME} plugin!`);
      } finally {
        await stop(running);
      }
    },
    SETUP_TIMEOUT_MS,
  );
});
