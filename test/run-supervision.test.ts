import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from './helpers/cli.js';
import { alive, descendants } from './helpers/processes.js';
import {
  RUN_PATH,
  create,
  eventually,
  expectNothingLeft,
  sockets,
  startRun,
  stopRun,
  waitForText,
  withRun,
} from './helpers/run-plugin.js';
import { freePort, get } from './helpers/server-process.js';

// `run`'s supervision: prefixed output, restarts with back-off, restarts on change (debounced,
// honouring .autorestart_*), static routing, and one-line errors for what cannot run.

const temp = makeTempDir('bp-run-sup-');
afterAll(temp.cleanup);

const lines = (text: string, part: string) => text.split('\n').filter((line) => line.includes(part));
const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe.concurrent('run supervises', () => {
  it('prefixes each process output with its name and restarts an exiting daemon after 0.5, 1, 2 s', async () => {
    const dir = await create(temp.dir, 'empty', 'daemons');
    appendFileSync(
      join(dir, 'config.ini'),
      [
        '[extra_daemon_flaky]',
        'cmd_and_args = sh -c "echo flaky says hi; exit 3"',
        '',
        '[extra_daemon_beat]',
        "cmd_and_args = sh -c 'while true; do echo beat; sleep 0.2; done'",
        'numprocesses = 2',
        '',
      ].join('\n'),
    );
    await withRun(dir, async (started) => {
      expect(await eventually(() => lines(started.running.output(), 'restarting it in 2 s').length > 0)).toBe(true);
      const output = started.running.output();
      expect(lines(output, 'flaky.1 exited')).toEqual(
        expect.arrayContaining([
          'bootstrap-plugin: flaky.1 exited with code 3; restarting it in 0.5 s',
          'bootstrap-plugin: flaky.1 exited with code 3; restarting it in 1 s',
          'bootstrap-plugin: flaky.1 exited with code 3; restarting it in 2 s',
        ]),
      );
      expect(output).toContain('flaky.1 | flaky says hi\n');
      expect(output).toContain('beat.1 | beat\n');
      expect(output).toContain('beat.2 | beat\n');
      expect(lines(output, 'beat.1 exited')).toEqual([]);
    });
  });

  it('reports a worker killed from outside, starts it again on its socket and keeps serving', async () => {
    const dir = await create(temp.dir, 'default', 'killed', ['type=python3_sync', 'workers=2']);
    await withRun(dir, async (started) => {
      await waitForText(started, '/killed/', 'Hello from the killed plugin!');
      expect(await eventually(() => sockets(started).length === 2)).toBe(true);
      const [victim] = descendants(started.running.child.pid!);
      process.kill(victim, 'SIGKILL');
      expect(
        await eventually(() => /main\.\d killed by SIGKILL; restarting it in 0\.5 s/.test(started.running.output())),
      ).toBe(true);
      expect(
        await eventually(
          () => sockets(started).length === 2 && !descendants(started.running.child.pid!).includes(victim),
        ),
      ).toBe(true);
      for (let i = 0; i < 4; i++) await waitForText(started, '/killed/', 'Hello from the killed plugin!');
    });
  });

  it('restarts once for a burst of changes, and not for files outside its patterns', async () => {
    const dir = await create(temp.dir, 'default', 'burst', ['type=python3_sync', 'workers=1']);
    await withRun(dir, async (started) => {
      await waitForText(started, '/burst/', 'Hello from the burst plugin!');
      for (const file of ['a', 'b', 'c', 'd', 'e']) {
        writeFileSync(join(dir, 'main', `${file}.py`), '# new\n');
        await pause(50);
      }
      expect(await eventually(() => lines(started.running.output(), 'changed: restarting').length > 0)).toBe(true);
      // Not in MetWork's default includes, or under its default excludes.
      mkdirSync(join(dir, 'main', '__pycache__'));
      writeFileSync(join(dir, 'main', '__pycache__', 'x.py'), '');
      mkdirSync(join(dir, 'node_modules'));
      writeFileSync(join(dir, 'node_modules', 'y.js'), '');
      writeFileSync(join(dir, 'notes.txt'), 'hello');
      await pause(2_000);
      expect(lines(started.running.output(), 'changed: restarting')).toEqual([
        'main/a.py, main/b.py, main/c.py and 2 more changed: restarting 1 process(es)',
      ]);
      await waitForText(started, '/burst/', 'Hello from the burst plugin!');
    });
  });

  it('takes .autorestart_includes and .autorestart_excludes from the plugin when they exist', async () => {
    const dir = await create(temp.dir, 'default', 'patterns', ['type=python3_sync', 'workers=1']);
    writeFileSync(join(dir, '.autorestart_includes'), '# only text files\n*.txt\n');
    writeFileSync(join(dir, '.autorestart_excludes'), '/drafts\n');
    mkdirSync(join(dir, 'drafts'));
    await withRun(dir, async (started) => {
      await waitForText(started, '/patterns/', 'Hello from the patterns plugin!');
      writeFileSync(join(dir, 'main', 'extra.py'), '# not included any more\n');
      writeFileSync(join(dir, 'drafts', 'todo.txt'), 'excluded\n');
      await pause(2_000);
      expect(lines(started.running.output(), 'changed: restarting')).toEqual([]);
      writeFileSync(join(dir, 'notes.txt'), 'included\n');
      expect(await eventually(() => lines(started.running.output(), 'changed: restarting').length > 0)).toBe(true);
      expect(lines(started.running.output(), 'changed: restarting')).toEqual([
        'notes.txt changed: restarting 1 process(es)',
      ]);
      // Stopped once the restarted worker serves, so there is a process to see go.
      await waitForText(started, '/patterns/', 'Hello from the patterns plugin!');
    });
  });

  it('routes /NAME to /NAME/, serves static/ without the workers and answers 404 elsewhere', async () => {
    const dir = await create(temp.dir, 'default', 'routes', ['type=python3_sync', 'workers=1']);
    mkdirSync(join(dir, 'main', 'static'));
    writeFileSync(join(dir, 'main', 'static', 'site.css'), 'body { color: red }\n');
    await withRun(dir, async (started) => {
      await waitForText(started, '/routes/', 'Hello from the routes plugin!');
      const address = { port: started.port };
      expect(await get(address, '/routes/main/x?y=1')).toMatchObject({
        status: 200,
        body: expect.stringContaining('You asked for /routes/main/x'),
      });
      expect(await get(address, '/routes/static/site.css')).toEqual({ status: 200, body: 'body { color: red }\n' });
      expect((await get(address, '/routes/static/missing.css')).status).toBe(404);
      expect((await get(address, '/routes/static/%2e%2e/wsgi.py')).status).toBe(404);
      expect((await get(address, '/routes')).status).toBe(301);
      expect(await get(address, '/elsewhere/')).toEqual({
        status: 404,
        body: 'nothing is served at /elsewhere/: plugin routes is at /routes/\n',
      });
    });
  });
});

describe.concurrent('run stops what ignores SIGTERM', () => {
  const stubborn = async (name: string) => {
    const dir = await create(temp.dir, 'empty', name);
    appendFileSync(
      join(dir, 'config.ini'),
      [
        '[extra_daemon_stubborn]',
        `cmd_and_args = sh -c 'trap "" TERM INT HUP; echo ready; while true; do sleep 0.1; done'`,
        '',
      ].join('\n'),
    );
    const started = await startRun(dir);
    expect(await eventually(() => started.running.output().includes('stubborn.1 | ready'))).toBe(true);
    return started;
  };

  it('Ctrl-C: SIGKILL after the grace period, everything gone within the limit', async () => {
    const started = await stubborn('stubborn_one');
    const stopped = await stopRun(started, 'SIGINT');
    expectNothingLeft(stopped, started.running.output());
    expect(stopped.elapsedMs).toBeGreaterThanOrEqual(2_500);
    expect(stopped.code).toBe(130);
  });

  it('a second Ctrl-C ends it at once, still leaving no process or socket', async () => {
    const started = await stubborn('stubborn_two');
    const processes = descendants(started.running.child.pid!);
    started.running.child.kill('SIGINT');
    await pause(300);
    const stopped = await stopRun(started, 'SIGINT');
    expectNothingLeft({ ...stopped, processes, left: alive(processes) }, started.running.output());
    expect(stopped.elapsedMs).toBeLessThan(1_500);
    expect(stopped.code).toBe(130);
  });
});

describe.concurrent('run refuses what cannot run, in one line', () => {
  const runOnce = async (dir: string, args: string[]) =>
    runCli(['run', dir, ...args], { cwd: temp.dir, env: { ...process.env, PATH: RUN_PATH } });

  it('exits 2 for a port out of range, 1 for a port in use, naming --port', async () => {
    const dir = await create(temp.dir, 'static', 'ports');
    const bad = await runOnce(dir, ['--port', '70000']);
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({
      code: 2,
      stderr: 'bootstrap-plugin: error: --port 70000: expected a whole number from 1 to 65535\n',
    });
    const port = await freePort();
    const taken = createServer().listen(port, '127.0.0.1');
    try {
      const busy = await runOnce(dir, ['--port', String(port)]);
      expect({ code: busy.code, stderr: busy.stderr }).toEqual({
        code: 1,
        stderr: `bootstrap-plugin: error: port ${port} on 127.0.0.1 is in use: choose another with --port N\n`,
      });
    } finally {
      taken.close();
    }
  });

  it('exits 2 naming the file: unknown type, missing program, node dependencies missing, nothing to run', async () => {
    const dir = await create(temp.dir, 'default', 'bad_type', ['type=python3_sync']);
    const config = join(dir, 'config.ini');
    const text = readFileSync(config, 'utf8');
    const typeLine = text.split('\n').findIndex((line) => line.startsWith('type = ')) + 1;
    writeFileSync(config, text.replace('type = python3_sync', 'type = python4_sync'));
    const unknown = await runOnce(dir, []);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      `bootstrap-plugin: error: ${dir}/config.ini:${typeLine}: [app_main] type = python4_sync: unknown type ` +
        '(expected one of python3_sync, python2_sync, gunicorn3_sync, gunicorn2_sync, gunicorn3_asyncio, ' +
        `aiohttp, node, static, or a MetWork 2 _cmd_and_args)\n`,
    );
    writeFileSync(
      config,
      text.replace('type = python3_sync', '_cmd_and_args = php_wrapper {plugin_name} {app_name} "{unix_socket_path}"'),
    );
    const missing = await runOnce(dir, []);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      new RegExp(
        `^bootstrap-plugin: error: .*config\\.ini:${typeLine}: \\[app_main\\] _cmd_and_args runs ` +
          '"php_wrapper", which is not on the PATH',
      ),
    );
    const node = await create(temp.dir, 'node', 'not_installed');
    const notInstalled = await runOnce(node, []);
    expect({ code: notInstalled.code, stderr: notInstalled.stderr }).toEqual({
      code: 2,
      stderr:
        `bootstrap-plugin: error: ${node}/package.json: its dependencies are not installed: run "npm ` +
        `install" in ${node} first (MFSERV does it when it builds the plugin)\n`,
    });
    const empty = await create(temp.dir, 'empty', 'nothing');
    const nothing = await runOnce(empty, []);
    expect({ code: nothing.code, stderr: nothing.stderr }).toEqual({
      code: 2,
      stderr: `bootstrap-plugin: error: ${empty}/config.ini: nothing to run (no [app_*] or [extra_daemon_*] section)\n`,
    });
  });
});
