import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatValue, type Answers } from '../../packages/bootstrap-plugin/src/core/fields.js';
import { makeTempDir, runCli } from './cli.js';

/** A plugin directory as a user sees it: relative path → mode and bytes, in path order. */
export type Tree = Record<string, { mode: string; content: string }>;

/** Reads every file below `dir`; contents as UTF-8 text (templates are text), modes in octal. */
export function readTree(dir: string, relative = ''): Tree {
  const tree: Tree = {};
  const entries = readdirSync(join(dir, relative), { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  for (const entry of entries) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) Object.assign(tree, readTree(dir, path));
    else {
      const absolute = join(dir, path);
      const bytes = readFileSync(absolute);
      tree[path] = { mode: (lstatSync(absolute).mode & 0o777).toString(8), content: bytes.toString('utf8') };
    }
  }
  return tree;
}

/**
 * Every file under `dir` (directories walked, links shown as links) with its mode, modification
 * time and bytes: equal stamps before and after a run mean it wrote nothing there.
 */
export function fileStamps(dir: string): Record<string, string> {
  const walk = (at: string): Array<[string, string]> =>
    readdirSync(at, { withFileTypes: true }).flatMap((entry): Array<[string, string]> => {
      const path = join(at, entry.name);
      const stats = lstatSync(path);
      if (entry.isDirectory()) return walk(path);
      const mode = (stats.mode & 0o777).toString(8);
      const body = stats.isSymbolicLink() ? 'link' : readFileSync(path).toString('base64');
      return [[relative(dir, path), `${mode}:${stats.mtimeMs}:${body}`]];
    });
  return Object.fromEntries(walk(dir).sort());
}

/**
 * The tree `bootstrap-plugin create` writes for these answers: the one expectation both the
 * CLI and the Yeoman generator are held to, computed by running the built CLI.
 */
export async function cliTree(name: string, template: string, answers: Answers, env: NodeJS.ProcessEnv): Promise<Tree> {
  const temp = makeTempDir('bp-expected-');
  try {
    const set = Object.entries(answers).flatMap(([field, value]) => ['--set', `${field}=${formatValue(value)}`]);
    const run = await runCli(['create', name, '--template', template, '--yes', ...set], { cwd: temp.dir, env });
    if (run.code !== 0) throw new Error(`bootstrap-plugin create failed (${run.code}): ${run.stderr}`);
    return readTree(join(temp.dir, name));
  } finally {
    temp.cleanup();
  }
}
