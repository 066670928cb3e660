import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Notices changes to a plugin's files the way MFSERV's autorestart does: files matching
 * `.autorestart_includes` and not `.autorestart_excludes` (gitignore-like patterns, one a
 * line), MetWork's own lists when a file is absent. It polls: one stat per file and interval,
 * the same on every file system, with no watch limit to run out of. A burst of changes (an
 * editor saving several files, a `git checkout`) becomes one report once the tree is quiet.
 */

export const INCLUDES_FILE = '.autorestart_includes';
export const EXCLUDES_FILE = '.autorestart_excludes';
/** MetWork's defaults, plus `*.html` for the templates a web framework reads once. */
const DEFAULT_INCLUDES = [
  '*.py',
  '*.ini',
  '*.js',
  '*.conf',
  '*.json',
  '*.html',
  'nginx*',
  'magic',
  INCLUDES_FILE,
  EXCLUDES_FILE,
];
const DEFAULT_EXCLUDES = [
  '/local',
  '/python3_virtualenv_sources',
  '/python2_virtualenv_sources',
  '/node_sources',
  '/node_modules',
  '__pycache__',
  '.git',
];
export const POLL_INTERVAL_MS = 300;
/** How long the tree must stay unchanged before a burst of changes is reported. */
export const QUIET_MS = 400;

export interface Patterns {
  includes: string[];
  excludes: string[];
}

/** The plugin's patterns, or MetWork's defaults for a file that does not exist. */
export async function readPatterns(dir: string): Promise<Patterns> {
  const read = async (file: string, fallback: string[]) => {
    const text = await readFile(join(dir, file), 'utf8').catch(() => undefined);
    if (text === undefined) return fallback;
    return text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
  };
  return {
    includes: await read(INCLUDES_FILE, DEFAULT_INCLUDES),
    excludes: await read(EXCLUDES_FILE, DEFAULT_EXCLUDES),
  };
}

/** `*` and `?` within one path part, `[…]` classes; anything else literal. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '[' && glob.indexOf(']', i + 2) > 0) {
      const end = glob.indexOf(']', i + 2);
      source += `[${glob
        .slice(i + 1, end)
        .replace(/^!/, '^')
        .replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * A pattern starting with `/` matches a path from the plugin's root (and everything under it);
 * any other matches a file or directory name wherever it is.
 */
export function matcher(patterns: string[]): (relative: string) => boolean {
  const compiled = patterns.map((pattern) => {
    const anchored = pattern.startsWith('/');
    return {
      anchored,
      regexp: globToRegExp(anchored ? pattern.slice(1).replace(/\/+$/, '') : pattern.replace(/\/+$/, '')),
    };
  });
  return (relative) => {
    const parts = relative.split('/');
    return compiled.some(({ anchored, regexp }) =>
      anchored
        ? parts.some((_, i) => regexp.test(parts.slice(0, i + 1).join('/')))
        : regexp.test(parts[parts.length - 1]),
    );
  };
}

type Snapshot = Map<string, string>;

/** Every included file's size and modification time, excluded directories not entered. */
async function scan(
  dir: string,
  included: (path: string) => boolean,
  excluded: (path: string) => boolean,
): Promise<Snapshot> {
  const snapshot: Snapshot = new Map();
  const walk = async (relative: string) => {
    const entries = await readdir(join(dir, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (excluded(path)) continue;
      if (entry.isDirectory()) await walk(path);
      else if (included(path)) {
        const info = await stat(join(dir, path)).catch(() => undefined);
        if (info) snapshot.set(path, `${info.size}:${info.mtimeMs}`);
      }
    }
  };
  await walk('');
  return snapshot;
}

/** Calls `onChange` with the changed files after each quiet burst of changes, until closed. */
export async function watchTree(
  dir: string,
  patterns: Patterns,
  onChange: (files: string[]) => void,
): Promise<{ close: () => void }> {
  const included = matcher(patterns.includes);
  const excluded = matcher(patterns.excludes);
  let previous = await scan(dir, included, excluded);
  let pending = new Set<string>();
  let lastChange = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const current = await scan(dir, included, excluded);
    if (closed) return;
    const changed = [...current].filter(([path, signature]) => previous.get(path) !== signature).map(([path]) => path);
    changed.push(...[...previous.keys()].filter((path) => !current.has(path)));
    previous = current;
    if (changed.length > 0) {
      for (const path of changed) pending.add(path);
      lastChange = Date.now();
    } else if (pending.size > 0 && Date.now() - lastChange >= QUIET_MS) {
      const files = [...pending].sort();
      pending = new Set();
      onChange(files);
    }
    timer = setTimeout(() => void tick(), POLL_INTERVAL_MS);
  };
  timer = setTimeout(() => void tick(), POLL_INTERVAL_MS);
  return {
    close: () => {
      closed = true;
      clearTimeout(timer);
    },
  };
}
