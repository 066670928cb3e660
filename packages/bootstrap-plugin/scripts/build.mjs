// Bundles the package's two entry points, the CLI (bin/) and the public API (exports), into
// dist/ as ES modules sharing one chunk: one build, and `list` loads 2 files instead of ~20
// (measured: see docs/decisions.md). The worker that renders user templates
// (src/core/render-thread.ts) is a third, self-contained file: it starts by loading one file,
// and the CLI's start-up does not grow a chunk for it. tsc type-checks and writes the API's
// declarations.
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
await Promise.all([
  build({
    ...COMMON,
    entryPoints: [join(ROOT, 'src', 'cli.ts'), join(ROOT, 'src', 'api.ts')],
    chunkNames: '[name]-[hash]',
    splitting: true,
  }),
  build({ ...COMMON, entryPoints: [join(ROOT, 'src', 'core', 'render-worker.ts')] }),
]);
