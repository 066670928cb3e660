// Builds dist/ from src/ with esbuild:
// - cli.cjs, the CLI (bin/ requires it), and the few files it loads (see buildCli): CommonJS,
//   because Node 20 starts a CommonJS file faster than an ES module (docs/decisions.md).
// - api.js, the public API (`exports`), an ES module for `import … from 'bootstrap-plugin'`.
// - render-worker.js, the worker that renders user templates (src/core/render-thread.ts).
// - ejs.LICENSE, the licence of the EJS bundled into them.
// tsc type-checks and writes the API's declarations.
import { build, transform } from 'esbuild';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const PACKAGE = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
const COMMON = {
  outdir: DIST,
  entryNames: '[name]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // What the package depends on is installed beside it, so it is loaded from node_modules, when
  // first used (inquirer on the first prompt); EJS, a build dependency, is bundled (EJS_LICENCE).
  external: Object.keys(PACKAGE.dependencies),
  logLevel: 'warning',
};

await rm(DIST, { recursive: true, force: true });
/**
 * EJS is bundled into dist/, so its Apache-2.0 licence ships there too, taken from the very
 * package that was bundled.
 */
const EJS_DIR = createRequire(import.meta.url)
  .resolve.paths('ejs')
  .map((dir) => join(dir, 'ejs'))
  .find((dir) => existsSync(join(dir, 'package.json')));
const EJS_LICENCE = { from: join(EJS_DIR, 'LICENSE'), to: join(DIST, 'ejs.LICENSE') };
/**
 * The modules find their neighbours from their own directory (paths.ts: the package root;
 * render-thread.ts: render-worker.js), `import.meta.dirname` in an ES module, `__dirname` in
 * CommonJS: no URL on the start-up path (Node's first file URL costs ~1 ms).
 */
const CJS_IMPORT_META = {
  define: { 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' },
};

/**
 * A chunk loaded by `import()` would start Node's ES module loader, which the CLI avoids: its own
 * chunks are required instead (inquirer, an ES module, keeps its `import()`).
 */
function requireChunks(code) {
  return code.replace(/\bimport\(("\.\/[\w-]+\.cjs")\)/g, 'Promise.resolve().then(() => require($1))');
}

/**
 * The CLI in a few files: V8 compiles every byte of a file Node loads, and each file costs a
 * lookup and a read, so start-up wants what a command runs, in as few files as possible. Every
 * `import()` in src/ starts a file: cli.cjs (parser, command table, help) and a chunk with what
 * it shares with the others (list's core) are read by every command; create's core (with
 * EJS), on create; src/cli/deferred.ts, the core of the other commands, when one of them runs.
 * esbuild splits only ES modules, and Node 20 starts an ES module slower than a CommonJS file,
 * so the files are built as ES modules, then each is rewritten as CommonJS (imports become
 * require calls, exports getters).
 */
async function buildCli() {
  const { outputFiles } = await build({
    ...COMMON,
    ...CJS_IMPORT_META,
    entryPoints: [join(ROOT, 'src', 'cli.ts')],
    splitting: true,
    outExtension: { '.js': '.cjs' },
    write: false,
  });
  await mkdir(DIST, { recursive: true });
  await Promise.all(
    outputFiles.map(async ({ path, text }) => {
      const { code } = await transform(text, { format: 'cjs', platform: 'node', target: COMMON.target });
      await writeFile(path, requireChunks(code));
    }),
  );
}

await Promise.all([
  buildCli(),
  build({ ...COMMON, entryPoints: [join(ROOT, 'src', 'api.ts'), join(ROOT, 'src', 'core', 'render-worker.ts')] }),
]);
await copyFile(EJS_LICENCE.from, EJS_LICENCE.to);
