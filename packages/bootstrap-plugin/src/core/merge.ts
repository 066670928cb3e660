import { diff3Merge } from 'node-diff3';

/** The labels of git's conflict markers: whose side each block is. */
export interface MergeLabels {
  ours: string;
  theirs: string;
}

export interface TextMerge {
  text: string;
  /** Blocks changed differently on both sides, each written between conflict markers. */
  conflicts: number;
}

const MARKER_WIDTH = 7;

/**
 * Merges `ours` and `theirs`, both changed from `base`, line by line (diff3). Changes on one side
 * or the same change on both are taken; overlapping ones are written git's way:
 * `<<<<<<< ours` … `=======` … `>>>>>>> theirs`. Line endings are kept as they are.
 */
export function mergeText(base: string, ours: string, theirs: string, labels: MergeLabels): TextMerge {
  const regions = diff3Merge(toLines(ours), toLines(base), toLines(theirs), { excludeFalseConflicts: true });
  let text = '';
  let conflicts = 0;
  for (const region of regions) {
    if (region.ok) {
      text += region.ok.join('');
      continue;
    }
    const { a, b } = region.conflict!;
    conflicts++;
    text += `${marker('<', labels.ours)}${ended(a)}${marker('=')}${ended(b)}${marker('>', labels.theirs)}`;
  }
  return { text, conflicts };
}

/** One marker line: `<<<<<<< yours`, `=======`, `>>>>>>> template NAME`. */
const marker = (char: string, label?: string) => `${char.repeat(MARKER_WIDTH)}${label ? ` ${label}` : ''}\n`;

/** Whether a text still holds a conflict block `mergeText` wrote with these labels: its first and last lines. */
export function hasConflictMarkers(text: string, labels: MergeLabels): boolean {
  const start = marker('<', labels.ours);
  const end = marker('>', labels.theirs);
  const at = text.startsWith(start) ? 0 : text.indexOf(`\n${start}`);
  return at >= 0 && text.includes(`\n${end}`, at);
}

/**
 * Whether to leave a file out of line merging: a NUL byte in its first 8000 bytes (git's test)
 * or bytes that are not UTF-8. Markers written into an image or an archive would only break it.
 */
export function isBinary(content: Buffer): boolean {
  if (content.subarray(0, 8000).includes(0)) return true;
  return !Buffer.from(content.toString('utf8'), 'utf8').equals(content);
}

/** Lines with their terminators, so that joining them gives the text back byte for byte. */
function toLines(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/);
}

/** A side's lines for a conflict block, ending with a newline so the next marker starts a line. */
function ended(lines: string[]): string {
  const text = lines.join('');
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}
