// Whole-process timing: wall clock around spawn-to-exit, and peak memory from GNU time in
// separate runs, so the timed runs carry no wrapper process.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';
/** Without GNU time (Debian package `time`) the warm-up still runs; memory is reported as '-'. */
export const HAS_GNU_TIME = existsSync(GNU_TIME);
/** A run longer than this is a hang, not a measurement. */
const RUN_TIMEOUT_MS = 120_000;
const KIB_PER_MB = 1024;

/**
 * A benchmark: `command(workDir)` gives [file, ...args] for one run; every run gets a fresh
 * empty temp dir (created plugins land there) that is removed afterwards, outside the timing.
 */
export function benchmark(id, label, command) {
  return { id, label, command, times: [], peakMb: undefined, failure: undefined };
}

function inFreshDir(bench, run) {
  const workDir = mkdtempSync(join(tmpdir(), `bench-${bench.id}-`));
  try {
    return run(bench.command(workDir), workDir);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

function spawn(file, args, cwd) {
  return spawnSync(file, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: RUN_TIMEOUT_MS });
}

function failureOf(result) {
  if (result.error) return result.error.message;
  if (result.status === 0) return undefined;
  const lastLine = result.stderr.toString().trim().split('\n').pop() ?? '';
  return `exit ${result.status ?? result.signal}: ${lastLine}`;
}

/** One timed run; a failing run marks the benchmark failed (its figures would mean nothing). */
export function timeOnce(bench) {
  if (bench.failure) return;
  inFreshDir(bench, ([file, ...args], cwd) => {
    const start = process.hrtime.bigint();
    const result = spawn(file, args, cwd);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    bench.failure = failureOf(result);
    if (!bench.failure) bench.times.push(ms);
  });
}

/** A warm-up run under GNU time: fills the page cache and gives the peak resident set size. */
export function warmUp(bench) {
  if (bench.failure) return;
  inFreshDir(bench, ([file, ...args], cwd) => {
    const report = join(cwd, '.peak-rss');
    const result = HAS_GNU_TIME
      ? spawn(GNU_TIME, ['-f', '%M', '-o', report, file, ...args], cwd)
      : spawn(file, args, cwd);
    bench.failure = failureOf(result);
    if (bench.failure || !HAS_GNU_TIME) return;
    const kib = Number(readFileSync(report, 'utf8').trim().split('\n').pop());
    bench.peakMb = Math.max(bench.peakMb ?? 0, kib / KIB_PER_MB);
  });
}

export function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1], runs: sorted.length };
}

/**
 * Rounds interleave the benchmarks (floor, ours, peers, floor, ours, peers…) so that a busy
 * spell on the machine hits every figure of a ratio alike.
 */
export function measureAll(benches, { warmUps, runs, onRound }) {
  for (let round = 0; round < warmUps; round++) benches.forEach(warmUp);
  for (let round = 0; round < runs; round++) {
    benches.forEach(timeOnce);
    onRound?.(round + 1);
  }
}
