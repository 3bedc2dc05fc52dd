import { distance } from 'fastest-levenshtein';

/**
 * The candidates closest to a mistyped word, best first: those within a third of its length (at
 * least 2 edits), or that start with it or contain it. Used for "did you mean" everywhere.
 */
export function closestMatches(word: string, candidates: Iterable<string>, max = 3): string[] {
  const w = word.toLowerCase();
  const limit = Math.max(2, Math.floor(w.length / 3));
  const scored: { c: string; d: number }[] = [];
  for (const c of new Set(candidates)) {
    const lc = c.toLowerCase();
    const d = distance(w, lc);
    if (d <= limit || (w.length >= 2 && lc.includes(w))) scored.push({ c, d });
  }
  return scored
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, max)
    .map((s) => s.c);
}
