import { lstatSync, mkdirSync, renameSync, rmSync, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import { BootstrapError, ioReason, UsageError, WorkError } from './errors.js';
import { inDir } from './fs.js';
import { applyChanges } from './fs-changes.js';
import {
  FILES_BETWEEN_SIGNAL_CHECKS,
  findLeftovers,
  makeParents,
  Staging,
  tempSibling,
  writeNewFile,
} from './fs-temp.js';
import { compareText, type RenderedFile } from './render.js';

/**
 * Writing a rendered tree of files: a new plugin directory, or the template's files over an
 * existing one (`--force`), never leaving a half-written file.
 */

export interface WriteFilesOptions {
  /**
   * Write over an existing directory: the given files replace their namesakes all together,
   * and every other file and directory in it is left exactly as it was.
   */
  replace: boolean;
  /** Check and list what would be written, replaced and cleaned up; write nothing. */
  dryRun?: boolean;
  /** Aborting (Ctrl-C, SIGTERM) stops the write and removes everything written so far. */
  signal?: AbortSignal;
}

export interface WriteFilesResult {
  /** Paths written (or that would be), relative to the target, sorted. */
  written: string[];
  /** Of those, the ones that replaced an existing file. */
  replaced: string[];
  /**
   * Absolute paths of temporary files left by a killed run on this target, removed first (named
   * only, with `dryRun`).
   */
  leftovers: string[];
}

/**
 * Writes `files` under `target`. A new target is written whole into a temporary sibling
 * directory, then renamed into place: it is absent or complete, and of two runs racing for the
 * same name exactly one wins (the other's rename finds a non-empty directory). Over an existing
 * target (`replace`), the files are applied as changes (`applyChanges`): staged, then swapped in
 * all together, every other file left as it was.
 */
export async function writeFiles(
  target: string,
  files: RenderedFile[],
  options: WriteFilesOptions,
): Promise<WriteFilesResult> {
  const existing = assertWritable(target, options.replace);
  const written = files.map((f) => f.path).sort(compareText);
  // A killed create of this same directory left its temporary sibling.
  const leftovers = findLeftovers(dirname(target), [basename(target)]);
  if (!options.dryRun) for (const leftover of leftovers) rmSync(leftover, { recursive: true, force: true });
  try {
    if (existing === 'directory') {
      const applied = await applyChanges(target, files, { dryRun: options.dryRun, signal: options.signal });
      return { written, replaced: applied.replaced, leftovers: [...leftovers, ...applied.leftovers] };
    }
    if (!options.dryRun) await writeNew(target, files, options.signal);
  } catch (error) {
    throw error instanceof BootstrapError ? error : toWorkError(error, target);
  }
  return { written, replaced: [], leftovers };
}

async function writeNew(target: string, files: RenderedFile[], signal?: AbortSignal): Promise<void> {
  const staging = new Staging(signal);
  try {
    staging.check();
    // `--dir` may name parents that do not exist yet; they are removed again if the write fails.
    const createdParent = makeParents(dirname(target));
    if (createdParent) staging.add(createdParent);
    const temp = tempSibling(target);
    mkdirSync(temp, { mode: 0o755 });
    staging.add(temp);
    const madeDirs = new Set([temp]);
    for (const [index, file] of files.entries()) {
      // Signals are let in every so many files, and once more before the rename below.
      if (index > 0 && index % FILES_BETWEEN_SIGNAL_CHECKS === 0) await staging.yield();
      const path = inDir(temp, file.path);
      const dir = dirname(path);
      if (!madeDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        madeDirs.add(dir);
      }
      writeNewFile(path, file.content, file.mode);
    }
    await staging.yield();
    // Checked again: something may have appeared there while we wrote.
    assertWritable(target, false);
    renameInto(temp, target);
  } catch (error) {
    staging.discard();
    throw error;
  } finally {
    staging.close();
  }
}

function renameInto(temp: string, target: string): void {
  try {
    renameSync(temp, target);
  } catch (error) {
    // Another run won the race for this name (or someone made it meanwhile).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') throw alreadyExists(target);
    throw error;
  }
}

/**
 * Fails when the target exists and may not be replaced, or cannot be made: a parent that is a
 * file. A symbolic link is refused even with `force`: replacing it would surprise whoever made
 * it, and writing through it would put the plugin somewhere else.
 */
export function assertWritable(target: string, force: boolean): 'absent' | 'directory' {
  let existing: Stats;
  try {
    existing = lstatSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new UsageError(`cannot create ${target}: one of its parents is a file, not a directory (check --dir)`);
    }
    return 'absent';
  }
  if (existing.isSymbolicLink()) throw new UsageError(`${target} is a symbolic link; remove it or choose another name`);
  if (!existing.isDirectory())
    throw new UsageError(`${target} exists and is not a directory; remove it or choose another name`);
  if (!force) throw alreadyExists(target);
  return 'directory';
}

/** The error of a create that finds its target taken (exit 2). */
export const alreadyExists = (target: string) =>
  new UsageError(`directory ${target} already exists (use --force to write over it)`);

function toWorkError(error: unknown, target: string): WorkError {
  const { path } = error as NodeJS.ErrnoException;
  return new WorkError(`cannot write ${target}: ${ioReason(error)}${path ? ` (${path})` : ''}; nothing was written`);
}
