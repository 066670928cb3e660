import { constants, unlinkSync, writeSync, type Stats } from 'node:fs';
import { lstat, open, readlink, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InterruptedError, ioReason, UsageError, WorkError } from './errors.js';
import { findLeftovers, tempSibling } from './fs-temp.js';

/**
 * Writing one file (`config set`, `env -o`) so that nothing the user owns is lost: a regular file
 * is replaced atomically with its mode and owner; hard links, a file whose owner cannot be
 * kept and anything that is not a regular file are written in place, never replaced; a temporary
 * file never outlives the process, whatever signal ends it, and a killed run's are removed by
 * the next one.
 */

/** Paths to remove if the process exits before it is done with them: a second Ctrl-C exits at once. */
const pending = new Set<string>();
let exitHookSet = false;

/** Removes `path` if the process exits before the returned function is called. */
export function removeOnExit(path: string): () => void {
  if (!exitHookSet) {
    // 'exit' listeners run synchronously on process.exit(), whoever calls it.
    process.on('exit', () => {
      for (const file of pending) {
        try {
          unlinkSync(file);
        } catch {
          // Already gone: nothing left behind.
        }
      }
    });
    exitHookSet = true;
  }
  pending.add(path);
  return () => pending.delete(path);
}

/** Streams and devices (`/dev/stdout`, `/dev/null`, `/proc/self/fd/1`) are written to, whatever they resolve to. */
const STREAM_DIRECTORIES = ['/dev/', '/proc/'];

type Target = { kind: 'replace' | 'in place'; path: string; existing?: Stats };

/** Where and how `path` is written; a symbolic link to nothing is refused (creating its target would surprise). */
async function resolveTarget(path: string): Promise<Target> {
  const absolute = resolve(path);
  if (STREAM_DIRECTORIES.some((dir) => absolute.startsWith(dir))) return { kind: 'in place', path };
  const link = await lstat(path).catch(() => undefined);
  if (!link) return { kind: 'replace', path };
  const existing = link.isSymbolicLink() ? await stat(path).catch(() => undefined) : link;
  if (!existing) {
    throw new UsageError(
      `${path} is a symbolic link to ${await readlink(path)}, which does not exist: create that file first, ` +
        'or remove the link',
    );
  }
  // A link is followed: the file it points to is the one meant (and the link is kept).
  const real = link.isSymbolicLink() ? await realpath(path) : path;
  if (!existing.isFile()) return { kind: 'in place', path: real, existing };
  const ownerKept = existing.uid === process.getuid?.() || process.getuid?.() === 0;
  return { kind: existing.nlink > 1 || !ownerKept ? 'in place' : 'replace', path: real, existing };
}

export interface WriteResult {
  /** Temporary files of killed runs on this target, removed. */
  removed: string[];
}

/**
 * Writes `content` to `path`. A regular file is replaced atomically: a temporary file beside
 * it, created with the file's mode and owner from the start, flushed, then renamed over it (a
 * symbolic link's target is replaced, the link kept). A file with several hard links, one
 * owned by someone else (when not root) and anything that is not a regular file (a FIFO,
 * `/dev/null`, `/dev/stdout`) are written in place. Aborted before the rename, it leaves the
 * file as it was and no temporary file.
 */
export async function writeFileAtomic(path: string, content: string, signal?: AbortSignal): Promise<WriteResult> {
  let target: Target;
  try {
    target = await resolveTarget(path);
  } catch (error) {
    throw error instanceof UsageError ? error : new WorkError(`cannot write ${path}: ${ioReason(error)}`);
  }
  if (target.kind === 'in place') {
    await writeInPlace(target, content, signal).catch((error: unknown) => {
      throw error instanceof InterruptedError ? error : new WorkError(`cannot write ${path}: ${ioReason(error)}`);
    });
    return { removed: [] };
  }
  const removed = await removeLeftovers(target.path);
  const temp = tempSibling(target.path);
  const forget = removeOnExit(temp);
  try {
    const mode = target.existing ? target.existing.mode & 0o7777 : 0o666;
    // The umask can only narrow the mode given here, so the file is never more open than the one it replaces.
    const handle = await open(temp, 'wx', mode & 0o777);
    try {
      if (target.existing) {
        // chown first: it clears set-id bits, which chmod then restores.
        if (target.existing.uid !== process.getuid?.() || target.existing.gid !== process.getgid?.()) {
          await handle.chown(target.existing.uid, target.existing.gid).catch(() => undefined);
        }
        await handle.chmod(mode);
      }
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (signal?.aborted) throw new InterruptedError('interrupted, the file is unchanged');
    await rename(temp, target.path);
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof InterruptedError) throw error;
    throw new WorkError(`cannot write ${path}: ${ioReason(error)}; the file is unchanged`);
  } finally {
    forget();
  }
  return { removed };
}

/**
 * Writes through the file itself. A FIFO without a reader blocks the open: an abort opens it
 * for reading, which lets the open return, so that the run ends on SIGTERM.
 */
async function writeInPlace(target: Target, content: string, signal?: AbortSignal): Promise<void> {
  const descriptor = STREAM_NAME.exec(target.path)?.slice(1).find(Boolean);
  if (descriptor !== undefined)
    return writeToDescriptor(
      Number(descriptor === 'stdout' ? 1 : descriptor === 'stderr' ? 2 : descriptor),
      Buffer.from(content),
    );
  const regular = target.existing?.isFile() ?? false;
  const unblock = () =>
    void open(target.path, constants.O_RDONLY | constants.O_NONBLOCK).then(
      (reader) => reader.close(),
      () => undefined,
    );
  signal?.addEventListener('abort', unblock, { once: true });
  let handle: FileHandle;
  try {
    // A regular file is truncated only once the new content is in: no window where it is empty.
    handle = await open(target.path, regular ? 'r+' : 'w');
  } finally {
    signal?.removeEventListener('abort', unblock);
  }
  try {
    if (signal?.aborted) throw new InterruptedError('interrupted, nothing was written');
    const bytes = Buffer.from(content);
    await handle.write(bytes, 0, bytes.length, regular ? 0 : null);
    if (regular) {
      await handle.truncate(bytes.length);
      await handle.sync();
    }
  } finally {
    await handle.close();
  }
}

/**
 * Our own open descriptors by name: written to as they are, since a socket (what Node gives a
 * child for a pipe) cannot be opened again by its `/proc` name.
 */
const STREAM_NAME = /^\/dev\/(stdout|stderr)$|^\/dev\/fd\/(\d+)$|^\/proc\/self\/fd\/(\d+)$/;
const RETRY_MS = 5;

/** Writes all of `bytes`, waiting while a non-blocking pipe or socket is full. */
async function writeToDescriptor(fd: number, bytes: Buffer): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    try {
      at += writeSync(fd, bytes, at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      await new Promise((done) => setTimeout(done, RETRY_MS));
    }
  }
}

/** Temporary files beside `target` left by runs that no longer exist (killed, SIGKILL); removed and named. */
async function removeLeftovers(target: string): Promise<string[]> {
  const leftovers = findLeftovers(dirname(target), [basename(target)]);
  for (const path of leftovers) await rm(path, { recursive: true, force: true });
  return leftovers;
}
