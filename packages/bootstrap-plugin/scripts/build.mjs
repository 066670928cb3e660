// Bundles the CLI into one CommonJS file so start-up pays for one module load instead of ~60
// (yargs and its helpers), without Node's ES module loader (about 15 ms of start-up here).
// Run after tsc, which type-checks and emits dist/ for the rest (the Yeoman generator, tests).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cp, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// The workspace installs the dependencies at its root.
const NODE_MODULES = join(ROOT, '..', '..', 'node_modules');
// Two levels under the package root, like tsc's dist/src/cli.js, so PACKAGE_ROOT still holds.
// bin/bootstrap-plugin.js runs it unless a later plain `tsc` run left it stale.
// BUNDLE_OUT writes elsewhere, for comparing builds without touching dist/.
const OUTFILE = process.env.BUNDLE_OUT ?? join(ROOT, 'dist', 'bundle', 'cli.cjs');
// Only for prompts: stays a runtime import() from node_modules. EJS is bundled too, evaluated on
// first render: importing it from node_modules would start the ES module loader (~20 ms).
const LAZY_PACKAGES = ['inquirer'];
const YARGS_LOCALES = join(NODE_MODULES, 'yargs', 'locales');
const BUNDLED_LOCALES = join(dirname(dirname(OUTFILE)), 'locales');
// yargs' own copy; cliui and wrap-ansi pin older copies without its printable-ASCII fast path.
const STRING_WIDTH = join(NODE_MODULES, 'string-width', 'index.js');

/**
 * Source edits applied while bundling, each for start-up time and none changing output:
 * - yargs' ESM shim locates things from its own file, in the bundle dist/src/cli.js: its
 *   message translations (copied to dist/locales) and the package root, where it reads
 *   package.json at start-up. Left alone, that look-up climbs from the working directory,
 *   listing every directory up to / and failing an assertion on each run. Its assertions
 *   load node:assert only to report a failure: loading it creates the stderr stream.
 * - yargs renders the whole help text after running any command, for a failing async handler
 *   to print; our .fail() handler turns failures into one-line errors and never prints it.
 * - string-width, when loaded, builds an Intl.Segmenter (ICU's break-iterator data) and
 *   compiles Unicode-property regular expressions (\p{RGI_Emoji}…): V8 checks a regex literal
 *   while parsing, even in a function never called. Together they cost more instructions than
 *   a bare `node -e ''`, for text that is plain ASCII here (string-width's own fast path). Both
 *   are now built on the first non-ASCII text.
 */
const ASSERTIONS_ON_FAILURE = `
const notStrictEqual = (actual, expected, message) => {
  if (Object.is(actual, expected)) require('node:assert').notStrictEqual(actual, expected, message);
};
const strictEqual = (actual, expected, message) => {
  if (!Object.is(actual, expected)) require('node:assert').strictEqual(actual, expected, message);
};`;
const PATCHES = [
  {
    // bin/bootstrap-plugin.js runs the bundle from V8's code cache, and code from that cache has
    // lost the callback import() needs (Node 20): the bin passes its own import() in instead.
    file: /src[\\/]prompt\.ts$/,
    edits: [["await import('inquirer')", "await importFromBin('inquirer')"]],
  },
  {
    file: /yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/,
    edits: [
      ["resolve(__dirname, '../../../locales')", "resolve(__dirname, '../../locales')"],
      ["__dirname.substring(0, __dirname.lastIndexOf('node_modules'))", "resolve(__dirname, '../../..')"],
      ["import { notStrictEqual, strictEqual } from 'assert'", ASSERTIONS_ON_FAILURE],
    ],
  },
  {
    file: /yargs[\\/]build[\\/]lib[\\/]command\.js$/,
    edits: [
      [
        `            if (!isDefaultCommand) {
                yargs.getInternalMethods().getUsageInstance().cacheHelpMessage();
            }
`,
        '',
      ],
    ],
  },
  {
    file: /[\\/]string-width[\\/]index\.js$/,
    edits: [
      [
        'const segmenter = new Intl.Segmenter();',
        'let lazySegmenter; const segmenter = { segment: (text) => (lazySegmenter ??= new Intl.Segmenter()).segment(text) };',
      ],
    ],
    transform: lazyPropertyRegExps,
  },
];

const PROPERTY_REGEXP_LINE = /^const (\w+) = \/(.*\\p\{.*)\/([a-z]*);$/gm;
/** Every top-level `const x = /…\p{…}…/flags;` becomes one compiled on first use. */
function lazyPropertyRegExps(source) {
  let count = 0;
  const rewritten = source.replace(PROPERTY_REGEXP_LINE, (_line, name, pattern, flags) => {
    count++;
    return `const ${name} = lazyRegExp(${JSON.stringify(pattern)}, ${JSON.stringify(flags)});`;
  });
  if (count === 0) throw new Error('source-patches: no \\p{…} regular expression left in string-width; update scripts/build.mjs');
  // test, search and match are all string-width asks of them.
  const helper = `function lazyRegExp(pattern, flags) {
  let compiled;
  const get = () => (compiled ??= new RegExp(pattern, flags));
  return {
    test: (text) => get().test(text),
    [Symbol.search]: (text) => get()[Symbol.search](text),
    [Symbol.match]: (text) => get()[Symbol.match](text),
  };
}
`;
  return `${rewritten}\n${helper}`;
}

const sourcePatches = {
  name: 'source-patches',
  setup(b) {
    for (const { file, edits, transform } of PATCHES) {
      b.onLoad({ filter: file }, async (args) => {
        let source = await readFile(args.path, 'utf8');
        for (const [from, to] of edits) {
          if (!source.includes(from)) throw new Error(`source-patches: "${from}" is no longer in ${args.path}; update scripts/build.mjs`);
          source = source.replace(from, to);
        }
        return { contents: transform ? transform(source) : source, loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
      });
    }
  },
};

await build({
  entryPoints: [join(ROOT, 'src', 'cli.ts')],
  outfile: OUTFILE,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // The sources are ES modules: give them their own file's URL in the CommonJS bundle.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "'use strict'; const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  target: 'node20',
  external: LAZY_PACKAGES,
  alias: { 'string-width': STRING_WIDTH },
  plugins: [sourcePatches],
  legalComments: 'eof',
  // Less for V8 to scan at start-up (about 2 % of `node -e ''`); names are kept so that
  // --verbose stack traces still say which function failed.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
await cp(YARGS_LOCALES, BUNDLED_LOCALES, { recursive: true });
// bin/bootstrap-plugin.js keeps V8's compiled code beside the bundle; the old one is for the old
// bundle. One run of `list` makes the new one, so that the first real run starts fast too.
await rm(`${OUTFILE}.v8cache`, { force: true });
if (!process.env.BUNDLE_OUT) execFileSync(process.execPath, [join(ROOT, 'bin', 'bootstrap-plugin.js'), 'list'], { stdio: 'ignore' });
