import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { ConfigError, ioReason } from './errors.js';
import { matchesWhen, type Answers } from './fields.js';
import { readRegularFile } from './fs.js';
import { printable } from './names.js';
import type { Template, TemplateFile } from './templates.js';

/** One file of a rendered plugin, held in memory until the whole tree is ready. */
export interface RenderedFile {
  /** Path relative to the plugin directory, `/`-separated, after renames. */
  path: string;
  content: Buffer;
  mode: number;
}

/** What templates see: the plugin's identity, the answers, and a few helpers. */
export interface RenderContext extends Record<string, unknown> {
  name: string;
  module: string;
  label: string;
}

const EJS_SUFFIX = '.ejs';
const NAME_TOKEN = '__NAME__';
/** `_dot_gitignore` becomes `.gitignore`: npm drops or renames some dotfiles when publishing, never these names. */
const DOT_PREFIX = '_dot_';
const SECRET_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)';
/** Loaded on first use, not at start-up: `list`, `env` and `--version` never need randomness. */
const crypto = () => process.getBuiltinModule('node:crypto');

/** `extra`: values a generation's templates need besides the answers (format 2: `metworkVersion`). */
export function renderContext(
  name: string,
  module: string,
  answers: Answers,
  extra: Record<string, unknown> = {},
): RenderContext {
  return { ...extra, ...answers, name, module, label: `plugin_${name}@${module}`, secret };
}

/** A cryptographically random string; the default is Django's secret-key alphabet and length. */
export function secret(length = 50, alphabet = SECRET_ALPHABET): string {
  return Array.from({ length }, () => alphabet[crypto().randomInt(alphabet.length)]).join('');
}

/**
 * Renders a template's layers into memory. Answers reach EJS only as data in the context, so an
 * answer holding `<%` is written as typed; the template's own text is what gets evaluated.
 */
export async function renderTemplate(template: Template, context: RenderContext): Promise<RenderedFile[]> {
  const byPath = new Map<string, RenderedFile>();
  for (const layer of template.layers) {
    for (const source of listFiles(layer.path)) {
      if (!isWanted(source.relative, template, context)) continue;
      const path = toTargetPath(source.relative, context.name, join(layer.path, source.relative));
      const raw = readRegularFile(source.absolute, 'make it readable, or remove it from the template');
      const file = { path: source.absolute, root: layer.root };
      const content = source.relative.endsWith(EJS_SUFFIX)
        ? Buffer.from(tidy(await renderEjs(raw.toString('utf8'), context, file), path))
        : raw;
      byPath.set(path, { path, content, mode: source.mode });
    }
  }
  return [...byPath.values()].sort((a, b) => compareText(a.path, b.path));
}

/**
 * Renders one EJS text (next steps, files) with the same options as the tree. Includes are
 * root-relative (`include('/_common/partials/config.ini.ejs')`) and none may leave the root.
 */
export async function renderEjs(text: string, context: RenderContext, file: TemplateFile): Promise<string> {
  const { default: ejs } = await import('ejs');
  const filename = file.path;
  // EJS gives no resolved path for a relative include it did not find: resolve it the same way.
  const includer = (original: string, found: string | undefined) => {
    const resolved = found ?? resolve(dirname(filename), original);
    if (!isInside(file.root, resolved)) throw new Error(`include "${original}" leaves the templates root ${file.root}`);
    return { filename: resolved };
  };
  try {
    return ejs.render(text, context, { filename, root: file.root, views: [file.root], includer, async: false });
  } catch (error) {
    const { line, reason } = explainEjsError(error);
    throw new ConfigError(filename, line, `template error: ${reason}`);
  }
}

/** Whether `path`, symbolic links followed, is `root` or under it. */
function isInside(root: string, path: string): boolean {
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
  const rel = relative(real(root), real(path));
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * The line and the reason of an EJS failure, from the shapes EJS gives them: a compile error
 * ("REASON in FILE while compiling ejs", then advice), a runtime error ("FILE:LINE", the
 * context, a blank line, then the reason, maybe several lines or none), or a thrown non-Error.
 */
function explainEjsError(error: unknown): { line?: number; reason: string } {
  const message = error instanceof Error ? error.message : String(error);
  const compiling = / in \S.* while compiling ejs/.exec(message);
  if (compiling)
    return { reason: `${message.slice(0, compiling.index)} (check that each <% has its %> and each { its })` };
  // EJS sets `path` on what was thrown: on a string that fails, and the string is the reason.
  const thrown = /^Cannot create property 'path' on string '(.*)'$/s.exec(message);
  if (thrown) return { reason: `it threw "${printable(thrown[1])}"` };
  const located = /:(\d+)\n[\s\S]*?\n\n([\s\S]*)$/.exec(message);
  const reason = (located ? located[2] : message).replace(/\s*\n\s*/g, ' ').trim();
  return {
    line: located ? Number(located[1]) : undefined,
    reason: reason || `${error instanceof Error ? error.name : 'an error'} with no message`,
  };
}

interface SourceFile {
  relative: string;
  absolute: string;
  mode: number;
}

/** The files of a template layer, sorted; synchronous: small local reads cost less than their promises. */
function listFiles(root: string, relative = ''): SourceFile[] {
  const dir = join(root, relative);
  const names = readDirectory(dir).sort(compareText);
  return names.flatMap((name): SourceFile[] => {
    const rel = relative === '' ? name : `${relative}/${name}`;
    const absolute = join(root, rel);
    const stats = lstatSync(absolute);
    if (stats.isSymbolicLink()) {
      throw new ConfigError(absolute, undefined, 'templates cannot hold symbolic links (copy the file instead)');
    }
    if (stats.isDirectory()) return listFiles(root, rel);
    if (!stats.isFile())
      throw new ConfigError(
        absolute,
        undefined,
        'is not a plain file (a FIFO, socket or device): remove it from the template',
      );
    return [{ relative: rel, absolute, mode: stats.mode & 0o777 }];
  });
}

/**
 * The names in a template directory, refusing one that is not UTF-8 (it could not be named in the
 * plugin, nor in a message).
 */
function readDirectory(dir: string): string[] {
  let names: Buffer[];
  try {
    names = readdirSync(dir, { encoding: 'buffer' });
  } catch (error) {
    throw new ConfigError(dir, undefined, `cannot be read (${ioReason(error)}): make the template readable`);
  }
  return names.map((name) => {
    try {
      return UTF8.decode(name);
    } catch {
      const shown = [...name]
        .map((byte) =>
          byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`,
        )
        .join('');
      throw new ConfigError(dir, undefined, `holds a file name that is not valid UTF-8 ("${shown}"): rename it`);
    }
  });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Condition keys are paths as under `files/`, without the `.ejs` suffix: `crontab`, `main/wsgi.py`. */
function isWanted(relative: string, template: Template, context: RenderContext): boolean {
  const path = relative.endsWith(EJS_SUFFIX) ? relative.slice(0, -EJS_SUFFIX.length) : relative;
  return Object.entries(template.conditions).every(
    ([condition, when]) =>
      !(path === condition || path.startsWith(`${condition}/`)) || matchesWhen(when, context as Answers),
  );
}

/** Applies `__NAME__` and `_dot_x`, strips `.ejs`; refuses anything leaving the target. */
function toTargetPath(relative: string, name: string, source: string): string {
  const segments = relative.split('/').map((segment, index, all) => {
    let out = segment.split(NAME_TOKEN).join(name);
    if (index === all.length - 1 && out.endsWith(EJS_SUFFIX)) out = out.slice(0, -EJS_SUFFIX.length);
    return out.startsWith(DOT_PREFIX) ? `.${out.slice(DOT_PREFIX.length)}` : out;
  });
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) {
    throw new ConfigError(
      source,
      undefined,
      `renders to "${segments.join('/')}", which would leave the plugin directory`,
    );
  }
  return posix.join(...segments);
}

/**
 * Conditionals leave blank lines behind: keep at most one in a row (two in Python, where PEP 8
 * separates top-level definitions by two), and none at the start.
 */
function tidy(text: string, path: string): string {
  const kept = path.endsWith('.py') ? 2 : 1;
  const run = new RegExp(`\\n(?:[ \\t]*\\n){${kept + 1},}`, 'g');
  return text.replace(run, '\n'.repeat(kept + 1)).replace(/^(?:[ \t]*\n)+/, '');
}

/** Code-point order: the same tree listing whatever the locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
