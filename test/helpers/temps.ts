import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { CLI, cleanEnv } from './cli.js';

/** What every temporary name of the tool holds (`.NAME.bootstrap-plugin-PID-RANDOM`). */
export const TEMP_MARK = '.bootstrap-plugin-';

/** Temporary names anywhere under `dir`, relative to it. */
export const tempsUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => path.includes(TEMP_MARK));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts the CLI in the background, to be signalled while it writes. */
export function startCli(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = cleanEnv(),
): { child: ChildProcess; exited: Promise<Exit> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  child.stdout!.resume();
  const exited = new Promise<Exit>((done) => child.on('close', (code, signal) => done({ code, signal, stderr })));
  return { child, exited };
}

/** Waits until a temporary name shows under `dir` (the run is writing); whether it did. */
export async function waitForTemp(child: ChildProcess, dir: string): Promise<boolean> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && child.exitCode === null;) {
    if (tempsUnder(dir).length > 0) return true;
    await new Promise((r) => setTimeout(r, 1));
  }
  return false;
}
