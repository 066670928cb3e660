import { lstatSync, readdirSync } from 'node:fs';
import { ConfigError, ioReason } from './errors.js';
import { matchesWhen, type Answers } from './fields.js';
import { inDir, readRegularFile, readTemplateText } from './fs.js';
import { contextData, secretLogOf, type RenderContext } from './render-context.js';
import { renderEjs, type EjsOptions } from './render-ejs.js';
import { renderInWorker } from './render-thread.js';
import type { Template, TemplateFile } from './templates.js';

export { renderContext, secret, type RenderContext } from './render-context.js';

/** One file of a rendered plugin, held in memory until the whole tree is ready. */
export interface RenderedFile {
  /** Path relative to the plugin directory, `/`-separated, after renames. */
  path: string;
  content: Buffer;
  mode: number;
}

export interface RenderOptions {
  /** Aborting it stops a user template's render at once, with an InterruptedError. */
  signal?: AbortSignal;
  /** How long a user template may take to render, in milliseconds (default 10 s; see render-thread.ts). */
  timeLimit?: number;
}

/** For the commands that render (create, update, config check), beside their TemplateLookup. */
export interface RenderLimit {
  /** How long a user template may take to render, in milliseconds (see render-thread.ts). */
  renderTimeLimit?: number;
}

/** Where the next steps are read: the plugin at `dir` (relative to the user), this tool run as `cli` there. */
export interface NextStepsPlace {
  dir: string;
  /** The command that runs this tool where the user is; `bootstrap-plugin` when absent. */
  cli?: string;
}

/** What to render: the tree, and the next steps when a place is given for them. */
export interface RenderJob {
  tree: boolean;
  nextSteps?: NextStepsPlace;
}

export interface Rendering {
  files: RenderedFile[];
  /** The template's next steps, rendered and trimmed; empty without any (or when not asked for). */
  nextSteps: string;
}

/** Hears of each EJS file before it runs, and of each file it includes: how the worker names a file that loops. */
export interface RenderProgress {
  onFile?: (path: string) => void;
  onInclude?: (path: string) => void;
}

const EJS_SUFFIX = '.ejs';
const NAME_TOKEN = '__NAME__';
/** `_dot_gitignore` becomes `.gitignore`: npm drops or renames some dotfiles when publishing, never these names. */
const DOT_PREFIX = '_dot_';

/**
 * Renders a template's layers into memory. Answers reach EJS only as data in the context, so an
 * answer holding `<%` is written as typed; the template's own text is what gets evaluated.
 */
export async function renderTemplate(
  template: Template,
  context: RenderContext,
  options: RenderOptions = {},
): Promise<RenderedFile[]> {
  return (await render(template, context, { tree: true }, options)).files;
}

/** The template's `next-steps.ejs`, rendered for a plugin at `place`; empty without one. */
export async function renderNextSteps(
  template: Template,
  context: RenderContext,
  place: NextStepsPlace,
  options: RenderOptions = {},
): Promise<string> {
  if (!template.nextSteps) return '';
  return (await render(template, context, { tree: false, nextSteps: place }, options)).nextSteps;
}

/** The tree and the next steps in one pass: a user template starts one worker, not two. */
export function renderPlugin(
  template: Template,
  context: RenderContext,
  place: NextStepsPlace,
  options: RenderOptions = {},
): Promise<Rendering> {
  return render(template, context, { tree: true, nextSteps: place }, options);
}

/**
 * A user template's EJS is its author's code, which may never end: it runs in a worker that a
 * time limit or a signal can stop (render-thread.ts). The built-in templates and packs are
 * ours, and render here, without a worker's start-up cost.
 */
async function render(template: Template, context: RenderContext, job: RenderJob, options: RenderOptions) {
  if (template.source !== 'user' || !runsCode(template, context, job)) return renderHere(template, context, job);
  const log = secretLogOf(context);
  const done = await renderInWorker({ template, data: contextData(context), log, job }, options);
  log.handedOut.push(...done.secrets.slice(log.handedOut.length));
  return done.rendering;
}

/** Whether the job evaluates any EJS: a user template that only copies files needs no worker. */
function runsCode(template: Template, context: RenderContext, job: RenderJob): boolean {
  if (job.nextSteps && template.nextSteps) return true;
  const isEjs = (file: SourceFile) => file.relative.endsWith(EJS_SUFFIX) && isWanted(file.relative, template, context);
  return job.tree && template.layers.some((layer) => listFiles(layer.path).some(isEjs));
}

/** Renders in this thread (the render worker calls it too, with `progress`). */
export function renderHere(
  template: Template,
  context: RenderContext,
  job: RenderJob,
  progress: RenderProgress = {},
): Rendering {
  const files = job.tree ? renderTree(template, context, progress) : [];
  const steps = template.nextSteps;
  if (!job.nextSteps || !steps) return { files, nextSteps: '' };
  const text = readTemplateText(steps.path, template.source !== 'user', 'make it readable');
  progress.onFile?.(steps.path);
  const place = { dir: job.nextSteps.dir || '.', cli: job.nextSteps.cli ?? 'bootstrap-plugin' };
  return { files, nextSteps: renderEjs(text, { ...context, ...place }, steps, ejsOptions(template, progress)).trim() };
}

function renderTree(template: Template, context: RenderContext, progress: RenderProgress): RenderedFile[] {
  // A later layer's file replaces an earlier one's of the same name, which is then not rendered.
  const sources = new Map<string, { source: SourceFile; root: string }>();
  for (const layer of template.layers) {
    for (const source of listFiles(layer.path)) {
      if (!isWanted(source.relative, template, context)) continue;
      const path = toTargetPath(source.relative, context.name, source.absolute);
      sources.set(path, { source, root: layer.root });
    }
  }
  const files: RenderedFile[] = [];
  for (const [path, { source, root }] of sources) {
    const raw = readRegularFile(source.absolute, 'make it readable, or remove it from the template');
    let content = raw;
    if (source.relative.endsWith(EJS_SUFFIX)) {
      progress.onFile?.(source.absolute);
      const file: TemplateFile = { path: source.absolute, root };
      content = Buffer.from(tidy(renderEjs(raw.toString('utf8'), context, file, ejsOptions(template, progress)), path));
    }
    files.push({ path, content, mode: source.mode });
  }
  return files.sort((a, b) => compareText(a.path, b.path));
}

/** Line numbers in errors for user templates; the built-ins and packs are ours, and tested. */
const ejsOptions = (template: Template, progress: RenderProgress): EjsOptions => ({
  onInclude: progress.onInclude,
  lineNumbers: template.source === 'user',
});

interface SourceFile {
  relative: string;
  absolute: string;
  mode: number;
}

/** The files of a template layer, sorted; synchronous: small local reads cost less than their promises. */
function listFiles(root: string, relative = ''): SourceFile[] {
  const dir = relative === '' ? root : inDir(root, relative);
  const names = readDirectory(dir).sort(compareText);
  return names.flatMap((name): SourceFile[] => {
    const rel = relative === '' ? name : `${relative}/${name}`;
    const absolute = inDir(root, rel);
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
  // Each segment is a name (checked above): joined, they need no normalising.
  return segments.join('/');
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
