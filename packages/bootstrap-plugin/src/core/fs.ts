import { chmodSync, lstatSync, mkdirSync, renameSync, rmdirSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError, InterruptedError, ioReason, UsageError, WorkError } from './errors.js';
import type { RenderedFile } from './render.js';

/**
 * The one place that writes to the file system: temporary names, atomic file and tree writes,
 * and decoding what was read. Everything else in the core computes; this module touches disk.
 */

/** How many files are written between two looks at the abort signal. */
const FILES_BETWEEN_SIGNAL_CHECKS = 32;
/** Loaded on first use, not at start-up: `list`, `env` and `--version` never need randomness. */
const crypto = () => process.getBuiltinModule('node:crypto');

/** A hidden, unique name beside `target`: where a tree or a file is written before it is renamed into place. */
export function tempSibling(target: string): string {
  return join(dirname(target), `.${basename(target)}.bootstrap-plugin-${crypto().randomBytes(4).toString('hex')}`);
}

export interface WriteOptions {
  /** Replace an existing directory, only once the new tree is complete. */
  force: boolean;
  /** Aborting (Ctrl-C, SIGTERM) stops the write and removes everything written so far. */
  signal?: AbortSignal;
}

/**
 * Fails when the target exists and may not be replaced, or cannot be made: a parent that is a
 * file. A symbolic link is refused even with `force`: replacing it would surprise whoever made
 * it, and writing through it would put the plugin somewhere else.
 */
export async function assertWritable(target: string, force: boolean): Promise<void> {
  let existing: Stats;
  try {
    existing = await lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new UsageError(`cannot create ${target}: one of its parents is a file, not a directory (check --dir)`);
    }
    return;
  }
  if (existing.isSymbolicLink()) throw new UsageError(`${target} is a symbolic link; remove it or choose another name`);
  if (!existing.isDirectory()) throw new UsageError(`${target} exists and is not a directory; remove it or choose another name`);
  if (!force) throw new UsageError(`directory ${target} already exists (use --force to replace it)`);
}

/**
 * Writes the tree into a temporary sibling of `target`, then renames it into place, so the
 * target is either absent, untouched, or complete. With `force`, the old directory is swapped
 * out only after the new one is fully written.
 */
export async function writeTree(files: RenderedFile[], target: string, options: WriteOptions): Promise<void> {
  await assertWritable(target, options.force);
  const temp = tempSibling(target);
  const checkAbort = () => {
    if (options.signal?.aborted) throw new InterruptedError();
  };
  // `--dir` may name parents that do not exist yet; they are removed again if the write fails.
  // Only what this run made is removed: never a directory it failed to create.
  let created: string | undefined;
  try {
    checkAbort();
    created = await mkdir(dirname(target), { recursive: true });
    await mkdir(temp, { mode: 0o755 });
    created ??= temp;
    // Small files are written faster one after the other than through the thread pool; every few
    // files the event loop gets a turn, so Ctrl-C and SIGTERM stop a big tree while it is written.
    for (const [index, file] of files.entries()) {
      if (index % FILES_BETWEEN_SIGNAL_CHECKS === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        checkAbort();
      }
      const path = join(temp, file.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.content, { mode: file.mode });
      chmodSync(path, file.mode);
    }
    checkAbort();
    await swapInto(temp, target, options.force);
  } catch (error) {
    if (created) await rm(created, { recursive: true, force: true });
    throw error instanceof InterruptedError || error instanceof UsageError ? error : toWorkError(error, target);
  }
}

async function swapInto(temp: string, target: string, force: boolean): Promise<void> {
  // Checked again, with the same rules: something may have appeared there while we wrote.
  await assertWritable(target, force);
  const exists = await lstat(target).then(() => true, () => false);
  if (!exists) return rename(temp, target);
  const old = `${temp}-old`;
  await rename(target, old);
  try {
    await rename(temp, target);
  } catch (error) {
    await rename(old, target);
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}

function toWorkError(error: unknown, target: string): WorkError {
  const { path } = error as NodeJS.ErrnoException;
  return new WorkError(`cannot write ${target}: ${ioReason(error)}${path ? ` (${path})` : ''}; nothing was written`);
}

/**
 * Replaces a file atomically: a temporary file in the same directory, flushed, then renamed over
 * it (a symbolic link's target is replaced, the link kept); an existing file keeps its mode.
 * Aborted before the rename, it removes the temporary file and leaves the file as it was.
 */
export async function writeFileAtomic(path: string, content: string, signal?: AbortSignal): Promise<void> {
  const target = await realpath(path).catch(() => path);
  const existing = await stat(target).catch(() => undefined);
  const temp = tempSibling(target);
  try {
    const handle = await open(temp, 'wx', 0o666);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (existing) await chmod(temp, existing.mode & 0o7777);
    if (signal?.aborted) throw new InterruptedError('interrupted, the file is unchanged');
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof InterruptedError) throw error;
    throw new WorkError(`cannot write ${path}: ${ioReason(error)}; the file is unchanged`);
  }
}

/** One file to write (with `content`) or remove (without) in a directory that stays in use. */
export interface Change {
  /** Relative, `/`-separated, checked by the caller to stay inside the directory. */
  path: string;
  content?: Buffer;
  mode?: number;
}

/** A hidden staging directory inside the target: renames from it never cross file systems. */
const STAGING_PREFIX = '.bootstrap-plugin-staging-';

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
  const staging = join(dir, `${STAGING_PREFIX}${crypto().randomBytes(4).toString('hex')}`);
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
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

export function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, bad).toString('latin1').split(/\r\n|\r|\n/).length;
    throw new ConfigError(file, line, 'not valid UTF-8: save the file as UTF-8');
  }
}

/** Offset of the first byte that does not start a valid UTF-8 sequence (only called on invalid input). */
function firstInvalidUtf8(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let at = 0;
  while (at < bytes.length) {
    const lead = bytes[at];
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0 || at + length > bytes.length) return at;
    try {
      decoder.decode(bytes.subarray(at, at + length));
    } catch {
      return at;
    }
    at += length;
  }
  return at;
}
