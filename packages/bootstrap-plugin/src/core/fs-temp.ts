import { closeSync, fchmodSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InterruptedError, UsageError } from './errors.js';

/**
 * Temporary names and what is staged under them: every write of this tool goes through a
 * hidden sibling named here, so a later run can tell a live writer's file from a killed one's.
 */

/** How many files are written between two looks at the abort signal. */
export const FILES_BETWEEN_SIGNAL_CHECKS = 32;
/** Bytes of a file name kept in its temporary name: `.bootstrap-plugin-PID-RANDOM` must still fit in 255. */
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
  return join(dirname(target), `${tempPrefix(basename(target))}${process.pid}-${randomHex()}`);
}

/**
 * Eight random hex digits. The name needs to be unique, not secret: every temporary file is
 * created exclusively (`wx`, mkdir), so a clash fails loudly instead of sharing a file, and the
 * pid already tells runs apart. Math.random spares node:crypto's load (~5 ms of each create).
 */
const randomHex = () =>
  Math.floor(Math.random() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0');

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
 * Lets a pending signal's handler run. A signal is read in the event loop's poll phase; one
 * setImmediate may resume in the same loop turn without passing it, two cannot.
 */
export async function yieldToSignals(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * What a write has made so far, removed at once when the signal aborts: synchronously, from the
 * signal's own handler, so a second Ctrl-C or SIGTERM (which exits at once) finds nothing left.
 * The writes themselves are synchronous between two yields, so nothing is in flight then.
 */
export class Staging {
  private readonly paths: string[] = [];
  private readonly onAbort = () => this.discard();

  constructor(
    private readonly signal?: AbortSignal,
    private readonly interrupted?: string,
  ) {
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
    if (this.signal?.aborted) throw new InterruptedError(this.interrupted);
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

/**
 * Creates `path` with its final mode from the start (never readable by others for a moment),
 * failing if the name is taken: what is there is not ours, so it is not `staging`'s to remove.
 */
export function writeNewFile(path: string, content: Buffer, mode: number, staging?: Staging): void {
  const fd = openSync(path, 'wx', mode);
  staging?.add(path);
  try {
    // The umask narrowed the mode given to open; the template's mode is the contract.
    fchmodSync(fd, mode);
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `dir` and its missing parents one by one (a recursive mkdir spins forever where the
 * kernel refuses with ENOENT, as under /proc); returns the top-most one created.
 */
export function makeParents(dir: string): string | undefined {
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

export type PathKind = 'absent' | 'directory' | 'link' | 'other';

export function kindOf(path: string): PathKind {
  try {
    const stats = lstatSync(path);
    return stats.isDirectory() ? 'directory' : stats.isSymbolicLink() ? 'link' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
}
