// The figures as a plain-text table for the terminal and as BENCHMARKS.md.
import { stats } from './measure.mjs';
import { machineLines } from './machine.mjs';

const HEADERS = ['benchmark', 'min ms', 'median ms', 'max ms', 'peak RSS MB', 'ratio'];

const ms = (value) => value.toFixed(1);

/** One row per benchmark; `ratioOf(bench)` names what it is compared with. */
export function rows(benches, ratioOf) {
  return benches.map((bench) => {
    if (bench.failure || bench.times.length === 0)
      return [bench.label, '-', '-', '-', '-', `failed: ${bench.failure ?? 'no runs'}`];
    const s = stats(bench.times);
    const peak = bench.peakMb === undefined ? '-' : bench.peakMb.toFixed(1);
    return [bench.label, ms(s.min), ms(s.median), ms(s.max), peak, ratioOf(bench) ?? ''];
  });
}

export function textTable(body) {
  const all = [HEADERS, ...body];
  const widths = HEADERS.map((_, column) => Math.max(...all.map((row) => String(row[column]).length)));
  const line = (row) =>
    row
      .map((cell, column) =>
        column === 0 || column === row.length - 1
          ? String(cell).padEnd(widths[column])
          : String(cell).padStart(widths[column]),
      )
      .join('  ')
      .trimEnd();
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function markdownTable(headers, body) {
  const escape = (cell) => String(cell).replaceAll('|', '\\|');
  return [
    `| ${headers.map(escape).join(' | ')} |`,
    `|${headers.map((_, i) => (i === 0 || i === headers.length - 1 ? '---' : '---:')).join('|')}|`,
    ...body.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

export function targetLines(targets) {
  return targets.map((t) => `${t.met === undefined ? '–' : t.met ? '✓' : '✗'} ${t.text}: ${t.measured}`);
}

export function markdown({ command, machine, runs, warmUps, body, targets, notes, bundle }) {
  return [
    '# Benchmarks',
    '',
    'Whole processes, timed from spawn to exit, interleaved round by round so that a busy spell',
    `hits every figure of a ratio alike: ${warmUps} warm-up run(s) under GNU time (peak resident set size),`,
    `then ${runs} timed runs each. Ratios are medians: ours / \`node -e ''\` (Node's own start-up, the floor),`,
    'and peer / ours for the same job. Compare only figures from one run.',
    '',
    `Produced by \`${command}\` on:`,
    '',
    ...machineLines(machine),
    `- CLI: ${bundle}`,
    '',
    markdownTable(HEADERS, body),
    '',
    '## Targets',
    '',
    ...targetLines(targets).map((line) => `- ${line}`),
    ...(notes.length > 0 ? ['', '## Notes', '', ...notes.map((note) => `- ${note}`)] : []),
    '',
  ].join('\n');
}
