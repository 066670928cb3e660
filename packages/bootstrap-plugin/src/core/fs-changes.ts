import { copyFileSync, constants, linkSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { UsageError } from './errors.js';
import {
  FILES_BETWEEN_SIGNAL_CHECKS,
  findLeftovers,
  kindOf,
  makeParents,
  Staging,
  tempSibling,
  writeNewFile,
  type PathKind,
} from './fs-temp.js';
import { compareText } from './render.js';

/**
 * The one way files are written into a directory that stays in use (`create --force`,
 * `update`): staged beside their targets, then swapped in all together, or not at all.
 */

/** One file to write (with `content`) or remove (without); its path relative, `/`-separated, inside the directory. */
export type Change = { path: string; content: Buffer; mode: number } | { path: string; content?: undefined };

export interface ApplyOptions {
  /** Check and list what would be replaced and cleaned up; write nothing. */
  dryRun?: boolean;
  /** Aborting (Ctrl-C, SIGTERM) before the swaps removes everything staged; the directory stays as it was. */
  signal?: AbortSignal;
  /** The message of the InterruptedError an abort throws. */
  interrupted?: string;
}

export interface ApplyResult {
  /** Paths of files written over (or that would be), sorted. */
  replaced: string[];
  /** Absolute paths of temporary files killed runs left beside the changed files, removed first. */
  leftovers: string[];
}

/**
 * Applies `changes` to `dir`, all or nothing. Every new content is first written beside its
 * target under a temporary name (`tempSibling`), created with its final mode: a full disk or a
 * denied write fails there, touching nothing, and an abort removes what was staged. Then, with
 * no yield to signals, each file is swapped in by a rename, the one it replaces kept aside as a
 * hard link; a failure puts every replaced file back and removes what was added. A file is
 * never seen half-written nor missing; after a SIGKILL the kept-aside and staged names are
 * leftovers the next run removes. Nothing outside `changes` is read or written, and nothing is
 * written through a symbolic link or over a directory.
 */
export async function applyChanges(dir: string, changes: Change[], options: ApplyOptions = {}): Promise<ApplyResult> {
  const replaced = checkTargets(dir, changes);
  const leftovers = directoriesOf(dir, changes).flatMap((at) => findLeftovers(at));
  if (options.dryRun || changes.length === 0) return { replaced, leftovers };
  for (const leftover of leftovers) rmSync(leftover, { recursive: true, force: true });
  const staging = new Staging(options.signal, options.interrupted);
  try {
    const staged = await stage(dir, changes, staging);
    await staging.yield();
    // Checked again, just before the swaps: a directory swapped for a link meanwhile is refused.
    checkTargets(dir, changes);
    swap(staged);
  } catch (error) {
    staging.discard();
    throw error;
  } finally {
    staging.close();
  }
  removeEmptiedDirs(
    dir,
    changes.filter((change) => change.content === undefined).map((change) => change.path),
  );
  return { replaced, leftovers };
}

interface Staged {
  target: string;
  /** The new content's temporary name; none for a removal. */
  temp?: string;
}

async function stage(dir: string, changes: Change[], staging: Staging): Promise<Staged[]> {
  const staged: Staged[] = [];
  for (const [index, change] of changes.entries()) {
    if (index % FILES_BETWEEN_SIGNAL_CHECKS === 0) await staging.yield();
    const target = join(dir, change.path);
    if (change.content === undefined) {
      staged.push({ target });
      continue;
    }
    const createdDir = makeParents(dirname(target));
    if (createdDir) staging.add(createdDir);
    const temp = tempSibling(target);
    writeNewFile(temp, change.content, change.mode, staging);
    staged.push({ target, temp });
  }
  return staged;
}

/** What one swap did, so it can be undone. */
interface Step {
  target: string;
  /** Where the file that was there is kept. */
  backup?: string;
  /** A write (else a removal). */
  writes: boolean;
  /** The new content is in place. */
  placed: boolean;
}

/** Renames every staged file into place; on the first failure, undoes those done and rethrows. */
function swap(staged: Staged[]): void {
  const steps: Step[] = [];
  try {
    for (const { target, temp } of staged) {
      const step: Step = { target, writes: temp !== undefined, placed: false };
      steps.push(step);
      if (kindOf(target) !== 'absent') step.backup = keepAside(target, step.writes);
      if (temp === undefined) continue;
      renameSync(temp, target);
      step.placed = true;
    }
  } catch (error) {
    for (const step of steps.reverse()) undo(step);
    throw error;
  }
  for (const step of steps) if (step.backup) rmSync(step.backup, { force: true });
}

function undo(step: Step): void {
  if (!step.backup) {
    if (step.placed) rmSync(step.target, { force: true });
  } else if (step.placed || !step.writes) renameSync(step.backup, step.target);
  // Still a hard link to the untouched target: renaming it over its twin would do nothing.
  else rmSync(step.backup, { force: true });
}

/**
 * Keeps the file at `target` under a temporary name. One to be replaced stays where it is too
 * (a hard link, or a copy where the file system has none), so the rename over it leaves no
 * moment without the file; one to be removed is moved aside.
 */
function keepAside(target: string, replacing: boolean): string {
  const backup = tempSibling(target);
  if (!replacing) {
    renameSync(target, backup);
    return backup;
  }
  try {
    linkSync(target, backup);
  } catch {
    copyFileSync(target, backup, constants.COPYFILE_EXCL);
  }
  return backup;
}

/**
 * The paths of `changes` that hold a file now, sorted. Refuses a path that can only be written
 * or removed through a symbolic link or over a directory (the user's, never to be followed or
 * removed), or under a file.
 */
function checkTargets(dir: string, changes: Change[]): string[] {
  const kinds = new Map<string, PathKind>();
  const kindAt = (relative: string) => {
    if (!kinds.has(relative)) kinds.set(relative, kindOf(join(dir, relative)));
    return kinds.get(relative)!;
  };
  const replaced: string[] = [];
  for (const { path, content } of changes) {
    const segments = path.split('/');
    for (let depth = 1; depth < segments.length; depth++) {
      const parent = segments.slice(0, depth).join('/');
      const kind = kindAt(parent);
      if (kind === 'absent') break;
      if (kind === 'link')
        throw new UsageError(
          `${join(dir, parent)} is a symbolic link, and the template writes ${path} there: ` +
            'links are never written through; remove it or move it aside',
        );
      if (kind === 'other')
        throw new UsageError(
          `${join(dir, parent)} is a file, and the template needs a directory there for ${path}: move it aside`,
        );
    }
    const kind = kindAt(path);
    if (kind === 'directory')
      throw new UsageError(`${join(dir, path)} is a directory, and the template writes a file there: move it aside`);
    if (kind !== 'absent' && content !== undefined) replaced.push(path);
  }
  return replaced.sort(compareText);
}

/** The existing directories under `dir` that the changes go into (`dir` itself included). */
function directoriesOf(dir: string, changes: Change[]): string[] {
  const dirs = new Set(changes.map((change) => posix.dirname(change.path)));
  return [...dirs].map((at) => join(dir, at)).filter((at) => kindOf(at) === 'directory');
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
