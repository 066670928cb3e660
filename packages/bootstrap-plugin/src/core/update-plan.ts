import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Change } from './fs-changes.js';
import { hasConflictMarkers, isBinary, mergeText, type MergeLabels } from './merge.js';
import type { BaseFile } from './record.js';
import type { RenderedFile } from './render.js';

/**
 * The three-way decision for each file of a plugin: its base (what the template produced
 * last time), the plugin's own copy, and what the template produces now.
 */

/** What `update` does to one file, in the order a summary lists them; files it leaves as they are get no entry. */
export const FILE_ACTIONS = ['added', 'updated', 'merged', 'conflicted', 'removed', 'kept'] as const;
export type FileAction = (typeof FILE_ACTIONS)[number];

export interface FileUpdate {
  path: string;
  action: FileAction;
  /** Why, for conflicts and for files kept against the template's wish. */
  reason?: string;
}

export interface FilePlan {
  files: FileUpdate[];
  changes: Change[];
  /** Files still holding the conflict markers of an earlier update: merging again would nest them. */
  unresolved: string[];
}

/**
 * Where the template's version of a file goes when it cannot be merged into it (a binary file
 * changed on both sides, a file the user deleted): beside it, the way rpm writes `.rpmnew`.
 */
export const NEW_SUFFIX = '.bootstrap-plugin-new';

type Current = { kind: 'file'; content: Buffer; mode: number } | { kind: 'absent' } | { kind: 'other'; what: string };

/**
 * Plans every path the base or the new rendering knows, and only those: any other file of the
 * plugin is the user's and is never read. Reads the plugin; writes nothing.
 */
export function planFiles(
  dir: string,
  base: Map<string, BaseFile>,
  rendered: RenderedFile[],
  labels: MergeLabels,
): FilePlan {
  const next = new Map(rendered.map((file) => [file.path, file]));
  const paths = [...new Set([...base.keys(), ...next.keys()])].sort();
  const plan: FilePlan = { files: [], changes: [], unresolved: [] };
  for (const path of paths) {
    const ours = readCurrent(dir, path);
    if (ours.kind === 'file' && !isBinary(ours.content) && hasConflictMarkers(ours.content.toString('utf8'), labels))
      plan.unresolved.push(path);
    planFile(plan, path, base.get(path), ours, next.get(path), labels);
  }
  return plan;
}

function planFile(
  plan: FilePlan,
  path: string,
  base: BaseFile | undefined,
  ours: Current,
  theirs: RenderedFile | undefined,
  labels: MergeLabels,
): void {
  const note = (action: FileAction, reason?: string): void =>
    void plan.files.push({ path, action, ...(reason && { reason }) });
  const write = (content: Buffer, mode: number, at = path): void => void plan.changes.push({ path: at, content, mode });
  const beside = (file: BaseFile) => write(file.content, file.mode, `${path}${NEW_SUFFIX}`);

  if (ours.kind === 'other') {
    // A directory, a link or a link on the way where a file was: the user's doing, left alone.
    if (theirs && !(base && same(base, theirs)))
      note('conflicted', `${ours.what}; left alone, the template's version was not written`);
    return;
  }
  if (!theirs) {
    if (!base || ours.kind === 'absent') return;
    if (same(base, ours)) {
      plan.changes.push({ path });
      return note('removed');
    }
    return note('kept', 'the template dropped it, but you changed it');
  }
  if (ours.kind === 'absent') {
    if (!base) {
      write(theirs.content, theirs.mode);
      return note('added');
    }
    if (same(base, theirs)) return;
    beside(theirs);
    return note(
      'conflicted',
      `you deleted it and the template changed it: the template's version is in ${path}${NEW_SUFFIX}`,
    );
  }
  // Both sides have the file; a template file the base did not have merges against nothing.
  const ancestor = base ?? { content: Buffer.alloc(0), mode: ours.mode };
  const mode = ours.mode === ancestor.mode ? theirs.mode : ours.mode;
  const content = mergeContent(ancestor.content, ours.content, theirs.content);
  if (content === 'binary') {
    beside(theirs);
    return note(
      'conflicted',
      `binary, changed on both sides: yours is kept, the template's version is in ${path}${NEW_SUFFIX}`,
    );
  }
  if (content.text.equals(ours.content) && mode === ours.mode) return;
  write(content.text, mode);
  if (content.conflicts > 0)
    return note(
      'conflicted',
      `${content.conflicts} overlapping change${content.conflicts > 1 ? 's' : ''} marked <<<<<<< ` +
        `${labels.ours} … >>>>>>> ${labels.theirs}`,
    );
  note(content.merged ? 'merged' : 'updated');

  function mergeContent(
    b: Buffer,
    o: Buffer,
    t: Buffer,
  ): 'binary' | { text: Buffer; conflicts: number; merged: boolean } {
    if (o.equals(b) || o.equals(t)) return { text: t, conflicts: 0, merged: false };
    if (t.equals(b)) return { text: o, conflicts: 0, merged: false };
    if (isBinary(b) || isBinary(o) || isBinary(t)) return 'binary';
    const merged = mergeText(b.toString('utf8'), o.toString('utf8'), t.toString('utf8'), labels);
    return { text: Buffer.from(merged.text, 'utf8'), conflicts: merged.conflicts, merged: true };
  }
}

function same(a: BaseFile, b: { content: Buffer; mode: number }): boolean {
  return a.mode === b.mode && a.content.equals(b.content);
}

/** The plugin's copy of a path: never followed through a symbolic link, in the file or on the way. */
function readCurrent(dir: string, path: string): Current {
  const segments = path.split('/');
  for (let depth = 1; depth <= segments.length; depth++) {
    const at = join(dir, ...segments.slice(0, depth));
    const last = depth === segments.length;
    let stats;
    try {
      stats = lstatSync(at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { kind: 'absent' };
      throw error;
    }
    const shown = segments.slice(0, depth).join('/');
    if (stats.isSymbolicLink()) return { kind: 'other', what: `${shown} is a symbolic link` };
    if (!last && !stats.isDirectory()) return { kind: 'other', what: `${shown} is not a directory` };
    if (last && !stats.isFile()) return { kind: 'other', what: `${shown} is not a regular file` };
    if (last) return { kind: 'file', content: readFileSync(at), mode: stats.mode & 0o777 };
  }
  return { kind: 'absent' };
}
