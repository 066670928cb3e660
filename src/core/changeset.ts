import { chmodSync, lstatSync, mkdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InterruptedError, ioReason, WorkError } from './errors.js';

/** One file to write (with `content`) or remove (without) in a directory that stays in use. */
export interface Change {
  /** Relative, `/`-separated, checked by the caller to stay inside the directory. */
  path: string;
  content?: Buffer;
  mode?: number;
}

/** A hidden staging directory inside the target: renames from it never cross file systems. */
const STAGING_PREFIX = '.bootstrap-plugin-staging-';

/** How many files are staged between two looks at the abort signal. */
const FILES_BETWEEN_SIGNAL_CHECKS = 32;

/** What one committed step did, so it can be undone. */
interface Step {
  target: string;
  /** Where the file that was there went. */
  backup?: string;
  placed: boolean;
}

/**
 * Applies changes to an existing directory all or nothing. Every new content is first written
 * into a staging directory (where a full disk or a denied write fails, touching nothing); then
 * each file is swapped in by renames, the one it replaces kept aside. A failure or an abort
 * (Ctrl-C, SIGTERM) during the swaps puts every replaced file back and removes what was added.
 * Nothing outside `changes` is read or written.
 */
export async function applyChanges(dir: string, changes: Change[], signal?: AbortSignal): Promise<void> {
  if (changes.length === 0) return;
  const staging = join(dir, `${STAGING_PREFIX}${process.getBuiltinModule('node:crypto').randomBytes(4).toString('hex')}`);
  const checkAbort = () => {
    if (signal?.aborted) throw new InterruptedError('interrupted, the plugin was left as it was');
  };
  const steps: Step[] = [];
  const madeDirs: string[] = [];
  try {
    checkAbort();
    await mkdir(staging, { mode: 0o700 });
    for (const [index, change] of changes.entries()) {
      if (index % FILES_BETWEEN_SIGNAL_CHECKS === 0) {
        await yieldToSignals();
        checkAbort();
      }
      if (change.content === undefined) continue;
      const staged = join(staging, `${index}`);
      writeFileSync(staged, change.content, { mode: change.mode });
      chmodSync(staged, change.mode ?? 0o644);
    }
    // The swaps below are renames, done in one go: a signal is seen before them or after them.
    await yieldToSignals();
    checkAbort();
    changes.forEach((change, index) => {
      const target = join(dir, change.path);
      const step: Step = { target, placed: false };
      steps.push(step);
      if (exists(target)) {
        step.backup = join(staging, `${index}.old`);
        renameSync(target, step.backup);
      }
      if (change.content === undefined) return;
      madeDirs.push(...makeParents(dir, change.path));
      renameSync(join(staging, `${index}`), target);
      step.placed = true;
    });
    checkAbort();
  } catch (error) {
    undo(steps, madeDirs);
    await rm(staging, { recursive: true, force: true });
    throw error instanceof InterruptedError ? error : new WorkError(`cannot update ${dir}: ${ioReason(error)}; the plugin was left as it was`);
  }
  await rm(staging, { recursive: true, force: true });
  removeEmptiedDirs(dir, changes.filter((c) => c.content === undefined).map((c) => c.path));
}

/**
 * Lets a pending signal's handler run. A signal is read in the event loop's poll phase; one
 * setImmediate may resume in the same loop turn without passing it, two cannot.
 */
async function yieldToSignals(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

function undo(steps: Step[], madeDirs: string[]): void {
  for (const step of steps.reverse()) {
    if (step.placed) rmSync(step.target, { force: true });
    if (step.backup) renameSync(step.backup, step.target);
  }
  for (const made of madeDirs.reverse()) rmdirSync(made);
}

/** Creates the missing parents of `path` under `dir`, returning those it made, outermost first. */
function makeParents(dir: string, path: string): string[] {
  const made: string[] = [];
  const segments = path.split('/').slice(0, -1);
  for (let depth = 1; depth <= segments.length; depth++) {
    const parent = join(dir, ...segments.slice(0, depth));
    if (exists(parent)) continue;
    mkdirSync(parent, { mode: 0o755 });
    made.push(parent);
  }
  return made;
}

/** A directory whose last file the template dropped goes too, as git does; one still holding anything stays. */
function removeEmptiedDirs(dir: string, removed: string[]): void {
  for (const path of removed) {
    for (let parent = dirname(join(dir, path)); parent.startsWith(`${dir}/`); parent = dirname(parent)) {
      try {
        rmdirSync(parent);
      } catch {
        break;
      }
    }
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
