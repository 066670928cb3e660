import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { cleanEnv, ROOT } from './cli.js';

/** The product as users get it: the workspace's packed tarballs, installed with `npm install -g`. */
export const npm = (args: string[], cwd = ROOT) =>
  execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: cleanEnv({ npm_config_loglevel: 'error', npm_config_update_notifier: 'false' }),
    timeout: 600_000,
  });

/** `npm pack --workspaces` into a new directory; package name → tarball path. */
export function pack(into: string): Record<string, string> {
  mkdirSync(into);
  npm(['pack', '--workspaces', '--pack-destination', into, '--silent']);
  return Object.fromEntries(
    readdirSync(into).map((file) => [file.replace(/-\d+\.\d+\.\d+\.tgz$/, ''), join(into, file)]),
  );
}

export const tarList = (tarball: string) =>
  execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
export const tarFile = (tarball: string, path: string) =>
  execFileSync('tar', ['xzOf', tarball, path], { encoding: 'utf8' });

/** `npm install --global --prefix PREFIX SPECS...`, as a user installs (no audit, no funding notes). */
export const installGlobal = (prefix: string, specs: string[], cwd: string) =>
  npm(['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', ...specs], cwd);

/**
 * `yo` refuses root, so as root every run drops to `nobody` (setpriv, no supplementary groups);
 * any other user already is unprivileged. The directories it reads must be open to it.
 */
const NOBODY = 65534;
export const AS_USER =
  process.getuid?.() === 0 ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--'] : [];

/** Opens a directory made by makeTempDir (0700) to the unprivileged user: readable, or owned when it writes there. */
export function openTo(dir: string, writable = false): string {
  if (writable && AS_USER.length > 0) chownSync(dir, NOBODY, NOBODY);
  else chmodSync(dir, 0o755);
  return dir;
}

/** Environment of a run of the installed commands with one Node first on PATH (the bins' `#!/usr/bin/env node`). */
export function installedEnv(node: string, prefix: string, home: string): NodeJS.ProcessEnv {
  const path = [dirname(node), join(prefix, 'bin'), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);
  return cleanEnv({ PATH: path, HOME: home, NO_COLOR: '1', NO_UPDATE_NOTIFIER: '1', CI: undefined });
}

/** Runs an installed command as the unprivileged user, stdin closed (no TTY), bounded in time. */
export function spawnInstalled(command: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const [file, ...args] = [...AS_USER, ...command];
  return spawnSync(file!, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
}

/** spawnInstalled that must succeed; returns its stdout. */
export function runInstalled(command: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const run = spawnInstalled(command, cwd, env);
  if (run.status !== 0) throw new Error(`${command.join(' ')}: exit ${run.status ?? run.signal}\n${run.stderr}`);
  return run.stdout;
}

/**
 * Other Node binaries to smoke-test the installed packages with: BOOTSTRAP_PLUGIN_TEST_NODES, paths
 * separated by ":" (.ci/run fetches Node 22 and 24 from npm with .ci/fetch-nodes). A listed path that
 * does not exist is kept, so its tests fail rather than vanish.
 */
export function extraNodes(): Array<{ node: string; version: string }> {
  const listed = (process.env.BOOTSTRAP_PLUGIN_TEST_NODES ?? '').split(delimiter).filter(Boolean);
  return listed.map((node) => ({
    node,
    version: existsSync(node) ? execFileSync(node, ['--version'], { encoding: 'utf8' }).trim() : 'missing',
  }));
}
