// `node bench/env.mjs [--runs N] [--write]` — `bootstrap-plugin env` alone on generated config.ini
// files of 10k and 100k keys: min/median/max, the 10k → 100k growth, and Node's floor. Quicker to
// rerun than the whole `npm run bench` while profiling (`node --cpu-prof bin/bootstrap-plugin.cjs
// env FILE`). `--write` puts the figures in the "env" section of BENCHMARKS.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeIniFile } from './inifile.mjs';
import { describeMachine, machineLines } from './machine.mjs';
import { benchmark, measureAll, stats } from './measure.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI_PACKAGE = join(ROOT, 'packages', 'bootstrap-plugin');
const CLI = join(CLI_PACKAGE, 'bin', 'bootstrap-plugin.cjs');
const REPORT = join(ROOT, 'BENCHMARKS.md');
const KEYS = [10_000, 100_000];
const TARGET_100K_MS = 1000;
const TARGET_GROWTH = 12;
const SECTION_START = '<!-- env:start -->';
const SECTION_END = '<!-- env:end -->';
const GNU_TIME = '/usr/bin/time';

/**
 * CPU seconds (user + system) of each run, from GNU time: on a busy machine wall clock mostly
 * measures the neighbours, CPU time much less so.
 */
function cpuTimes(bench, count) {
  const times = [];
  for (let run = 0; run < count; run++) {
    const [file, ...args] = bench.command(dir);
    const result = spawnSync(GNU_TIME, ['-f', '%U %S', file, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    const [user, system] = result.stderr.trim().split('\n').pop().split(' ').map(Number);
    times.push((user + system) * 1000);
  }
  return times;
}

const { values: options } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, write: { type: 'boolean', default: false } },
});
const runs = Number(options.runs);

execFileSync(process.execPath, [join(CLI_PACKAGE, 'scripts', 'build.mjs')], { stdio: 'inherit' });
const dir = mkdtempSync(join(tmpdir(), 'bench-env-'));
const floor = benchmark('floor', "node -e ''", () => [process.execPath, '-e', '']);
const envs = KEYS.map((keys) => {
  const file = join(dir, `config-${keys}.ini`);
  writeIniFile(file, keys);
  return benchmark(`env-${keys}`, `env, ${keys / 1000}k keys`, () => [process.execPath, CLI, 'env', file]);
});
const benches = [floor, ...envs];
const cpu = new Map();
try {
  measureAll(benches, {
    warmUps: 1,
    runs,
    onRound: (round) => process.stderr.write(`bench env: round ${round}/${runs}\n`),
  });
  for (const bench of benches) cpu.set(bench, stats(cpuTimes(bench, runs)).median);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const failed = benches.filter((b) => b.failure);
for (const b of failed) console.error(`bench env: ${b.label} failed: ${b.failure}`);
if (failed.length > 0) process.exit(1);

const ms = (value) => `${value.toFixed(0)} ms`;
const rows = benches.map((b) => {
  const { min, median, max } = stats(b.times);
  return (
    `| ${b.label} | ${ms(min)} | ${ms(median)} | ${ms(max)} | ${ms(cpu.get(b))} | ` +
    `${b.peakMb?.toFixed(0) ?? '?'} MB |`
  );
});
const [small, large] = envs.map((b) => stats(b.times).median);
const growth = large / small;
const lines = [
  '## env',
  '',
  `\`node bench/env.mjs --runs ${runs}\`: whole-process wall clock (spawn to exit) of \`bootstrap-plugin env FILE\` on`,
  'generated config.ini files (sections of 100 keys, comments, a `key[DEV]` variant every 10 keys, a',
  '`{{HOME}}` placeholder every 7), profile output discarded; 1 warm-up + the timed runs.',
  '',
  ...machineLines(describeMachine()),
  '',
  '| command | wall min | wall median | wall max | CPU (user+sys) median | peak RSS |',
  '|---|---|---|---|---|---|',
  ...rows,
  '',
  `- 100k keys: ${ms(large)} median wall, ${ms(cpu.get(envs[1]))} CPU (target < ${TARGET_100K_MS} ms: ` +
    `${large < TARGET_100K_MS ? 'met' : 'NOT met'})`,
  `- growth 10k → 100k: ${growth.toFixed(2)}× (target ≤ ${TARGET_GROWTH}×: ` +
    `${growth <= TARGET_GROWTH ? 'met' : 'NOT met'})`,
];
console.log(lines.join('\n'));

if (options.write) {
  const section = `${SECTION_START}\n${lines.join('\n')}\n${SECTION_END}`;
  const current = existsSync(REPORT) ? readFileSync(REPORT, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(SECTION_START);
  const end = current.indexOf(SECTION_END);
  const next =
    start !== -1 && end > start
      ? `${current.slice(0, start)}${section}${current.slice(end + SECTION_END.length)}`
      : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(REPORT, next);
  console.log(`\nwrote the env section of ${REPORT}`);
}
