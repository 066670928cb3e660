// Builds dist/ from src/ with esbuild, one file per entry point, each self-contained:
// - cli.cjs, the CLI (bin/ requires it): CommonJS, because Node 20 starts a CommonJS file
//   faster than an ES module (measured: docs/decisions.md); its core is inlined, and V8 compiles
//   a function only when it first runs, so a command pays little for the others' code.
// - api.js, the public API (`exports`), an ES module for `import … from 'bootstrap-plugin'`.
// - render-worker.js, the worker that renders user templates (src/core/render-thread.ts).
// tsc type-checks and writes the API's declarations.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const COMMON = {
  outdir: DIST,
  entryNames: '[name]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Loaded from node_modules on first use: EJS on the first render, inquirer on the first prompt.
  external: ['ejs', 'inquirer'],
  logLevel: 'warning',
};

await rm(DIST, { recursive: true, force: true });
/**
 * The modules find their neighbours through `import.meta.url` (paths.ts: the package root;
 * render-thread.ts: render-worker.js), which CommonJS lacks: the CLI gets the URL dist/cli.js
 * would have, so both resolve in dist/ as they do from the ES modules.
 */
const CJS_IMPORT_META = {
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename.replace(/\\.cjs$/, '.js')).href;" },
};

await Promise.all([
  build({
    ...COMMON,
    ...CJS_IMPORT_META,
    entryPoints: [join(ROOT, 'src', 'cli.ts')],
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
  }),
  build({ ...COMMON, entryPoints: [join(ROOT, 'src', 'api.ts'), join(ROOT, 'src', 'core', 'render-worker.ts')] }),
]);
