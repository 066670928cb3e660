import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRelease } from '../packages/bootstrap-plugin/src/core/release.js';
import { makeTempDir } from './helpers/cli.js';

// `.releaseignore` has gitignore semantics: on a corpus of trees and pattern files, the files
// `release` packs are exactly the files git reports as not ignored
// (`git ls-files --others --exclude-from=.releaseignore`), git being the reference.

const temp = makeTempDir('bp-releaseignore-');
afterAll(temp.cleanup, 60_000);

const PATHS = [
  'config.ini',
  '.layerapi2_label',
  'Makefile',
  'README.md',
  'notes.txt',
  'a.pyc',
  'b.PYC',
  '#hash.txt',
  '!bang.txt',
  'space name.txt',
  'trailing.txt',
  'x[1].txt',
  'x1.txt',
  'x2.log',
  'debug.log',
  'important.log',
  'main/__init__.py',
  'main/wsgi.py',
  'main/wsgi.pyc',
  'main/__pycache__/wsgi.cpython-311.pyc',
  'main/static/app.css',
  'main/static/img/logo.png',
  'main/templates/index.html',
  'main/build/out.js',
  'build/out.js',
  'build/keep.txt',
  'doc/guide.md',
  'doc/api/index.md',
  'doc/api/deep/more.md',
  'src/a/b/c.txt',
  'src/x.txt',
  'tmp_build/junk',
  'local/lib/python.so',
  'python3_virtualenv_sources/requirements.txt',
  'python3_virtualenv_sources/src/pkg/setup.py',
  'node_modules/express/index.js',
  'foo/bar/baz/qux.txt',
  'foo/qux.txt',
  'qux.txt',
  'a/b',
  'a/x/b',
  'a/x/y/b',
  'ab',
  'keep/me.txt',
  'keep/not-me.tmp',
  'logs/today.log',
  'logs/.gitkeep',
  'dir.with.dots/file',
  'ÉTÉ/été.txt',
];

/** Pattern files: git's documented cases, then the templates' own, then tricky corners. */
const PATTERN_FILES = [
  '*.pyc\n__pycache__/\n',
  '*.log\n!important.log\n',
  '/build/\n',
  'build/\n',
  'doc/**\n!doc/api/\ndoc/api/deep/\n',
  'doc/*\n!doc/api\n',
  '**/static\n',
  'main/**/*.png\n',
  'a/**/b\n',
  'foo/**/qux.txt\n',
  '/qux.txt\n',
  'qux.txt\n',
  'x[0-9].txt\n',
  'x\\[1\\].txt\n',
  '\\#hash.txt\n\\!bang.txt\n',
  '#hash.txt\n',
  'space\\ name.txt\n',
  'trailing.txt   \n',
  'trailing.txt\\ \n',
  '*.PYC\n',
  'keep/*\n!keep/me.txt\n',
  'keep/\n!keep/me.txt\n',
  'logs/*\n!logs/.gitkeep\n',
  '*\n!*/\n!*.md\n',
  '*\n!config.ini\n',
  '.*\n',
  'src/**/c.txt\n',
  '**/b\n',
  'ab\na?\n',
  '**/*.js\n!node_modules/**\n',
  'dir.with.dots\n',
  'ÉTÉ/\n',
  '/tmp_build\n/local\n/python3_virtualenv_sources/src\n',
  '.git/\n.gitignore\n.bootstrap-plugin.json\ntmp_build/\n*.plugin\n*.tar.gz\n*.pyc\n__pycache__/\n',
  '/local\n/src\n/doc\n/docs\n__pycache__\n*.pyc\n/.git/\n.svn\n.git*\n*.plugin\nMakefile\n.configuration_cache\n',
  '# only a comment\n\n   \n',
  'main/\n!main/wsgi.py\n',
  '*/\n',
  '/*\n!/main\n/main/*\n!/main/static\n',
  'foo/**\n!foo/**/\n!qux.txt\n',
];

function makeTree(root: string, patterns: string): void {
  for (const path of PATHS) {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    writeFileSync(join(root, path), `${path}\n`);
  }
  writeFileSync(join(root, '.layerapi2_label'), 'plugin_corpus@mfserv\n');
  writeFileSync(join(root, 'config.ini'), '[general]\nversion = 1.0.0\n');
  writeFileSync(join(root, '.releaseignore'), patterns);
}

/** The files git keeps: untracked and not excluded by the pattern file, the ignore file itself included. */
function keptByGit(root: string): string[] {
  execFileSync('git', ['init', '-q'], { cwd: root });
  const out = execFileSync(
    'git',
    ['-c', 'core.quotePath=false', 'ls-files', '--others', '--exclude-from=.releaseignore', '-z'],
    { cwd: root },
  );
  return out.toString('utf8').split('\0').filter(Boolean).sort();
}

describe('.releaseignore matches as git does', () => {
  it.each(PATTERN_FILES.map((p, i) => [i, p] as const))('pattern file #%i %j', async (index, patterns) => {
    const root = join(temp.dir, `tree-${index}`);
    mkdirSync(root);
    makeTree(root, patterns);
    const result = await buildRelease({ dir: root, cwd: temp.dir, outputDir: temp.fresh(), environment: {} });
    const expected = keptByGit(root);
    const packed = result.files.map((f) => f.slice('metwork_plugin/'.length)).sort();
    expect(packed).toEqual(expected);
  });
});
