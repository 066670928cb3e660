import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, delimiter, dirname, join } from 'node:path';
import { createPlugin, type CreateOptions, type CreateResult } from './create.js';
import { InterruptedError, ioReason, UsageError, WorkError } from './errors.js';
import { buildRelease, type ReleaseResult } from './release.js';

/**
 * `create --make [--install] [--delete]`, as MetWork's bootstrap_plugin.py does it: create the
 * plugin, build its `.plugin` archive in the new directory, then install it with MetWork's
 * `plugins.install`, then keep only the archive, moved beside the directory. A step that fails
 * stops there and keeps everything made so far.
 */

const INSTALLER = 'plugins.install';

export interface MakeOptions extends CreateOptions {
  install: boolean;
  delete: boolean;
  /** PATH (to find plugins.install) and what `release` reads (MFMODULE_VERSION…). */
  environment: Record<string, string | undefined>;
}

export interface MakeResult {
  created: CreateResult;
  release: ReleaseResult;
  /** What plugins.install printed, when it ran. */
  installOutput?: string;
  /** Where the archive is in the end: in the plugin directory, or beside it with `delete`. */
  archive: string;
  deleted: boolean;
}

/** The flag combinations `create` refuses before doing anything (exit 2). */
export function checkMakeFlags(flags: {
  make: boolean;
  install: boolean;
  delete: boolean;
  dryRun: boolean;
  force: boolean;
}): void {
  for (const flag of ['install', 'delete'] as const) {
    if (flags[flag] && !flags.make)
      throw new UsageError(`--${flag} needs --make (it works on the archive --make builds)`);
  }
  if (flags.make && flags.dryRun)
    throw new UsageError('--make cannot be combined with --dry-run (there would be no plugin to build)');
  if (flags.delete && flags.force) {
    throw new UsageError(
      '--delete removes the plugin directory, and --force may write into an existing one holding your files: ' +
        'drop one of them',
    );
  }
}

export async function makePlugin(options: MakeOptions): Promise<MakeResult> {
  checkMakeFlags({
    make: true,
    install: options.install,
    delete: options.delete,
    dryRun: options.dryRun,
    force: options.force,
  });
  const created = await createPlugin(options);
  const release = await buildRelease({
    dir: created.target,
    cwd: options.cwd,
    environment: options.environment,
    signal: options.signal,
  });
  const kept = `the plugin is kept in ${created.target}, its archive is ${release.file}`;
  const installOutput = options.install
    ? await install(findInstaller(options.environment, kept), release.file, created.target, kept, options.signal)
    : undefined;
  if (!options.delete) return { created, release, installOutput, archive: release.file, deleted: false };
  const archive = join(dirname(created.target), basename(release.file));
  if (existsSync(archive)) throw new WorkError(`--delete: ${archive} already exists; ${kept}`);
  try {
    await rename(release.file, archive);
  } catch (error) {
    throw new WorkError(`--delete: cannot move the archive to ${archive} (${ioReason(error)}); ${kept}`);
  }
  await rm(created.target, { recursive: true, force: true });
  return { created, release, installOutput, archive, deleted: true };
}

/** plugins.install on PATH, as a MetWork shell has it; else an error saying so (exit 1). */
function findInstaller(environment: Record<string, string | undefined>, kept: string): string {
  for (const dir of (environment.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, INSTALLER);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new WorkError(`--install: ${INSTALLER} is not on PATH (load MetWork's environment first); ${kept}`);
}

function install(installer: string, file: string, cwd: string, kept: string, signal?: AbortSignal): Promise<string> {
  return new Promise((done, fail) => {
    execFile(installer, [file], { cwd, signal, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (signal?.aborted) return fail(new InterruptedError(`interrupted while ${INSTALLER} ran; ${kept}`));
      if (!error) return done(`${stdout}${stderr}`);
      const reason = stderr.trim().split('\n').pop() || error.message;
      fail(new WorkError(`${INSTALLER} ${file} failed (exit ${error.code ?? 'unknown'}): ${reason}; ${kept}`));
    });
  });
}
