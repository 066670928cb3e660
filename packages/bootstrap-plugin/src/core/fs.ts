import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { ConfigError, ioReason } from './errors.js';

/**
 * Reading and decoding what the user or a template gives: the one wording for every read
 * error. Writes live beside it: temporary names in `fs-temp.ts`, staged changes in
 * `fs-changes.ts`, whole trees in `tree.ts`, one file in `fs-file.ts`.
 */

/** What Node decodes bytes that are not UTF-8 into, in arguments and the environment. */
export const REPLACEMENT_CHARACTER = '\uFFFD';

/** Node cannot tell such bytes from a typed U+FFFD, so both are refused. */
export const notUtf8 = (what: string): string =>
  `${what} is not valid UTF-8 (its bytes arrive as U+FFFD "\uFFFD", which is refused for that reason): give ` +
  'it in UTF-8';

/**
 * `dir/relative`, for a directory and a relative path made of plain names (no `.`, `..` or empty
 * segment): what path.join gives for them, without its normalising. That walks every character,
 * and over a template's paths under a long install prefix (/usr/local/lib/node_modules/…) it
 * turns hot enough for V8 to optimise it at each start: a ~9 ms compile on a background thread,
 * which the process waits for at exit.
 */
export const inDir = (dir: string, relative: string): string => `${dir}/${relative}`;

/** The largest input file read: templates and answers are held in memory whole. */
const MAX_READ_BYTES = 1024 ** 3;
const OPEN_TO_READ = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/**
 * Reads a file a template or the user names, refusing what is not a plain file: a FIFO or a
 * device would block forever (a blocked read cannot be interrupted, not even by SIGTERM), a
 * symbolic link could lead anywhere, a huge file would exhaust memory. `fix` says what to do
 * when it cannot be read; errors name it `shown` (as the user wrote it). O_NONBLOCK makes opening a
 * FIFO return at once, so fstat can refuse it.
 */
export function readRegularFile(path: string, fix: string, shown = path): Buffer {
  let fd: number;
  try {
    fd = openSync(path, OPEN_TO_READ);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      throw new ConfigError(
        shown,
        undefined,
        'is a symbolic link: templates and answers files must be plain files (copy the file instead)',
      );
    throw new ConfigError(shown, undefined, `cannot be read (${ioReason(error)}): ${fix}`);
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw new ConfigError(shown, undefined, `cannot be read (it is a directory): ${fix}`);
    if (!stats.isFile()) throw new ConfigError(shown, undefined, `is ${kindName(stats)}, not a plain file: ${fix}`);
    if (stats.size > MAX_READ_BYTES) {
      throw new ConfigError(
        shown,
        undefined,
        `is ${(stats.size / 1024 ** 3).toFixed(1)} GiB; files read are held in memory, at most 1 GiB: make it smaller`,
      );
    }
    return readFileSync(fd);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(shown, undefined, `cannot be read (${ioReason(error)}): ${fix}`);
  } finally {
    closeSync(fd);
  }
}

function kindName(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  return 'a device';
}

/**
 * The text of a template's manifest or next steps. A template shipped in this package is as
 * trusted as the code beside it (same directory, same owner, its tree pinned by the tests): it
 * is read in one call, as Node reads that code (readRegularFile's checks cost each start ~1 ms).
 * A user's template is read by readRegularFile, and must be UTF-8.
 */
export function readTemplateText(path: string, shipped: boolean, fix: string): string {
  return shipped ? readFileSync(path, 'utf8') : decodeUtf8(readRegularFile(path, fix), path);
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
