import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
/** The CLI's package (`bootstrap-plugin`) and the Yeoman adapter's, in the workspace. */
export const CLI_PACKAGE = join(ROOT, 'packages', 'bootstrap-plugin');
export const GENERATOR_PACKAGE = join(ROOT, 'packages', 'generator-bootstrap-plugin');
export const CLI = join(CLI_PACKAGE, 'bin', 'bootstrap-plugin.cjs');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for a non-interactive run: no inherited module/config/template settings. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['MFMODULE', 'MFCONFIG', 'MFMODULE_VERSION', 'BOOTSTRAP_PLUGIN_TEMPLATES'])
    if (!(name in extra)) delete env[name];
  return env;
}

/** Runs the built CLI with stdin closed (no TTY), bounded in time. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

export interface TempDir {
  dir: string;
  /** A new empty sub-directory, one per test case. */
  fresh: () => string;
  cleanup: () => void;
}

/** A fresh temp dir for a test file, with one sub-directory per case and a function that removes it all. */
export function makeTempDir(prefix = 'bp-test-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let count = 0;
  const fresh = () => {
    const sub = join(dir, `case-${++count}`);
    mkdirSync(sub);
    return sub;
  };
  return { dir, fresh, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
