// Owns "did you mean": the closest of a set of known words (commands, subcommands, flags) to a
// mistyped one, by edit distance (a swap of two neighbours counts as one edit) or as a prefix.

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known word `word` most likely meant, or undefined when none is close. */
export function closest(word: string, known: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const candidate = k.toLowerCase();
    if (w.length >= 3 && candidate.startsWith(w)) return k;
    const distance = editDistance(w, candidate);
    if (distance < bestDistance) {
      best = k;
      bestDistance = distance;
    }
  }
  // One edit for short words, two from 6 characters on: more would suggest unrelated words.
  return best !== undefined && bestDistance <= (w.length >= 6 ? 2 : 1) ? best : undefined;
}

/** `; did you mean "x"?` when a known word is close, else ''. */
export function didYouMean(word: string, known: Iterable<string>): string {
  const match = closest(word, known);
  return match === undefined ? '' : `; did you mean "${match}"?`;
}
