import { closeSync, fchmodSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { BootstrapError, InterruptedError, ioReason, UsageError, WorkError } from './errors.js';
import {
  alreadyExists,
  assertWritable,
  FILES_BETWEEN_SIGNAL_CHECKS,
  findLeftovers,
  tempSibling,
  yieldToSignals,
} from './fs.js';
import { compareText, type RenderedFile } from './render.js';

/**
 * Writing a rendered tree of files: a new plugin directory, or the template's files over an
 * existing one (`--force`), never leaving a half-written file.
 */

export interface WriteFilesOptions {
  /**
   * Write over an existing directory: the given files replace their namesakes one by one,
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
  /** Absolute paths of temporary files left by a killed run on this target, removed first (named only, with `dryRun`). */
  leftovers: string[];
}

/**
 * Writes `files` under `target`. A new target is written whole into a temporary sibling
 * directory, then renamed into place: it is absent or complete, and of two runs racing for the
 * same name exactly one wins (the other's rename finds a non-empty directory). Over an existing
 * target (`replace`), each file is staged in a temporary sibling of its own, created with its
 * final mode, and only once all are staged are they renamed into place: no file is ever seen
 * half-written, and an interruption before that point changes nothing.
 */
export async function writeFiles(
  target: string,
  files: RenderedFile[],
  options: WriteFilesOptions,
): Promise<WriteFilesResult> {
  const existing = assertWritable(target, options.replace);
  const replaced = existing === 'directory' ? findReplaced(target, files) : [];
  const leftovers = [
    ...findLeftovers(dirname(target), [basename(target)]),
    ...(existing === 'directory' ? directoriesOf(target, files).flatMap((dir) => findLeftovers(dir)) : []),
  ];
  const result = { written: files.map((f) => f.path).sort(compareText), replaced, leftovers };
  if (options.dryRun) return result;
  for (const leftover of leftovers) rmSync(leftover, { recursive: true, force: true });
  const staging = new Staging(options.signal);
  try {
    if (existing === 'absent') await writeNew(target, files, staging);
    else await writeOver(target, files, staging);
  } catch (error) {
    staging.discard();
    throw error instanceof BootstrapError ? error : toWorkError(error, target);
  } finally {
    staging.close();
  }
  return result;
}

/**
 * What a write has made so far, removed at once when the signal aborts: synchronously, from the
 * signal's own handler, so a second Ctrl-C or SIGTERM (which exits at once) finds nothing left.
 * The writes themselves are synchronous between two yields, so nothing is in flight then.
 */
class Staging {
  private readonly paths: string[] = [];
  private readonly onAbort = () => this.discard();

  constructor(private readonly signal?: AbortSignal) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Records a path to remove if the write does not complete (a directory is removed whole). */
  add(path: string): void {
    this.paths.push(path);
  }

  /** Lets Ctrl-C and SIGTERM in, then stops if one came. */
  async yield(): Promise<void> {
    await yieldToSignals();
    this.check();
  }

  check(): void {
    if (this.signal?.aborted) throw new InterruptedError();
  }

  discard(): void {
    for (const path of this.paths.splice(0).reverse()) rmSync(path, { recursive: true, force: true });
  }

  /** The write is over (done, or discarded): later signals have nothing to remove. */
  close(): void {
    this.paths.length = 0;
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

async function writeNew(target: string, files: RenderedFile[], staging: Staging): Promise<void> {
  staging.check();
  // `--dir` may name parents that do not exist yet; they are removed again if the write fails.
  const createdParent = makeParents(dirname(target));
  if (createdParent) staging.add(createdParent);
  const temp = tempSibling(target);
  mkdirSync(temp, { mode: 0o755 });
  staging.add(temp);
  for (const [index, file] of files.entries()) {
    if (index % FILES_BETWEEN_SIGNAL_CHECKS === 0) await staging.yield();
    const path = join(temp, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeNewFile(path, file);
  }
  await staging.yield();
  // Checked again: something may have appeared there while we wrote.
  assertWritable(target, false);
  try {
    renameSync(temp, target);
  } catch (error) {
    // Another run won the race for this name (or someone made it meanwhile).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') throw alreadyExists(target);
    throw error;
  }
}

async function writeOver(target: string, files: RenderedFile[], staging: Staging): Promise<void> {
  const staged: Array<[temp: string, path: string]> = [];
  for (const [index, file] of files.entries()) {
    if (index % FILES_BETWEEN_SIGNAL_CHECKS === 0) await staging.yield();
    const path = join(target, file.path);
    const createdDir = makeParents(dirname(path));
    if (createdDir) staging.add(createdDir);
    const temp = tempSibling(path);
    writeNewFile(temp, file, staging);
    staged.push([temp, path]);
  }
  await staging.yield();
  // Checked again, just before the renames: a directory swapped for a link meanwhile is refused.
  findReplaced(target, files);
  // No yield from here on: once the first file is replaced, the rest follow.
  staging.close();
  for (const [index, [temp, path]] of staged.entries()) {
    try {
      renameSync(temp, path);
    } catch (error) {
      // Rare (a sticky directory where the old file is someone else's): each file is whole, old or new.
      for (const [left] of staged.slice(index)) rmSync(left, { force: true });
      throw new WorkError(
        `cannot replace ${path}: ${ioReason(error)}; ${index} of ${staged.length} files were written, the others are as they were`,
      );
    }
  }
}

/**
 * Creates `path` with its final mode from the start (never readable by others for a moment),
 * failing if the name is taken: what is there is not ours, so it is not `staging`'s to remove.
 */
function writeNewFile(path: string, file: RenderedFile, staging?: Staging): void {
  const fd = openSync(path, 'wx', file.mode);
  staging?.add(path);
  try {
    // The umask narrowed the mode given to open; the template's mode is the contract.
    fchmodSync(fd, file.mode);
    writeSync(fd, file.content);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `dir` and its missing parents one by one (a recursive mkdir spins forever where the
 * kernel refuses with ENOENT, as under /proc); returns the top-most one created.
 */
function makeParents(dir: string): string | undefined {
  const missing: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    const kind = kindOf(at);
    if (kind === 'directory') break;
    if (kind !== 'absent' || at === dirname(at)) {
      throw new UsageError(`cannot create ${dir}: ${at} is not a directory (check --dir)`);
    }
    missing.unshift(at);
  }
  for (const path of missing) mkdirSync(path, { mode: 0o755 });
  return missing[0];
}

function kindOf(path: string): 'absent' | 'directory' | 'link' | 'other' {
  try {
    const stats = lstatSync(path);
    return stats.isDirectory() ? 'directory' : stats.isSymbolicLink() ? 'link' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
}

/**
 * The files of `files` that exist under `target` and would be replaced. Refuses a path the
 * template can only write through a symbolic link or over a directory (the user's, never to
 * be followed or removed), or under a file.
 */
function findReplaced(target: string, files: RenderedFile[]): string[] {
  const kinds = new Map<string, ReturnType<typeof kindOf>>();
  const kindAt = (relative: string) => {
    if (!kinds.has(relative)) kinds.set(relative, kindOf(join(target, relative)));
    return kinds.get(relative)!;
  };
  const replaced: string[] = [];
  for (const file of files) {
    const segments = file.path.split('/');
    for (let depth = 1; depth < segments.length; depth++) {
      const dir = segments.slice(0, depth).join('/');
      const kind = kindAt(dir);
      if (kind === 'absent') break;
      if (kind === 'link')
        throw new UsageError(
          `${join(target, dir)} is a symbolic link, and the template writes ${file.path} there: --force never writes through links; remove it or move it aside`,
        );
      if (kind === 'other')
        throw new UsageError(
          `${join(target, dir)} is a file, and the template needs a directory there for ${file.path}: move it aside`,
        );
    }
    const kind = kindAt(file.path);
    if (kind === 'directory')
      throw new UsageError(
        `${join(target, file.path)} is a directory, and the template writes a file there: move it aside`,
      );
    if (kind !== 'absent') replaced.push(file.path);
  }
  return replaced.sort(compareText);
}

/** The existing directories under `target` that the files go into (the target itself included). */
function directoriesOf(target: string, files: RenderedFile[]): string[] {
  const dirs = new Set(files.map((file) => posix.dirname(file.path)));
  return [...dirs].map((dir) => join(target, dir)).filter((dir) => kindOf(dir) === 'directory');
}

function toWorkError(error: unknown, target: string): WorkError {
  const { path } = error as NodeJS.ErrnoException;
  return new WorkError(`cannot write ${target}: ${ioReason(error)}${path ? ` (${path})` : ''}; nothing was written`);
}
