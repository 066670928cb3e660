import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

/** What one HTTP request returned. */
export interface Page {
  status: number;
  body: string;
}

/** Where a server listens: a TCP port on 127.0.0.1, or a unix socket path. */
export type Address = { port: number } | { socketPath: string };

const REQUEST_TIMEOUT_MS = 2_000;
const POLL_INTERVAL_MS = 100;
const STOP_GRACE_MS = 3_000;

/**
 * The Python 3 that has the web runtimes (Debian's python3-flask, -django, -aiohttp, gunicorn);
 * a python3 earlier on the PATH (pyenv, a venv) usually lacks them.
 */
export const PYTHON = findPython(['/usr/bin/python3', 'python3'], 'import flask, django, aiohttp, gunicorn');

/** PATH with that Python's directory first, for scripts that call `python3` themselves. */
export const PYTHON_PATH_ENV = { ...process.env, PATH: `${dirname(PYTHON)}:${process.env.PATH ?? ''}` };

function findPython(candidates: string[], probe: string): string {
  for (const candidate of candidates) {
    if (candidate.startsWith('/') && !existsSync(candidate)) continue;
    try {
      execFileSync(candidate, ['-c', probe], { stdio: 'ignore', timeout: 10_000 });
      return candidate;
    } catch {
      // Try the next one; the last resort below names what is missing.
    }
  }
  throw new Error(`no python3 can run "${probe}": install python3-flask python3-django python3-aiohttp gunicorn`);
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

/** A started server: its process and everything it printed so far. */
export interface Running {
  child: ChildProcess;
  output: () => string;
}

/** Starts a command in its own process group, so that stop() also ends the workers it forks. */
export function start(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Running {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
  child.on('error', (error) => (output += `\n[spawn error] ${error.message}`));
  return { child, output: () => output };
}

/** SIGTERM to the process group, SIGKILL if it is still there after a grace period. */
export async function stop(running: Running): Promise<void> {
  const { child } = running;
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup('SIGTERM');
  const timer = setTimeout(() => signalGroup('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** One GET, bounded in time. */
export function get(address: Address, path: string): Promise<Page> {
  return new Promise((done, fail) => {
    const target = 'port' in address ? { host: '127.0.0.1', port: address.port } : { socketPath: address.socketPath };
    const req = request(
      { ...target, path, method: 'GET', headers: { Host: 'localhost' }, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
        res.on('error', fail);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', fail);
    req.end();
  });
}

/**
 * Requests `path` until the server answers, or fails after `timeoutMs` with what the server
 * printed (or the reason it exited), so a broken template shows its own error.
 */
export async function waitForPage(running: Running, address: Address, path: string, timeoutMs: number): Promise<Page> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      throw new Error(
        `the server exited (${running.child.exitCode ?? running.child.signalCode}) before ` +
          `answering:\n${running.output()}`,
      );
    }
    try {
      return await get(address, path);
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((done) => setTimeout(done, POLL_INTERVAL_MS));
  }
  throw new Error(
    `no answer on ${JSON.stringify(address)}${path} within ${timeoutMs} ms (${lastError}); it ` +
      `printed:\n${running.output()}`,
  );
}

/** Waits until the process has printed `text`, or fails after `timeoutMs` with its output. */
export async function waitForOutput(running: Running, text: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (running.output().includes(text)) return running.output();
    if (running.child.exitCode !== null || running.child.signalCode !== null) break;
    await new Promise((done) => setTimeout(done, POLL_INTERVAL_MS));
  }
  throw new Error(`"${text}" not printed within ${timeoutMs} ms; it printed:\n${running.output()}`);
}
