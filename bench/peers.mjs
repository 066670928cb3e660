// The tools people would otherwise use (../shared/peers, see its README), found when set up.
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { benchmark } from './measure.mjs';

const PLUGIN_NAME = 'foo';
const ORIGINAL_TEMPLATES = join('metwork', 'home', 'share', 'templates', 'plugins');
/** A symbolic link flattened by a copy is a tiny file holding its target path. */
const FLATTENED_LINK_MAX_BYTES = 256;
const RELATIVE_TARGET = /^\.\.?\//;

function flattenedLinks(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...flattenedLinks(path));
    else if (entry.isFile() && lstatSync(path).size <= FLATTENED_LINK_MAX_BYTES) {
      const target = readFileSync(path, 'utf8').trim();
      if (RELATIVE_TARGET.test(target) && !target.includes('\n') && existsSync(resolve(dirname(path), target)))
        found.push({ path, target });
    }
  }
  return found;
}

/**
 * The MetWork sources rely on symbolic links (templates/plugins, shared _common files); a copy
 * that flattened them leaves the original unable to find its templates. Then we run a private
 * copy with the links restored, removed by `cleanup`.
 */
function originalRoot(peersDir, notes, cleanups) {
  if (statSync(join(peersDir, ORIGINAL_TEMPLATES)).isDirectory()) return peersDir;
  const copy = mkdtempSync(join(tmpdir(), 'bench-peers-'));
  cleanups.push(() => rmSync(copy, { recursive: true, force: true }));
  cpSync(join(peersDir, 'metwork'), join(copy, 'metwork'), { recursive: true });
  cpSync(join(peersDir, 'run-original.sh'), join(copy, 'run-original.sh'));
  const links = flattenedLinks(join(copy, 'metwork'));
  for (const { path, target } of links) {
    rmSync(path);
    symlinkSync(target, path);
  }
  notes.push(
    `original: ${peersDir}/metwork had its ${links.length} symbolic links flattened into files; ran a temp ` +
      'copy with them restored',
  );
  return copy;
}

/** Benchmarks for every peer that is set up, and a note for each one that is not. */
export function findPeers(peersDir) {
  const notes = [];
  const cleanups = [];
  const benches = [];
  if (!existsSync(peersDir)) {
    notes.push(`peers: ${peersDir} not found (set BENCH_PEERS to its path); original, yo and plop skipped`);
    return { benches, notes, cleanup: () => {} };
  }
  if (existsSync(join(peersDir, ORIGINAL_TEMPLATES))) {
    const root = originalRoot(peersDir, notes, cleanups);
    const script = join(root, 'run-original.sh');
    benches.push(
      benchmark('original-list', 'original bootstrap_plugin.py list', () => [script, 'list']),
      benchmark('original-create', 'original bootstrap_plugin.py create flask', () => [
        script,
        'create',
        '--template=flask',
        PLUGIN_NAME,
      ]),
    );
  } else notes.push('original: metwork sources missing from the peers directory; skipped');
  const nodePeers = [
    {
      id: 'yo',
      label: 'yo mfplugin (Yeoman, 14 files)',
      module: join('yo', 'node_modules', 'yo'),
      script: 'run-yo.sh',
      setup: '(cd yo && npm ci)',
    },
    {
      id: 'plop',
      label: 'plop mfplugin (14 files)',
      module: join('plop', 'node_modules', 'plop'),
      script: 'run-plop.sh',
      setup: '(cd plop && npm ci)',
    },
  ];
  for (const peer of nodePeers) {
    if (existsSync(join(peersDir, peer.module)))
      benches.push(benchmark(peer.id, peer.label, () => [join(peersDir, peer.script), PLUGIN_NAME]));
    else notes.push(`${peer.id}: not set up (in ${peersDir}: ${peer.setup}); skipped`);
  }
  return { benches, notes, cleanup: () => cleanups.forEach((run) => run()) };
}
