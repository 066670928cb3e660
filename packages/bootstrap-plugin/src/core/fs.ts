import { chmodSync, mkdirSync, writeFileSync, type Stats } from 'node:fs';
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
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

const TEMP_MARK = '.bootstrap-plugin-';
const TEMP_SUFFIX = /^(\d+)-[0-9a-f]{8}$/;

/**
 * A hidden, unique name beside `target`: where a tree or a file is written before it is renamed
 * into place. It holds the process id, so a later run can tell a killed run's leftovers.
 */
export function tempSibling(target: string): string {
  return join(dirname(target), `.${basename(target)}${TEMP_MARK}${process.pid}-${crypto().randomBytes(4).toString('hex')}`);
}

/** The process id in `name` when it is a temporary sibling of `base` (see tempSibling). */
export function leftoverOwner(name: string, base: string): number | undefined {
  const start = `.${base}${TEMP_MARK}`;
  if (!name.startsWith(start)) return undefined;
  const pid = TEMP_SUFFIX.exec(name.slice(start.length))?.[1];
  return pid === undefined ? undefined : Number(pid);
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

/** What Node decodes bytes that are not UTF-8 into, in arguments and the environment. */
export const REPLACEMENT_CHARACTER = '\uFFFD';

/** Node cannot tell such bytes from a typed U+FFFD, so both are refused. */
export const notUtf8 = (what: string): string =>
  `${what} is not valid UTF-8 (its bytes arrive as U+FFFD "\uFFFD", which is refused for that reason): give it in UTF-8`;

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
