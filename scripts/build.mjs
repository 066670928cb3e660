// Bundles the CLI into one ESM file so start-up pays for one module load instead of ~60
// (yargs and its helpers): run after tsc, which type-checks and emits dist/ for the rest.
import { build } from 'esbuild';
import { cp, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// Same path as tsc's output, so PACKAGE_ROOT (two levels up) still holds, and a plain
// `tsc` run (as some tests' set-up does) leaves a working, only slower, CLI.
const OUTFILE = join(ROOT, 'dist', 'src', 'cli.js');
// Read only on demand (a prompt, an EJS render): left as runtime imports from node_modules.
const LAZY_PACKAGES = ['inquirer', 'ejs'];
const YARGS_SHIM = /yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/;
const YARGS_LOCALES = join(ROOT, 'node_modules', 'yargs', 'locales');
const BUNDLED_LOCALES = join(ROOT, 'dist', 'locales');

/** yargs finds its message translations relative to its own file; in the bundle that is dist/src/cli.js. */
const yargsLocales = {
  name: 'yargs-locales',
  setup(b) {
    b.onLoad({ filter: YARGS_SHIM }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const patched = source.replace("resolve(__dirname, '../../../locales')", "resolve(__dirname, '../../locales')");
      if (patched === source) throw new Error(`yargs-locales: the locale path in ${args.path} has changed; update scripts/build.mjs`);
      return { contents: patched, loader: 'js' };
    });
  },
};

await build({
  entryPoints: [join(ROOT, 'src', 'cli.ts')],
  outfile: OUTFILE,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: LAZY_PACKAGES,
  plugins: [yargsLocales],
  // yargs' shim calls require() through createRequire; keep a real one in the ESM bundle.
  banner: { js: "import { createRequire as __bpCreateRequire } from 'node:module'; const require = __bpCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
await cp(YARGS_LOCALES, BUNDLED_LOCALES, { recursive: true });
