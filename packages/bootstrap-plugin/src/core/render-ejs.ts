import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
// Bundled by the build (its licence ships beside it in dist/): finding and loading the package
// from node_modules cost each create ~9 ms (docs/decisions.md).
import ejs from 'ejs';
import { ConfigError } from './errors.js';
import { printable } from './names.js';
import type { RenderContext } from './render-context.js';
import type { TemplateFile } from './templates.js';

/**
 * Renders one EJS text (next steps, files) with the same options as the tree. Includes are
 * root-relative (`include('/_common/partials/config.ini.ejs')`) and none may leave the root.
 */
export function renderEjs(
  text: string,
  context: RenderContext,
  file: TemplateFile,
  { onInclude, lineNumbers = true }: EjsOptions = {},
): string {
  const filename = file.path;
  // EJS gives no resolved path for a relative include it did not find: resolve it the same way.
  const includer = (original: string, found: string | undefined) => {
    const resolved = found ?? resolve(dirname(filename), original);
    if (!isInside(file.root, resolved)) throw new Error(`include "${original}" leaves the templates root ${file.root}`);
    onInclude?.(resolved);
    return { filename: resolved };
  };
  try {
    const options = { filename, root: file.root, views: [file.root], includer, compileDebug: lineNumbers };
    return ejs.render(text, context, { ...options, async: false });
  } catch (error) {
    const { line, reason } = explainEjsError(error);
    throw new ConfigError(filename, line, `template error: ${reason}`);
  }
}

export interface EjsOptions {
  /** Hears of each file included, before it runs (the render worker reports it). */
  onInclude?: (path: string) => void;
  /**
   * Whether an error names its line (EJS's compileDebug): for a user template, whose errors are
   * its author's to fix. Without, the template compiles smaller and faster (~2 ms of a create).
   */
  lineNumbers?: boolean;
}

/** Whether `path`, symbolic links followed, is `root` or under it. */
function isInside(root: string, path: string): boolean {
  const rel = relative(realPath(root), realPath(path));
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** The path with its symbolic links resolved (by the system, in one call), or as given when it cannot be. */
function realPath(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
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
