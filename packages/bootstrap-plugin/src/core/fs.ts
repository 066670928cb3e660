import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError, InterruptedError, ioReason, UsageError, WorkError } from './errors.js';

/**
 * The one place that writes to the file system: temporary names, atomic file and tree writes,
 * and decoding what was read. Everything else in the core computes; this module touches disk.
 */

/** How many files are written between two looks at the abort signal. */
export const FILES_BETWEEN_SIGNAL_CHECKS = 32;
/** Loaded on first use, not at start-up: `list`, `env` and `--version` never need randomness. */
const crypto = () => process.getBuiltinModule('node:crypto');
/** Bytes of a file name kept in its temporary name: the rest (`.bootstrap-plugin-PID-RANDOM`) must fit in NAME_MAX (255). */
const NAME_BYTES_IN_TEMP = 200;
const TEMP_MARK = '.bootstrap-plugin-';
/** A temporary name this tool made: the name it stands for (maybe cut), then the pid of the run that made it. */
const TEMP_NAME = /^\.(.*)\.bootstrap-plugin-(\d+)-[0-9a-f]{8}$/s;

/**
 * A hidden, unique name beside `target`: where a tree or a file is written before it is renamed
 * into place. It carries the writer's pid, so a later run can tell a live writer's temporary
 * file from a leftover of one that was killed (see findLeftovers).
 */
export function tempSibling(target: string): string {
  return join(
    dirname(target),
    `${tempPrefix(basename(target))}${process.pid}-${crypto().randomBytes(4).toString('hex')}`,
  );
}

/** `.NAME.bootstrap-plugin-`, with NAME cut to fit a file name (a name near 255 bytes would overflow it). */
function tempPrefix(name: string): string {
  const bytes = Buffer.from(name);
  const kept = bytes.length <= NAME_BYTES_IN_TEMP ? name : bytes.subarray(0, NAME_BYTES_IN_TEMP).toString('utf8');
  return `.${kept}${TEMP_MARK}`;
}

/**
 * Temporary files or directories this tool left in `dir` for `names` (all of them when
 * absent) when a run was killed (SIGKILL, a crash, a power cut): those whose writer is gone.
 */
export function findLeftovers(dir: string, names?: string[]): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const prefixes = names?.map(tempPrefix);
  return entries
    .filter((entry) => {
      const match = TEMP_NAME.exec(entry);
      if (!match || (prefixes && !prefixes.some((prefix) => entry.startsWith(prefix)))) return false;
      return !isRunning(Number(match[2]));
    })
    .sort()
    .map((entry) => join(dir, entry));
}

/** Whether a process of this id runs on this machine. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
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
    throw error instanceof InterruptedError
      ? error
      : new WorkError(`cannot update ${dir}: ${ioReason(error)}; the plugin was left as it was`);
  }
  await rm(staging, { recursive: true, force: true });
  removeEmptiedDirs(
    dir,
    changes.filter((c) => c.content === undefined).map((c) => c.path),
  );
}

/**
 * Lets a pending signal's handler run. A signal is read in the event loop's poll phase; one
 * setImmediate may resume in the same loop turn without passing it, two cannot.
 */
export async function yieldToSignals(): Promise<void> {
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

/** What Node decodes bytes that are not UTF-8 into, in arguments and the environment. */
export const REPLACEMENT_CHARACTER = '\uFFFD';

/** Node cannot tell such bytes from a typed U+FFFD, so both are refused. */
export const notUtf8 = (what: string): string =>
  `${what} is not valid UTF-8 (its bytes arrive as U+FFFD "\uFFFD", which is refused for that reason): give it in UTF-8`;

/** The largest input file read: templates and answers are held in memory whole. */
const MAX_READ_BYTES = 1024 ** 3;
const OPEN_TO_READ = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/**
 * Reads a file a template or the user names, refusing what is not a plain file: a FIFO or a
 * device would block forever (a blocked read cannot be interrupted, not even by SIGTERM), a
 * symbolic link could lead anywhere, a huge file would exhaust memory. `fix` says what to do
 * when it cannot be read. O_NONBLOCK makes opening a FIFO return at once, so fstat can refuse it.
 */
export function readRegularFile(path: string, fix: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, OPEN_TO_READ);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      throw new ConfigError(
        path,
        undefined,
        'is a symbolic link: templates and answers files must be plain files (copy the file instead)',
      );
    throw new ConfigError(path, undefined, `cannot be read (${ioReason(error)}): ${fix}`);
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw new ConfigError(path, undefined, `cannot be read (it is a directory): ${fix}`);
    if (!stats.isFile()) throw new ConfigError(path, undefined, `is ${kindName(stats)}, not a plain file: ${fix}`);
    if (stats.size > MAX_READ_BYTES) {
      throw new ConfigError(
        path,
        undefined,
        `is ${(stats.size / 1024 ** 3).toFixed(1)} GiB; files read are held in memory, at most 1 GiB: make it smaller`,
      );
    }
    return readFileSync(fd);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(path, undefined, `cannot be read (${ioReason(error)}): ${fix}`);
  } finally {
    closeSync(fd);
  }
}

function kindName(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  return 'a device';
}

export function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const line = bytes
      .subarray(0, bad)
      .toString('latin1')
      .split(/\r\n|\r|\n/).length;
    throw new ConfigError(file, line, 'not valid UTF-8: save the file as UTF-8');
  }
}

/** Offset of the first byte that does not start a valid UTF-8 sequence (only called on invalid input). */
function firstInvalidUtf8(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let at = 0;
  while (at < bytes.length) {
    const lead = bytes[at];
    const length =
      lead < 0x80
        ? 1
        : lead >= 0xc2 && lead <= 0xdf
          ? 2
          : lead >= 0xe0 && lead <= 0xef
            ? 3
            : lead >= 0xf0 && lead <= 0xf4
              ? 4
              : 0;
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
