import type { Spread } from './stats';

/**
 * A target verdict that refuses to read noise. `met` / `NOT met` only when the figure is clearly on
 * one side of its target; otherwise `UNDECIDED`, and the run exits with code 2:
 *
 * - the figure's spread interval (bench/stats.ts `medianSpread` of the per-round ratios) contains
 *   the target, or
 * - the floor's noise (half the width of the (a′)/(a) interval: two routes that differ by a few
 *   microseconds) is wider than the gap between the figure and its target.
 */
export type Verdict = { kind: 'met' | 'NOT met'; text: string } | { kind: 'UNDECIDED'; text: string };

export const RERUN = 'rerun on an idle machine / more rounds';

/** The floor's half-width beyond which no ratio of the run is read (±5 %). */
export const FLOOR_NOISE_LIMIT = 0.05;

export function judge(spread: Spread, target: number, direction: 'at least' | 'at most', floorHalfWidth?: number): Verdict {
  const { median, low, high } = spread;
  if (![median, low, high].every(Number.isFinite)) return { kind: 'UNDECIDED', text: 'UNDECIDED (not measured)' };
  if (low <= target && target <= high) {
    return { kind: 'UNDECIDED', text: `UNDECIDED (spread ${f(low)}–${f(high)} straddles target ${f(target)}): ${RERUN}` };
  }
  const gap = Math.abs(median - target);
  if (floorHalfWidth !== undefined && floorHalfWidth > gap) {
    return { kind: 'UNDECIDED', text: `UNDECIDED (floor spread ±${f(floorHalfWidth)} is wider than the gap ${f(gap)} to target ${f(target)}): ${RERUN}` };
  }
  const met = direction === 'at least' ? median >= target : median <= target;
  return met ? { kind: 'met', text: 'met' } : { kind: 'NOT met', text: 'NOT met' };
}

/** Half the interval's width: the noise a ratio of this run carries. */
export function halfWidth(spread: Spread): number {
  return (spread.high - spread.low) / 2;
}

function f(n: number): string {
  return n.toFixed(2);
}
