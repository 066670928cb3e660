import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeTempDir, runCli } from './helpers/cli.js';
import { writeTemplate } from './helpers/template-fixture.js';
import { fileStamps } from './helpers/expected-tree.js';

/**
 * Issue 12 point 10: a user template's EJS that never ends (`<% while (true) {} %>`) used to hold
 * the CLI until SIGKILL. It renders in a worker now: the time limit ends it with one line naming
 * the file, and SIGINT, SIGTERM or SIGHUP end the run at once, leaving nothing.
 */

const temp = makeTempDir('bp-endless-');
afterAll(temp.cleanup);
const freshDir = temp.fresh;

const LOOP = '<% while (true) {} %>';
/** The limit the time-limit cases set, in seconds, and how late the run may end after it on a loaded machine. */
const LIMIT_SECONDS = 1;
const SLACK_SECONDS = 6;
/** How long a signalled run may take to end. */
const PROMPT_SECONDS = 3;
const LIMIT_ENV = { BOOTSTRAP_PLUGIN_RENDER_TIMEOUT: String(LIMIT_SECONDS) };

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Seconds from the start, or from the signal when one was sent. */
  seconds: number;
}

/**
 * Runs the CLI; with `signal`, sends it 1 s after the file `looping` appears (written by the
 * template as its loop starts, see loopMarking). A run still going after 30 s is killed (code null).
 */
function runTimed(
  args: string[],
  cwd: string,
  options: { env?: Record<string, string>; signal?: NodeJS.Signals; looping?: string } = {},
): Promise<Ended> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: cleanEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    let started = performance.now();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const poll = setInterval(() => {
      if (!options.signal || !options.looping || !existsSync(options.looping)) return;
      clearInterval(poll);
      setTimeout(() => {
        started = performance.now();
        child.kill(options.signal);
      }, 1000);
    }, 50);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      done({ code, signal, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** An endless loop that first writes `marker` (outside the run's directory): the run is then surely in it. */
const loopMarking = (marker: string) =>
  `<% process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(marker)}, ''); while (true) {} %>`;

/** A directory holding `template/` (a user template) and nothing else. */
function templateDir(files: Record<string, string>, nextSteps?: string): { cwd: string; template: string } {
  const cwd = freshDir();
  const template = writeTemplate(cwd, 'template', { fields: [] }, files);
  if (nextSteps !== undefined) writeFileSync(join(template, 'next-steps.ejs'), nextSteps);
  return { cwd, template };
}

const timedOut = (file: string, template: string, also = '') =>
  `bootstrap-plugin: error: ${file}: still rendering after ${LIMIT_SECONDS} s, an endless loop?${also} ` +
  `(template ${template}): fix the template, or allow more time with BOOTSTRAP_PLUGIN_RENDER_TIMEOUT=SECONDS\n`;

describe('a user template that never ends stops at the time limit, naming its file', () => {
  const LOOP_CASES: {
    where: string;
    files: Record<string, string>;
    nextSteps?: string;
    partial?: string;
    shown: string;
    also?: string;
  }[] = [
    {
      where: 'a file',
      files: { 'config.ini.ejs': '[custom]\n', 'main/loop.py.ejs': `x = 1\n${LOOP}\n` },
      shown: 'files/main/loop.py.ejs',
    },
    {
      where: 'a file it includes',
      files: { 'config.ini.ejs': "<%- include('/partials/loop.ejs') %>\n" },
      partial: LOOP,
      shown: 'files/config.ini.ejs',
      also: ' (or in a file it includes: partials/loop.ejs)',
    },
    {
      where: 'next-steps.ejs',
      files: { 'config.ini.ejs': '[custom]\n' },
      nextSteps: `cd <%= dir %>\n${LOOP}\n`,
      shown: 'next-steps.ejs',
    },
  ];

  it.each(LOOP_CASES)('create: a loop in $where', async ({ files, nextSteps, partial, shown, also }) => {
    const { cwd, template } = templateDir(files, nextSteps);
    if (partial !== undefined) {
      mkdirSync(join(template, 'partials'));
      writeFileSync(join(template, 'partials', 'loop.ejs'), partial);
    }
    const run = await runTimed(['create', '--template=./template', 'foo', '--yes'], cwd, { env: LIMIT_ENV });
    expect({ code: run.code, stderr: run.stderr, stdout: run.stdout }).toEqual({
      code: 2,
      stderr: timedOut(shown, template, also),
      stdout: '',
    });
    expect(run.seconds).toBeGreaterThanOrEqual(LIMIT_SECONDS);
    expect(run.seconds).toBeLessThan(LIMIT_SECONDS + SLACK_SECONDS);
    expect(readdirSync(cwd)).toEqual(['template']);
  });

  it('update: the plugin stays as it was', async () => {
    const { cwd, template, before } = await pluginOfLoopingTemplate();
    const run = await runTimed(['update', 'foo', '--template=./template', '--yes'], cwd, { env: LIMIT_ENV });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 2, stderr: timedOut('files/a.txt.ejs', template) });
    expect(run.seconds).toBeLessThan(LIMIT_SECONDS + SLACK_SECONDS);
    expect(fileStamps(join(cwd, 'foo'))).toEqual(before);
  });

  it('config check --template PATH', async () => {
    const { cwd, template } = templateDir({ 'config.ini.ejs': `[custom]\n${LOOP}\n` });
    writeFileSync(join(cwd, 'config.ini'), '[custom]\n');
    const run = await runTimed(['config', 'check', '.', '--template', './template'], cwd, { env: LIMIT_ENV });
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 2,
      stderr: timedOut('files/config.ini.ejs', template),
    });
    expect(run.seconds).toBeLessThan(LIMIT_SECONDS + SLACK_SECONDS);
  });

  it('a BOOTSTRAP_PLUGIN_RENDER_TIMEOUT that is not a number of seconds is one line, exit 2', async () => {
    const { cwd } = templateDir({ 'a.txt.ejs': '<%= name %>\n' });
    for (const value of ['abc', '0', '-1', '1e3']) {
      const run = await runCli(['create', '--template=./template', 'foo', '--yes'], {
        cwd,
        env: cleanEnv({ BOOTSTRAP_PLUGIN_RENDER_TIMEOUT: value }),
      });
      expect({ code: run.code, stderr: run.stderr }).toEqual({
        code: 2,
        stderr:
          `bootstrap-plugin: error: BOOTSTRAP_PLUGIN_RENDER_TIMEOUT="${value}": ` +
          'expected a number of seconds greater than 0, such as 30\n',
      });
    }
    expect(readdirSync(cwd)).toEqual(['template']);
  });

  it('a malformed BOOTSTRAP_PLUGIN_RENDER_TIMEOUT fails the commands that render, not list or completion', async () => {
    const { cwd } = templateDir({ 'a.txt.ejs': '<%= name %>\n' });
    const env = cleanEnv({ BOOTSTRAP_PLUGIN_RENDER_TIMEOUT: 'abc' });
    const list = await runCli(['list', './template'], { cwd, env });
    expect({ code: list.code, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
    const completion = await runCli(['__complete', 'create', 'foo', '-t', 'fl'], { cwd, env });
    expect({ code: completion.code, stdout: completion.stdout }).toEqual({ code: 0, stdout: 'flask\n' });
    const create = await runCli(['create', '--template=./template', 'foo', '--yes'], { cwd, env });
    expect({ code: create.code, stderr: create.stderr }).toEqual({
      code: 2,
      stderr:
        'bootstrap-plugin: error: BOOTSTRAP_PLUGIN_RENDER_TIMEOUT="abc": ' +
        'expected a number of seconds greater than 0, such as 30\n',
    });
  });

  it('ends the render of a template that calls process.exit() with one line, not the CLI with its code', async () => {
    const { cwd } = templateDir({ 'a.txt.ejs': '<% process.exit(42) %>\n' });
    const run = await runTimed(['create', '--template=./template', 'foo', '--yes'], cwd);
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 2,
      stderr:
        'bootstrap-plugin: error: files/a.txt.ejs: ended the render before it finished (exit code 42): ' +
        'a template must not call process.exit()\n',
    });
    expect(readdirSync(cwd)).toEqual(['template']);
  });

  it('leaves the built-in templates out of it: they render in the CLI itself, whatever the limit', async () => {
    const cwd = freshDir();
    const run = await runCli(['create', '--template=flask', 'foo', '--yes'], {
      cwd,
      env: cleanEnv({ BOOTSTRAP_PLUGIN_RENDER_TIMEOUT: '0.000001' }),
    });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  });
});

/** How each signal ends a run: 130 for an interruption, SIGHUP passed on (as a hung-up process does). */
const ENDED_BY: Record<string, { code: number | null; signal: string | null }> = {
  SIGINT: { code: 130, signal: null },
  SIGTERM: { code: 130, signal: null },
  SIGHUP: { code: null, signal: 'SIGHUP' },
};

describe('a signal ends a run stuck in a user template at once, leaving nothing', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('create, %s after 1 s in the loop', async (signal) => {
    const looping = join(freshDir(), 'looping');
    const { cwd } = templateDir({ 'config.ini.ejs': '[custom]\n', 'loop.txt.ejs': loopMarking(looping) });
    // The default limit (10 s) is far away: what ends the run is the signal.
    const run = await runTimed(['create', '--template=./template', 'foo', '--yes'], cwd, { signal, looping });
    expect({ code: run.code, signal: run.signal }, run.stderr).toEqual(ENDED_BY[signal]);
    expect(run.seconds).toBeLessThan(PROMPT_SECONDS);
    expect(readdirSync(cwd)).toEqual(['template']);
  });

  it('update, SIGTERM after 1 s in the loop: the plugin stays as it was', async () => {
    const looping = join(freshDir(), 'looping');
    const { cwd, before } = await pluginOfLoopingTemplate(loopMarking(looping));
    const run = await runTimed(['update', 'foo', '--template=./template', '--yes'], cwd, {
      signal: 'SIGTERM',
      looping,
    });
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 130,
      stderr: 'bootstrap-plugin: error: interrupted, nothing was written\n',
    });
    expect(run.seconds).toBeLessThan(PROMPT_SECONDS);
    expect(fileStamps(join(cwd, 'foo'))).toEqual(before);
  });

  it('config check --template PATH, SIGTERM after 1 s in the loop', async () => {
    const looping = join(freshDir(), 'looping');
    const { cwd } = templateDir({ 'config.ini.ejs': `[custom]\n${loopMarking(looping)}\n` });
    writeFileSync(join(cwd, 'config.ini'), '[custom]\n');
    const run = await runTimed(['config', 'check', '.', '--template', './template'], cwd, {
      signal: 'SIGTERM',
      looping,
    });
    expect({ code: run.code, signal: run.signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(run.seconds).toBeLessThan(PROMPT_SECONDS);
    expect(readdirSync(cwd).sort()).toEqual(['config.ini', 'template']);
  });
});

/** A plugin `foo` created from `template/`, whose `a.txt.ejs` then loops: what update renders. */
async function pluginOfLoopingTemplate(
  loop = LOOP,
): Promise<{ cwd: string; template: string; before: Record<string, string> }> {
  const { cwd, template } = templateDir({ 'config.ini.ejs': '[custom]\n', 'a.txt.ejs': 'one\n' });
  expect((await runCli(['create', '--template=./template', 'foo', '--yes'], { cwd })).code).toBe(0);
  const before = fileStamps(join(cwd, 'foo'));
  writeFileSync(join(template, 'files', 'a.txt.ejs'), `two\n${loop}\n`);
  return { cwd, template, before };
}
