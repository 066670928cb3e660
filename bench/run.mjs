// `npm run bench` — our CLI, installed from its packed tarball as a user installs it, against
// Node's floor and the peers, in one run; writes BENCHMARKS.md.
// `npm run bench -- --quick` — few runs, no peers, prints only (CI: proves the bench still runs).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeIniFile } from './inifile.mjs';
import { describeMachine } from './machine.mjs';
import { benchmark, HAS_GNU_TIME, measureAll, stats } from './measure.mjs';
import { findPeers } from './peers.mjs';
import { markdown, rows, targetLines, textTable } from './report.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = join(ROOT, 'BENCHMARKS.md');
const DEFAULT_PEERS = resolve(ROOT, '..', 'shared', 'peers');
const FULL = { runs: 15, warmUps: 1 };
const QUICK = { runs: 3, warmUps: 1 };
const ENV_KEYS = [10_000, 100_000];
const PLUGIN_NAME = 'foo';
const TARGETS = { list: 1.15, createFlask: 1.4, original: 2, yo: 12, env100kMs: 1000, envGrowth: 12 };

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    runs: { type: 'string' },
    peers: { type: 'string', default: process.env.BENCH_PEERS ?? DEFAULT_PEERS },
  },
});
const plan = options.quick ? QUICK : FULL;
const runs = options.runs ? Number(options.runs) : plan.runs;
const writeReport = !options.quick || options.write;
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

/**
 * The product is the installed package: pack the CLI (its `prepare` builds it), install the
 * tarball into a temporary prefix with `npm install -g`, and time the `bootstrap-plugin` that
 * npm put in that prefix's bin/, started as a user's shell starts it.
 */
function installPackedCli() {
  const prefix = mkdtempSync(join(tmpdir(), 'bench-prefix-'));
  const npm = (args, cwd) =>
    execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, stdio: 'ignore' });
  npm(['pack', '--workspace', 'bootstrap-plugin', '--pack-destination', prefix], ROOT);
  const [tarball] = readdirSync(prefix).filter((file) => file.endsWith('.tgz'));
  npm(['install', '--global', '--prefix', prefix, '--prefer-offline', join(prefix, tarball)], prefix);
  return { prefix, tarball, bin: join(prefix, 'bin', 'bootstrap-plugin') };
}

process.stderr.write('bench: packing and installing the CLI into a temporary prefix\n');
const installed = installPackedCli();
const installInfo =
  `${installed.tarball}, installed with \`npm install -g --prefix\` into a temporary prefix; ` +
  'its bin/bootstrap-plugin is run as a shell runs it';

const node = process.execPath;
const ours = (id, label, args) => benchmark(id, label, (workDir) => [installed.bin, ...args(workDir)]);
const iniDir = mkdtempSync(join(tmpdir(), 'bench-ini-'));
const envBenches = ENV_KEYS.map((keys) => {
  const file = join(iniDir, `config-${keys}.ini`);
  writeIniFile(file, keys);
  return ours(`env-${keys}`, `bootstrap-plugin env (${keys / 1000}k keys)`, () => ['env', file]);
});
const floor = benchmark('floor', "node -e ''", () => [node, '-e', '']);
const version = ours('version', 'bootstrap-plugin --version', () => ['--version']);
const list = ours('list', 'bootstrap-plugin list', () => ['list']);
const createFlask = ours('create-flask', 'bootstrap-plugin create --template=flask --yes', (dir) => [
  'create',
  PLUGIN_NAME,
  '--template=flask',
  '--yes',
  '--dir',
  dir,
]);
const createDefault = ours('create-default', 'bootstrap-plugin create --yes (default)', (dir) => [
  'create',
  PLUGIN_NAME,
  '--yes',
  '--dir',
  dir,
]);
const ourBenches = [floor, version, list, createFlask, createDefault, ...envBenches];

const peers = options.quick
  ? { benches: [], notes: ['peers: skipped in --quick mode'], cleanup: () => {} }
  : findPeers(options.peers);
const byId = new Map([...ourBenches, ...peers.benches].map((b) => [b.id, b]));
const median = (id) => {
  const bench = byId.get(id);
  return bench && !bench.failure && bench.times.length > 0 ? stats(bench.times).median : undefined;
};
/** Each peer is compared with our command doing the same job. */
const PEER_BASIS = {
  'original-list': 'list',
  'original-create': 'create-flask',
  yo: 'create-flask',
  plop: 'create-flask',
};

function ratioOf(bench) {
  const ratio = (a, b) => (a === undefined || b === undefined ? undefined : a / b);
  if (bench.id === 'floor') return 'floor';
  if (PEER_BASIS[bench.id]) {
    const value = ratio(median(bench.id), median(PEER_BASIS[bench.id]));
    return value === undefined
      ? ''
      : `${value.toFixed(2)}× ours (${byId.get(PEER_BASIS[bench.id]).label.replace('bootstrap-plugin ', '')})`;
  }
  const value = ratio(median(bench.id), median('floor'));
  return value === undefined ? '' : `${value.toFixed(2)}× floor`;
}

function target(text, value, goal, direction, unit = '×') {
  if (value === undefined) return { text, measured: 'not measured', met: undefined };
  const met = direction === 'max' ? value <= goal : value >= goal;
  return { text, measured: `${unit === 'ms' ? value.toFixed(0) : value.toFixed(2)} ${unit}`, met };
}

function targets() {
  const over = (a, b) => (median(a) === undefined || median(b) === undefined ? undefined : median(a) / median(b));
  const [small, large] = ENV_KEYS.map((keys) => `env-${keys}`);
  return [
    target(`list ≤ ${TARGETS.list}× the floor`, over('list', 'floor'), TARGETS.list, 'max'),
    target(
      `create --template=flask --yes ≤ ${TARGETS.createFlask}× the floor`,
      over('create-flask', 'floor'),
      TARGETS.createFlask,
      'max',
    ),
    target(
      `original bootstrap_plugin.py create ≥ ${TARGETS.original}× ours`,
      over('original-create', 'create-flask'),
      TARGETS.original,
      'min',
    ),
    target(`yo ≥ ${TARGETS.yo}× ours`, over('yo', 'create-flask'), TARGETS.yo, 'min'),
    target(`env on 100k keys < ${TARGETS.env100kMs} ms`, median(large), TARGETS.env100kMs, 'max', 'ms'),
    target(`env growth 10k → 100k keys ≤ ${TARGETS.envGrowth}×`, over(large, small), TARGETS.envGrowth, 'max'),
  ];
}

const machine = describeMachine();
const benches = [...ourBenches, ...peers.benches];
try {
  process.stderr.write(`bench: ${benches.length} benchmarks, ${plan.warmUps} warm-up + ${runs} timed runs each\n`);
  measureAll(benches, {
    warmUps: plan.warmUps,
    runs,
    onRound: (round) => process.stderr.write(`bench: round ${round}/${runs}\n`),
  });
} finally {
  rmSync(iniDir, { recursive: true, force: true });
  rmSync(installed.prefix, { recursive: true, force: true });
  peers.cleanup();
}

const notes = [
  ...(HAS_GNU_TIME ? [] : ['peak memory not measured: /usr/bin/time (Debian package time) is missing']),
  ...peers.notes,
  ...peers.benches.filter((b) => b.failure).map((b) => `${b.id}: failed (${b.failure}); skipped`),
];
const body = rows(
  benches.filter((b) => !(peers.benches.includes(b) && b.failure)),
  ratioOf,
);
const goals = targets();
console.log(textTable(body));
// A quick run proves that the bench runs; its few runs are too few for a ratio to judge a target.
const caveat =
  runs < FULL.runs ? [`${runs} runs each: too few to judge the targets (npm run bench runs ${FULL.runs})`] : [];
console.log(`\n${[...caveat, ...targetLines(goals)].join('\n')}`);
if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
if (writeReport) {
  writeFileSync(
    REPORT,
    markdown({ command, machine, runs, warmUps: plan.warmUps, body, targets: goals, notes, bundle: installInfo }),
  );
  console.log(`\nwrote ${relative(process.cwd(), REPORT) || REPORT}`);
}
// Our own commands must work; slow figures are reported, never failed on (CI machines are noisy).
const broken = ourBenches.filter((b) => b.failure);
for (const b of broken) console.error(`bench: ${b.label} failed: ${b.failure}`);
process.exitCode = broken.length > 0 ? 1 : 0;
