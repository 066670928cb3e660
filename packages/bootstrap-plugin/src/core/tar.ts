import { createReadStream } from 'node:fs';
import { WorkError } from './errors.js';

/**
 * A POSIX tar (ustar, with pax records for what ustar cannot hold: long or non-ASCII names,
 * sizes of 8 GiB and more), written as a stream of chunks. Python's tarfile, GNU tar and
 * MetWork's plugin reader read it.
 */

/** One member of the archive; a file's bytes are read from `source` while the archive is written. */
export type TarEntry =
  | { type: 'directory'; path: string; mode: number; mtime: number }
  | { type: 'file'; path: string; mode: number; mtime: number; size: number; source: string }
  | { type: 'bytes'; path: string; mode: number; mtime: number; content: Buffer }
  | { type: 'symlink'; path: string; mode: number; mtime: number; target: string };

const BLOCK = 512;
const NAME_LENGTH = 100;
const PREFIX_LENGTH = 155;
/** The largest size ustar's 11 octal digits hold (8 GiB - 1). */
const MAX_USTAR_SIZE = 0o77777777777;
const TYPE_FLAG = { file: '0', bytes: '0', symlink: '2', directory: '5', pax: 'x' } as const;

/** The archive, chunk by chunk, ending with the two zero blocks tar readers expect. */
export async function* tarChunks(entries: Iterable<TarEntry>): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const size = entry.type === 'file' ? entry.size : entry.type === 'bytes' ? entry.content.length : 0;
    const linkName = entry.type === 'symlink' ? entry.target : '';
    const pax = paxRecords(entry.path, linkName, size);
    if (pax) {
      yield header({
        path: `PaxHeader/${asciiTail(entry.path)}`,
        mode: 0o644,
        mtime: entry.mtime,
        size: pax.length,
        flag: TYPE_FLAG.pax,
        linkName: '',
      });
      yield padded(pax);
    }
    yield header({
      path: entry.path,
      mode: entry.mode,
      mtime: entry.mtime,
      size,
      flag: TYPE_FLAG[entry.type],
      linkName,
    });
    if (entry.type === 'bytes') yield padded(entry.content);
    if (entry.type === 'file') yield* fileChunks(entry.source, entry.path, size);
  }
  yield Buffer.alloc(2 * BLOCK);
}

/** A file's bytes, checked against the size announced in its header (a file may change meanwhile). */
async function* fileChunks(source: string, path: string, size: number): AsyncGenerator<Buffer> {
  let read = 0;
  for await (const chunk of createReadStream(source) as AsyncIterable<Buffer>) {
    read += chunk.length;
    if (read > size) break;
    yield chunk;
  }
  if (read !== size) throw new WorkError(`${source} changed while it was archived (as ${path}); run the command again`);
  const rest = size % BLOCK;
  if (rest !== 0) yield Buffer.alloc(BLOCK - rest);
}

function padded(content: Buffer): Buffer {
  const rest = content.length % BLOCK;
  return rest === 0 ? content : Buffer.concat([content, Buffer.alloc(BLOCK - rest)]);
}

/** pax records for what the ustar header cannot say exactly, or undefined when it can. */
function paxRecords(path: string, linkName: string, size: number): Buffer | undefined {
  const records: string[] = [];
  if (splitPath(path) === undefined) records.push(paxRecord('path', path));
  if (!fitsUstar(linkName, NAME_LENGTH)) records.push(paxRecord('linkpath', linkName));
  if (size > MAX_USTAR_SIZE) records.push(paxRecord('size', String(size)));
  return records.length === 0 ? undefined : Buffer.from(records.join(''), 'utf8');
}

/** `LENGTH key=value\n`, where LENGTH counts the whole record, its own digits included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  let length = bodyLength;
  while (length !== bodyLength + String(length).length) length = bodyLength + String(length).length;
  return `${length}${body}`;
}

function fitsUstar(text: string, length: number): boolean {
  return /^[\x20-\x7e]*$/.test(text) && text.length <= length;
}

/** ustar's name and prefix fields for a path, or undefined when it needs a pax record. */
function splitPath(path: string): { name: string; prefix: string } | undefined {
  if (!/^[\x20-\x7e]*$/.test(path)) return undefined;
  if (path.length <= NAME_LENGTH) return { name: path, prefix: '' };
  for (let cut = path.indexOf('/'); cut !== -1; cut = path.indexOf('/', cut + 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (prefix.length <= PREFIX_LENGTH && name.length <= NAME_LENGTH && name !== '') return { name, prefix };
  }
  return undefined;
}

/** A printable stand-in for the pax header's own name (readers ignore it). */
function asciiTail(path: string): string {
  return path.replace(/[^\x20-\x7e]/g, '_').slice(-(NAME_LENGTH - 'PaxHeader/'.length));
}

interface Header {
  path: string;
  mode: number;
  mtime: number;
  size: number;
  flag: string;
  linkName: string;
}

function header(h: Header): Buffer {
  const block = Buffer.alloc(BLOCK);
  const { name, prefix } = splitPath(h.path) ?? { name: asciiTail(h.path), prefix: '' };
  block.write(name, 0, NAME_LENGTH, 'ascii');
  writeOctal(block, 100, 8, h.mode & 0o7777);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, Math.min(h.size, MAX_USTAR_SIZE));
  writeOctal(block, 136, 12, h.mtime);
  block.write(h.flag, 156, 1, 'ascii');
  if (fitsUstar(h.linkName, NAME_LENGTH)) block.write(h.linkName, 157, NAME_LENGTH, 'ascii');
  block.write('ustar\u000000', 257, 8, 'ascii');
  block.write(prefix, 345, PREFIX_LENGTH, 'ascii');
  // The checksum is computed with its own field as eight spaces.
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

/** A zero-padded octal number ending with NUL, as ustar's numeric fields hold them. */
function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(
    `${Math.floor(value)
      .toString(8)
      .padStart(length - 1, '0')}\u0000`,
    offset,
    length,
    'ascii',
  );
}
