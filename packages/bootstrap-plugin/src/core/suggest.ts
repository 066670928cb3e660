/**
 * Edit distance where swapping two neighbours counts as one edit, as in `--yse` for `--yes`
 * (optimal string alignment); small inputs only (names, keys).
 */
function distance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      let best = Math.min(previous[j] + 1, current[j - 1] + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, beforePrevious[j - 2] + 1);
      current.push(best);
    }
    [beforePrevious, previous] = [previous, current];
  }
  return previous[b.length];
}

/** The closest candidate to a mistyped word, or undefined when none is plausibly meant. */
function suggest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const tolerated = Math.max(1, Math.floor(lower.length / 3));
  return bestDistance <= tolerated ? best : undefined;
}

/** ` (did you mean "x"?)` or an empty string, to append to an error message. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = suggest(word, candidates);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}
