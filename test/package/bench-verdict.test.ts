import { expect } from 'chai';
import { medianSpread, perRoundRatios } from '../../bench/stats';
import { FLOOR_NOISE_LIMIT, halfWidth, judge } from '../../bench/verdict';

describe('benchmark verdicts (bench/stats.ts, bench/verdict.ts)', () => {
  it('gives the median with the order-statistic interval: 2nd lowest to 2nd highest for 7 rounds, min–max for 5', () => {
    const seven = medianSpread([0.93, 0.7, 0.91, 0.95, 0.92, 1.4, 0.9]);
    expect(seven).to.include({ median: 0.92, low: 0.9, high: 0.95 });
    expect(seven.confidence).to.equal(0.875);
    const five = medianSpread([3, 1, 2, 5, 4]);
    expect(five).to.include({ median: 3, low: 1, high: 5 });
    expect(five.confidence).to.equal(0.9375);
    expect(medianSpread([]).median).to.be.NaN;
  });

  it('pairs ratios by round', () => {
    expect(perRoundRatios([90, 80, 45], [100, 100, 50])).to.deep.equal([0.9, 0.8, 0.9]);
  });

  it('says met / NOT met only when the interval is clear of the target, else UNDECIDED with the spread', () => {
    expect(judge({ median: 0.95, low: 0.93, high: 0.97, confidence: 0.875 }, 0.9, 'at least').kind).to.equal('met');
    expect(judge({ median: 0.8, low: 0.78, high: 0.83, confidence: 0.875 }, 0.9, 'at least').kind).to.equal('NOT met');
    const straddling = judge({ median: 0.91, low: 0.86, high: 0.94, confidence: 0.875 }, 0.9, 'at least');
    expect(straddling.kind).to.equal('UNDECIDED');
    expect(straddling.text).to.equal('UNDECIDED (spread 0.86–0.94 straddles target 0.90): rerun on an idle machine / more rounds');
    expect(judge({ median: 2, low: 1.5, high: 2.5, confidence: 0.875 }, 3, 'at most').kind).to.equal('met');
    expect(judge({ median: 4, low: 3.5, high: 5, confidence: 0.875 }, 3, 'at most').kind).to.equal('NOT met');
  });

  it('is UNDECIDED when the floor is noisier than the gap between the figure and its target', () => {
    const clear = { median: 0.94, low: 0.93, high: 0.95, confidence: 0.875 };
    expect(judge(clear, 0.9, 'at least', 0.02).kind).to.equal('met');
    const verdict = judge(clear, 0.9, 'at least', 0.06);
    expect(verdict.kind).to.equal('UNDECIDED');
    expect(verdict.text).to.contain('floor spread ±0.06 is wider than the gap 0.04');
    expect(halfWidth({ median: 1, low: 0.9, high: 1.1, confidence: 0.875 })).to.be.closeTo(0.1, 1e-12);
    expect(FLOOR_NOISE_LIMIT).to.equal(0.05);
  });
});
