/** The middle value (mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Left- or right-aligned text columns. */
export function formatTable(rows: string[][], rightAligned: boolean[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A median with the interval the rounds support. */
export interface Spread {
  median: number;
  low: number;
  high: number;
  /** How sure the interval is to hold the true median (distribution-free), e.g. 0.875 for 7 rounds. */
  confidence: number;
}

/**
 * The median of `values` and a distribution-free confidence interval for it from order statistics:
 * the k-th lowest to the k-th highest value, with the largest k whose coverage
 * 1 − 2·P(Binomial(n, ½) < k) is still ≥ `wanted` (85 %). For 7 rounds that is the 2nd lowest to the
 * 2nd highest (87.5 %), so one burst-hit round can neither move the median nor widen the interval;
 * with 5 rounds or fewer it is min–max (93.8 % for 5, 75 % for 3).
 */
export function medianSpread(values: number[], wanted = 0.85): Spread {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, low: NaN, high: NaN, confidence: 0 };
  const coverage = (k: number) => {
    let below = 0; // P(Binomial(n, ½) ≤ k − 1)
    for (let i = 0; i < k; i++) below += binomial(n, i) / 2 ** n;
    return 1 - 2 * below;
  };
  let k = 1;
  while (k + 1 <= Math.floor(n / 2) && coverage(k + 1) >= wanted) k++;
  return { median: median(sorted), low: sorted[k - 1], high: sorted[n - k], confidence: coverage(k) };
}

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

/** Per-round ratios: `values[r] / references[r]` for the rounds both have. */
export function perRoundRatios(values: number[], references: number[]): number[] {
  return values.slice(0, references.length).map((v, r) => v / references[r]);
}
