import { readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { InterruptedError, ioReason, WorkError } from './errors.js';
import { removeOnExit } from './fs-file.js';
import { isRunning } from './fs-temp.js';

/**
 * Writers of one file take turns, as git does with `index.lock`: `FILE.lock` beside the file,
 * created exclusively and holding the holder's process id and host. A run waits a few seconds
 * for its turn, then gives up with one line naming the holder. A lock whose process no longer
 * runs on this host (a run killed by SIGKILL) is stale: the next run removes it, one breaker at
 * a time, and says so. A lock from another host is never judged: only waited for.
 */

/** How long a run waits for its turn: a `config set` holds the lock for milliseconds. */
const WAIT_MS = 5000;
const POLL_MS = 20;
/** A lock without a readable holder is stale past this age (a run killed between creating and filling it). */
const UNREADABLE_STALE_MS = 10_000;
const LOCK_SUFFIX = '.lock';
const BREAK_SUFFIX = '.break';

export interface Lock {
  /** Stale locks of killed runs, removed to take this one. */
  removed: string[];
  release(): void;
}

interface Holder {
  pid?: number;
  host?: string;
  ino: number;
  ageMs: number;
}

/**
 * Takes the lock of `file` (its real path's, so a symbolic link and its target share one); `shown`
 * names it in messages.
 */
export async function lockFile(file: string, shown: string, signal?: AbortSignal): Promise<Lock> {
  const lock = `${realPathOf(file)}${LOCK_SUFFIX}`;
  const shownLock = `${shown}${LOCK_SUFFIX}`;
  const host = hostname();
  const removed: string[] = [];
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (signal?.aborted) throw new InterruptedError('interrupted, the file is unchanged');
    // Synchronous from creation to registration: no signal handler can run in between.
    try {
      writeFileSync(lock, `${process.pid} ${host}\n`, { flag: 'wx', mode: 0o644 });
      const forget = removeOnExit(lock);
      return {
        removed,
        release: () => {
          forget();
          rmSync(lock, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new WorkError(`cannot lock ${shown}: cannot create ${shownLock}: ${ioReason(error)}`);
    }
    const holder = readHolder(lock);
    if (holder && isStale(holder, host)) {
      if (breakStale(lock, holder, host)) removed.push(lock);
      continue;
    }
    if (Date.now() > deadline) {
      const who =
        holder?.pid === undefined
          ? 'another run'
          : `process ${holder.pid}${holder.host === host ? '' : ` on ${holder.host}`}`;
      throw new WorkError(
        `${shown} is being changed by ${who} (it holds ${shownLock}); try again, or delete ${shownLock} if ` +
          'no bootstrap-plugin runs there',
      );
    }
    await new Promise((done) => setTimeout(done, POLL_MS + Math.random() * POLL_MS));
  }
}

function realPathOf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** The lock's holder; undefined when the lock is gone already. */
function readHolder(lock: string): Holder | undefined {
  try {
    const info = statSync(lock);
    const [pid, host] = readFileSync(lock, 'utf8').trim().split(' ');
    const id = Number(pid);
    return {
      pid: Number.isSafeInteger(id) && id > 0 ? id : undefined,
      host,
      ino: info.ino,
      ageMs: Date.now() - info.mtimeMs,
    };
  } catch {
    return undefined;
  }
}

function isStale(holder: Holder, host: string): boolean {
  if (holder.pid === undefined) return holder.ageMs > UNREADABLE_STALE_MS;
  return holder.host === host && !isRunning(holder.pid);
}

/**
 * Removes a stale lock unless another run got there first: breakers take turns on `LOCK.break`,
 * and the lock is removed only if it is still the very file judged stale, and still stale.
 */
function breakStale(lock: string, stale: Holder, host: string): boolean {
  const guard = `${lock}${BREAK_SUFFIX}`;
  try {
    writeFileSync(guard, `${process.pid}\n`, { flag: 'wx' });
  } catch {
    // Another run is breaking it; a guard left by a killed breaker is removed once old.
    const age = Date.now() - (statSync(guard, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > UNREADABLE_STALE_MS) rmSync(guard, { force: true });
    return false;
  }
  try {
    // Judged again under the guard: a run may have replaced it with a live lock meanwhile.
    const now = readHolder(lock);
    if (!now || now.ino !== stale.ino || now.pid !== stale.pid || !isStale(now, host)) return false;
    rmSync(lock, { force: true });
    return true;
  } finally {
    rmSync(guard, { force: true });
  }
}
