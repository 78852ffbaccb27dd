import type { Memory } from './memory';
import { formatTable, median, medianSpread, perRoundRatios, type Spread } from './stats';
import type { VariantDescriptor } from './variant';
import { BARE, FLOOR, HANDWRITTEN, VARIANTS } from './variants';
import { FLOOR_NOISE_LIMIT, halfWidth, judge, RERUN } from './verdict';

export interface Sample {
  requestsPerSecond: number;
  p99: number;
}

/** What the runner measured of one variant. */
export interface Measured {
  descriptor: VariantDescriptor;
  /** One per round, in round order (rounds pair the variants: sample r of each ran in round r). */
  samples: Sample[];
  failures: string[];
  /** After its load, one per round (the table shows the last round's). */
  memory: Memory[];
  refresh?: { samples: Sample[] };
}

export interface Settings {
  connections: number;
  rounds: number;
  duration: number;
  warmup: number;
}

/** The printed report, and whether any verdict (or the floor) could not be told from noise. */
export interface Report {
  text: string;
  undecided: boolean;
}

export const fixed = (n: number | undefined, digits: number): string => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '—');
export const interval = (s: Spread | undefined): string => (s && Number.isFinite(s.low) ? `${s.low.toFixed(2)}–${s.high.toFixed(2)}` : '—');
const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
const shortName = (id: string) => VARIANTS.find((v) => v.id === id)?.label.split(' ')[0] ?? id;

/**
 * The GET /items table: per variant the median req/s and p99 of the rounds; its ratio to (a) and
 * to (b) as the median of the per-round ratios, with the interval the rounds support; resident
 * memory after load; then the floor check, the targets and the refresh table.
 */
export function report(servers: Measured[], skipped: string[], setup: string, settings: Settings): Report {
  const byId = new Map(servers.map((s) => [s.descriptor.id, s]));
  const rps = (s: Measured) => s.samples.map((x) => x.requestsPerSecond);
  const ratio = (id: string, of: string): Spread | undefined => {
    const a = byId.get(id);
    const b = byId.get(of);
    return a && b ? medianSpread(perRoundRatios(rps(a), rps(b))) : undefined;
  };
  const last = (s: Measured | undefined) => s?.memory[s.memory.length - 1];
  const bareRss = last(byId.get(BARE))?.rssMB;
  const rows = [['variant', 'req/s', 'p99 ms', '×(a)', '×(a) spread', '×(b)', '×(b) spread', 'RSS MB', 'Δ RSS vs (a)', 'heap MB', 'rounds req/s']];
  for (const s of servers) {
    const id = s.descriptor.id;
    const toBare = ratio(id, BARE);
    const toHand = ratio(id, HANDWRITTEN);
    const rss = last(s)?.rssMB;
    rows.push([
      s.descriptor.label,
      fixed(median(rps(s)), 0),
      fixed(median(s.samples.map((x) => x.p99)), 1),
      fixed(toBare?.median, 2),
      interval(toBare),
      fixed(toHand?.median, 2),
      interval(toHand),
      fixed(rss, 1),
      rss !== undefined && bareRss !== undefined ? `${rss - bareRss >= 0 ? '+' : ''}${(rss - bareRss).toFixed(1)}` : '—',
      fixed(last(s)?.heapUsedMB, 1),
      rps(s)
        .map((x) => x.toFixed(0))
        .join(' '),
    ]);
  }
  const confidence = servers[0] ? medianSpread(rps(servers[0])).confidence : 0;
  const lines = [
    `GET /items, ${settings.connections} connections, ${settings.rounds} interleaved rounds × ${settings.duration} s after a ${settings.warmup} s warm-up. ` +
      `Node ${process.version}; ${setup}.`,
    `req/s and p99: medians of the rounds. ×(a), ×(b): median of the per-round ratios; spread: its ${(confidence * 100).toFixed(1)} % interval ` +
      `(order statistics of the rounds). RSS / heap: after the variant's load in the last round, no forced GC.`,
    '',
    formatTable(rows, [false, true, true, true, true, true, true, true, true, true, false]),
  ];

  let undecided = false;
  const floor = ratio(FLOOR, BARE);
  let floorHalfWidth: number | undefined;
  lines.push('');
  if (floor && Number.isFinite(floor.median)) {
    floorHalfWidth = halfWidth(floor);
    const relative = floorHalfWidth / floor.median;
    const noisy = relative > FLOOR_NOISE_LIMIT;
    undecided ||= noisy;
    lines.push(
      `Floor: (a′)/(a) ${floor.median.toFixed(2)} (${interval(floor)}), noise ±${(relative * 100).toFixed(1)} % — ` +
        (noisy ? `FLOOR TOO NOISY (> ±${FLOOR_NOISE_LIMIT * 100} %): no ratio of this run can be read; ${RERUN}` : `within ±${FLOOR_NOISE_LIMIT * 100} %`),
    );
  } else {
    lines.push('Floor not measured (needs (a) and (a′)): verdicts are judged on their own spread only.');
  }

  const baselines = servers.filter((s) => s.descriptor.baseline);
  if (baselines.length) lines.push('', 'Against the baseline build (BENCH_BASELINE), same rounds: today ÷ baseline, per-round median (spread):');
  for (const s of baselines) {
    const of = s.descriptor.baseline!.of;
    const got = ratio(of, s.descriptor.id);
    if (got) lines.push(`  ${shortName(of)} today ÷ ${s.descriptor.label}: ${fixed(got.median, 2)} (${interval(got)})`);
    else lines.push(`  ${shortName(of)} vs ${s.descriptor.label}: not measured`);
  }

  const targets = servers.filter((s) => s.descriptor.target || s.descriptor.memoryTarget);
  if (targets.length) lines.push('', 'Targets (median of per-round ratios, spread interval):');
  for (const s of targets) {
    const target = s.descriptor.target;
    if (target) {
      const got = ratio(s.descriptor.id, target.of);
      const head = `  ${shortName(s.descriptor.id)} ≥ ${target.ratio.toFixed(2)} × ${shortName(target.of)}:`;
      if (got) {
        const verdict = judge(got, target.ratio, 'at least', floorHalfWidth);
        undecided ||= verdict.kind === 'UNDECIDED';
        lines.push(`${head} ${fixed(got.median, 2)} (${interval(got)}) — ${verdict.text}`);
      } else {
        lines.push(`${head} not measured (${shortName(target.of)} did not run)`);
      }
    }
    const memoryTarget = s.descriptor.memoryTarget;
    if (memoryTarget) {
      // Judged like the ratios: the per-round differences (variant − reference, both right after their load).
      const ref = byId.get(memoryTarget.of);
      const head = `  ${shortName(s.descriptor.id)} RSS ≤ ${shortName(memoryTarget.of)} RSS + ${memoryTarget.extraMB} MB:`;
      const own = last(s)?.rssMB;
      const theirs = last(ref)?.rssMB;
      if (!ref || own === undefined || theirs === undefined) {
        lines.push(`${head} not measured`);
        continue; // the last check of this variant
      }
      const deltas = medianSpread(s.memory.map((m, r) => m.rssMB - (ref.memory[r]?.rssMB ?? NaN)));
      const verdict = judge(deltas, memoryTarget.extraMB, 'at most');
      undecided ||= verdict.kind === 'UNDECIDED';
      lines.push(
        `${head} last round ${own.toFixed(1)} vs ${theirs.toFixed(1)} MB; per-round Δ ${signed(deltas.median)} MB ` +
          `(${signed(deltas.low)}–${signed(deltas.high)}) — ${verdict.text}`,
      );
    }
  }

  const refreshing = servers.filter((s) => s.refresh?.samples.length);
  if (refreshing.length) {
    const refreshRows = [['variant', 'refreshes/s', 'p99 ms', 'rounds refreshes/s']];
    for (const s of refreshing) {
      const samples = s.refresh!.samples;
      refreshRows.push([
        s.descriptor.label,
        fixed(median(samples.map((x) => x.requestsPerSecond)), 0),
        fixed(median(samples.map((x) => x.p99)), 1),
        samples.map((x) => x.requestsPerSecond.toFixed(0)).join(' '),
      ]);
    }
    lines.push(
      '',
      `POST /refresh (rotation: one refresh chain per connection, a fresh session per chain and run):`,
      '',
      formatTable(refreshRows, [false, true, true, false]),
    );
  }
  for (const s of servers) if (s.failures.length) lines.push(`WARNING ${s.descriptor.id}: ${s.failures.join('; ')} — its figures are not valid.`);
  for (const line of skipped) lines.push(`Skipped ${line}`);
  return { text: lines.join('\n'), undecided };
}
