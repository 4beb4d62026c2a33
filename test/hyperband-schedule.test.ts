// The Hyperband schedule against values derived by hand from Keras Tuner's formulas
// (keras_tuner/tuners/hyperband.py, HyperbandOracle), for bracket b and round r, k = b - r:
//
//   brackets          = count of k >= 0 with max_epochs / factor^k >= min_epochs (min_epochs = 1)
//   B0                = ceil(1 + log(max_epochs, factor))    (bracket0_end_size)
//   trials(b, r)      = ceil(B0 / (b + 1) * factor^k)        (_get_size)
//   toEpoch(b, r)     = ceil(max_epochs / factor^k)          (_get_epochs)
//   fromEpoch(b, r)   = toEpoch(b, r - 1), 0 for r = 0       (tuner/initial_epoch)
//
// brackets run from b = brackets - 1 (the most exploratory) down to 0, and
// hyperband_iterations repeats that sweep. Epochs trained by a round: trials × (to - from).
import { describe, expect, it } from 'vitest';
import { GradtuneError } from '../src/errors.js';
import {
  bracket0EndSize,
  ceilDiv,
  hyperbandSchedule,
  intLog,
  type HyperbandSchedule,
  type HyperbandSettings,
} from '../src/oracle/hyperband-schedule.js';

/** One bracket as [bracket, [[trials, fromEpoch, toEpoch], ...]]. */
type Compact = [number, [number, number, number][]];

function compact(s: HyperbandSchedule): Compact[] {
  return s.brackets.map((b) => [b.bracket, b.rounds.map((r) => [r.trials, r.fromEpoch, r.toEpoch] as [number, number, number])]);
}

interface Case {
  maxEpochs: number;
  factor: number;
  brackets: Compact[];
  totalTrials: number;
  totalEpochs: number;
}

const CASES: Case[] = [
  {
    // 81 = 3^4: B0 = 1 + 4 = 5; 5 brackets. Epochs ceil(81/3^k): 1, 3, 9, 27, 81.
    // b=4: ceil(5*81/5)=81, 27, 9, 3, 1                     -> 81*1 + 27*2 + 9*6 + 3*18 + 1*54 = 297
    // b=3: ceil(5*27/4)=34, ceil(45/4)=12, ceil(15/4)=4, ceil(5/4)=2 -> 34*3 + 12*6 + 4*18 + 2*54 = 354
    // b=2: ceil(45/3)=15, ceil(15/3)=5, ceil(5/3)=2         -> 15*9 + 5*18 + 2*54 = 333
    // b=1: ceil(15/2)=8, ceil(5/2)=3                        -> 8*27 + 3*54 = 378
    // b=0: 5                                                -> 5*81 = 405
    // trials 121 + 52 + 22 + 11 + 5 = 211; epochs 297 + 354 + 333 + 378 + 405 = 1767.
    // (JavaScript's Math.log(81)/Math.log(3) is 4.000000000000001: a float port gets B0 = 6.)
    maxEpochs: 81,
    factor: 3,
    brackets: [
      [4, [[81, 0, 1], [27, 1, 3], [9, 3, 9], [3, 9, 27], [1, 27, 81]]],
      [3, [[34, 0, 3], [12, 3, 9], [4, 9, 27], [2, 27, 81]]],
      [2, [[15, 0, 9], [5, 9, 27], [2, 27, 81]]],
      [1, [[8, 0, 27], [3, 27, 81]]],
      [0, [[5, 0, 81]]],
    ],
    totalTrials: 211,
    totalEpochs: 1767,
  },
  {
    // 27 = 3^3: B0 = 4; 4 brackets. Epochs 1, 3, 9, 27.
    // b=3: 27, 9, 3, 1                      -> 27 + 18 + 18 + 18 = 81
    // b=2: ceil(36/3)=12, ceil(12/3)=4, ceil(4/3)=2 -> 36 + 24 + 36 = 96
    // b=1: ceil(12/2)=6, ceil(4/2)=2        -> 54 + 36 = 90
    // b=0: 4                                -> 108
    // trials 40 + 18 + 8 + 4 = 70; epochs 375.
    maxEpochs: 27,
    factor: 3,
    brackets: [
      [3, [[27, 0, 1], [9, 1, 3], [3, 3, 9], [1, 9, 27]]],
      [2, [[12, 0, 3], [4, 3, 9], [2, 9, 27]]],
      [1, [[6, 0, 9], [2, 9, 27]]],
      [0, [[4, 0, 27]]],
    ],
    totalTrials: 70,
    totalEpochs: 375,
  },
  {
    // 9 = 3^2: B0 = 3; 3 brackets. Epochs 1, 3, 9.
    // b=2: 9, 3, 1 -> 9 + 6 + 6 = 21;  b=1: ceil(9/2)=5, ceil(3/2)=2 -> 15 + 12 = 27;  b=0: 3 -> 27
    // trials 13 + 7 + 3 = 23; epochs 75.
    // (Math.log(9)/Math.log(3) is 2.0000000000000004: a float port gets B0 = 4.)
    maxEpochs: 9,
    factor: 3,
    brackets: [
      [2, [[9, 0, 1], [3, 1, 3], [1, 3, 9]]],
      [1, [[5, 0, 3], [2, 3, 9]]],
      [0, [[3, 0, 9]]],
    ],
    totalTrials: 23,
    totalEpochs: 75,
  },
  {
    // 100: 3^4 = 81 <= 100 < 243, not a power: B0 = 4 + 2 = 6; 5 brackets.
    // Epochs ceil(100/3^k): k=4: 2, k=3: 4, k=2: 12, k=1: 34, k=0: 100.
    // b=4: ceil(6*81/5)=98, ceil(162/5)=33, ceil(54/5)=11, ceil(18/5)=4, ceil(6/5)=2
    //      -> 98*2 + 33*2 + 11*8 + 4*22 + 2*66 = 196 + 66 + 88 + 88 + 132 = 570
    // b=3: ceil(162/4)=41, ceil(54/4)=14, ceil(18/4)=5, ceil(6/4)=2 -> 164 + 112 + 110 + 132 = 518
    // b=2: 18, 6, 2 -> 216 + 132 + 132 = 480;  b=1: 9, 3 -> 306 + 198 = 504;  b=0: 6 -> 600
    // trials 148 + 62 + 26 + 12 + 6 = 254; epochs 2672.
    maxEpochs: 100,
    factor: 3,
    brackets: [
      [4, [[98, 0, 2], [33, 2, 4], [11, 4, 12], [4, 12, 34], [2, 34, 100]]],
      [3, [[41, 0, 4], [14, 4, 12], [5, 12, 34], [2, 34, 100]]],
      [2, [[18, 0, 12], [6, 12, 34], [2, 34, 100]]],
      [1, [[9, 0, 34], [3, 34, 100]]],
      [0, [[6, 0, 100]]],
    ],
    totalTrials: 254,
    totalEpochs: 2672,
  },
  {
    // 10: 2^3 = 8 <= 10 < 16: B0 = 3 + 2 = 5; 4 brackets. Epochs ceil(10/2^k): 2, 3, 5, 10.
    // b=3: ceil(40/4)=10, 5, ceil(10/4)=3, ceil(5/4)=2 -> 20 + 5 + 6 + 10 = 41
    // b=2: ceil(20/3)=7, ceil(10/3)=4, ceil(5/3)=2     -> 21 + 8 + 10 = 39
    // b=1: 5, ceil(5/2)=3 -> 25 + 15 = 40;  b=0: 5 -> 50
    // trials 20 + 13 + 8 + 5 = 46; epochs 170.
    maxEpochs: 10,
    factor: 2,
    brackets: [
      [3, [[10, 0, 2], [5, 2, 3], [3, 3, 5], [2, 5, 10]]],
      [2, [[7, 0, 3], [4, 3, 5], [2, 5, 10]]],
      [1, [[5, 0, 5], [3, 5, 10]]],
      [0, [[5, 0, 10]]],
    ],
    totalTrials: 46,
    totalEpochs: 170,
  },
  {
    // 1000 = 10^3: B0 = 4; 4 brackets. Epochs 1, 10, 100, 1000.
    // b=3: 1000, 100, 10, 1 -> 1000 + 900 + 900 + 900 = 3700
    // b=2: ceil(400/3)=134, ceil(40/3)=14, ceil(4/3)=2 -> 1340 + 1260 + 1800 = 4400
    // b=1: 20, 2 -> 2000 + 1800 = 3800;  b=0: 4 -> 4000
    // trials 1111 + 150 + 22 + 4 = 1287; epochs 15900.
    // (Math.log(1000)/Math.log(10) is 2.9999999999999996: a floor-based count gets 3 brackets.)
    maxEpochs: 1000,
    factor: 10,
    brackets: [
      [3, [[1000, 0, 1], [100, 1, 10], [10, 10, 100], [1, 100, 1000]]],
      [2, [[134, 0, 10], [14, 10, 100], [2, 100, 1000]]],
      [1, [[20, 0, 100], [2, 100, 1000]]],
      [0, [[4, 0, 1000]]],
    ],
    totalTrials: 1287,
    totalEpochs: 15900,
  },
  {
    // 8 = 2^3: B0 = 4; 4 brackets. Epochs 1, 2, 4, 8.
    // b=3: 8, 4, 2, 1 -> 8 + 4 + 4 + 4 = 20
    // b=2: ceil(16/3)=6, ceil(8/3)=3, ceil(4/3)=2 -> 12 + 6 + 8 = 26
    // b=1: 4, 2 -> 16 + 8 = 24;  b=0: 4 -> 32
    // trials 15 + 11 + 6 + 4 = 36; epochs 102.
    maxEpochs: 8,
    factor: 2,
    brackets: [
      [3, [[8, 0, 1], [4, 1, 2], [2, 2, 4], [1, 4, 8]]],
      [2, [[6, 0, 2], [3, 2, 4], [2, 4, 8]]],
      [1, [[4, 0, 4], [2, 4, 8]]],
      [0, [[4, 0, 8]]],
    ],
    totalTrials: 36,
    totalEpochs: 102,
  },
  {
    // 243 = 3^5: B0 = 6; 6 brackets. Epochs 1, 3, 9, 27, 81, 243.
    // b=5: 243, 81, 27, 9, 3, 1 -> 243 + 5*162 = 1053
    // b=4: ceil(486/5)=98, ceil(162/5)=33, ceil(54/5)=11, ceil(18/5)=4, ceil(6/5)=2
    //      -> 294 + 198 + 198 + 216 + 324 = 1230
    // b=3: ceil(162/4)=41, ceil(54/4)=14, ceil(18/4)=5, ceil(6/4)=2 -> 369 + 252 + 270 + 324 = 1215
    // b=2: 18, 6, 2 -> 486 + 324 + 324 = 1134;  b=1: 9, 3 -> 729 + 486 = 1215;  b=0: 6 -> 1458
    // trials 364 + 148 + 62 + 26 + 12 + 6 = 618; epochs 7305.
    // (Python's math.log(243, 3) is 4.999999999999999: harmless for the ceil, wrong for a floor.)
    maxEpochs: 243,
    factor: 3,
    brackets: [
      [5, [[243, 0, 1], [81, 1, 3], [27, 3, 9], [9, 9, 27], [3, 27, 81], [1, 81, 243]]],
      [4, [[98, 0, 3], [33, 3, 9], [11, 9, 27], [4, 27, 81], [2, 81, 243]]],
      [3, [[41, 0, 9], [14, 9, 27], [5, 27, 81], [2, 81, 243]]],
      [2, [[18, 0, 27], [6, 27, 81], [2, 81, 243]]],
      [1, [[9, 0, 81], [3, 81, 243]]],
      [0, [[6, 0, 243]]],
    ],
    totalTrials: 618,
    totalEpochs: 7305,
  },
  {
    // Degenerate but valid: max_epochs 1 = 3^0, B0 = ceil(1 + 0) = 1: one trial of one epoch.
    maxEpochs: 1,
    factor: 3,
    brackets: [[0, [[1, 0, 1]]]],
    totalTrials: 1,
    totalEpochs: 1,
  },
  {
    // A factor above max_epochs: log(2, 3) = 0.63, B0 = ceil(1.63) = 2; one bracket, 2 trials of 2 epochs.
    maxEpochs: 2,
    factor: 3,
    brackets: [[0, [[2, 0, 2]]]],
    totalTrials: 2,
    totalEpochs: 4,
  },
];

describe('hyperbandSchedule reproduces Keras Tuner, by hand', () => {
  for (const c of CASES) {
    it(`max epochs ${c.maxEpochs}, factor ${c.factor}`, () => {
      const s = hyperbandSchedule({ maxEpochs: c.maxEpochs, factor: c.factor });
      expect(compact(s)).toEqual(c.brackets);
      expect(s.totalTrials).toBe(c.totalTrials);
      expect(s.totalEpochs).toBe(c.totalEpochs);
      // The round numbers and the single iteration are there too.
      for (const b of s.brackets) {
        expect(b.iteration).toBe(0);
        expect(b.rounds.map((r) => r.round)).toEqual(b.rounds.map((_, i) => i));
      }
    });
  }

  it('totals are the sums over rounds of trials and trials × (to - from)', () => {
    for (const c of CASES) {
      const s = hyperbandSchedule({ maxEpochs: c.maxEpochs, factor: c.factor });
      const rounds = s.brackets.flatMap((b) => b.rounds);
      expect(s.totalTrials).toBe(rounds.reduce((a, r) => a + r.trials, 0));
      expect(s.totalEpochs).toBe(rounds.reduce((a, r) => a + r.trials * (r.toEpoch - r.fromEpoch), 0));
    }
  });

  it('the last round of every bracket trains to max epochs, and each round to more epochs than the last', () => {
    for (const c of CASES) {
      for (const b of hyperbandSchedule({ maxEpochs: c.maxEpochs, factor: c.factor }).brackets) {
        expect(b.rounds.at(-1)!.toEpoch).toBe(c.maxEpochs);
        for (const r of b.rounds) expect(r.toEpoch).toBeGreaterThan(r.fromEpoch);
        for (let i = 1; i < b.rounds.length; i++) expect(b.rounds[i].trials).toBeLessThanOrEqual(b.rounds[i - 1].trials);
      }
    }
  });
});

describe('hyperband_iterations and min_epochs', () => {
  it('iterations repeat the sweep of brackets, most exploratory first each time', () => {
    const once = hyperbandSchedule({ maxEpochs: 27, factor: 3 });
    const thrice = hyperbandSchedule({ maxEpochs: 27, factor: 3, iterations: 3 });
    expect(thrice.brackets.map((b) => [b.iteration, b.bracket])).toEqual([
      [0, 3], [0, 2], [0, 1], [0, 0],
      [1, 3], [1, 2], [1, 1], [1, 0],
      [2, 3], [2, 2], [2, 1], [2, 0],
    ]);
    for (const b of thrice.brackets) expect(b.rounds).toEqual(once.brackets.find((o) => o.bracket === b.bracket)!.rounds);
    expect(thrice.totalTrials).toBe(3 * 70);
    expect(thrice.totalEpochs).toBe(3 * 375);
  });

  it('min epochs drops the brackets whose first round would train fewer epochs, keeping KT\'s sizes', () => {
    // brackets: k with 81 / 3^k >= 3, i.e. k <= 3; B0 still comes from max_epochs (5).
    const s = hyperbandSchedule({ maxEpochs: 81, factor: 3, minEpochs: 3 });
    expect(compact(s)).toEqual(CASES[0].brackets.slice(1));
    // 100 / 3^k >= 4: 100/9 = 11.1 is, 100/27 = 3.7 is not, so k <= 2.
    expect(hyperbandSchedule({ maxEpochs: 100, factor: 3, minEpochs: 4 }).brackets.map((b) => b.bracket)).toEqual([2, 1, 0]);
    expect(hyperbandSchedule({ maxEpochs: 100, factor: 3, minEpochs: 100 }).brackets.map((b) => b.bracket)).toEqual([0]);
  });
});

describe('integer logarithms where floating point goes wrong', () => {
  // x = b^k whose float logarithm in V8 (Node 20's fdlibm-derived Math.log) is not k.
  // Above k: ceil(1 + log) is one too many.  Below k: floor(log) is one too few.
  const ABOVE: [number, number, number][] = [[9, 3, 2], [81, 3, 4], [729, 3, 6], [6561, 3, 8], [125, 5, 3], [15625, 5, 6], [16807, 7, 5], [196, 14, 2]];
  const BELOW: [number, number, number][] = [[1000, 10, 3], [1_000_000, 10, 6], [59049, 9, 5], [4913, 17, 3]];

  it('Math.log(x) / Math.log(b) misses k for these exact powers; intLog does not', () => {
    for (const [x, b, k] of ABOVE) {
      expect(Math.log(x) / Math.log(b), `${x}, ${b}`).toBeGreaterThan(k);
      expect(intLog(x, b)).toBe(k);
    }
    for (const [x, b, k] of BELOW) {
      expect(Math.log(x) / Math.log(b), `${x}, ${b}`).toBeLessThan(k);
      expect(intLog(x, b)).toBe(k);
    }
    // The pairs of the by-hand cases, beside and off the powers.
    expect(intLog(243, 3)).toBe(5);
    expect(intLog(242, 3)).toBe(4);
    expect(intLog(244, 3)).toBe(5);
    expect(intLog(999, 10)).toBe(2);
    expect(intLog(1, 7)).toBe(0);
    expect(intLog(6, 7)).toBe(0);
  });

  it('intLog is the largest k with b^k <= x, for every x up to 100000 and b in 2..12', () => {
    for (let b = 2; b <= 12; b++) {
      for (let x = 1; x <= 100_000; x++) {
        const k = intLog(x, b);
        const p = b ** k;
        if (!(p <= x && p * b > x)) expect.fail(`intLog(${x}, ${b}) = ${k}`);
      }
    }
  });

  it('bracket0_end_size is exact where the float formula is one too many', () => {
    // JavaScript float: ceil(1 + 4.000000000000001) = 6 for (81, 3); exact 5.
    expect(Math.ceil(1 + Math.log(81) / Math.log(3))).toBe(6);
    expect(bracket0EndSize(81, 3)).toBe(5);
    expect(Math.ceil(1 + Math.log(9) / Math.log(3))).toBe(4);
    expect(bracket0EndSize(9, 3)).toBe(3);
    // Python's math.log(15625, 5) = 6.000000000000001 gives Keras Tuner 8 here; exact 7.
    expect(bracket0EndSize(15625, 5)).toBe(7);
    expect(bracket0EndSize(46656, 6)).toBe(7);
    expect(bracket0EndSize(16807, 7)).toBe(6);
    // Off the powers: L + 2.
    expect(bracket0EndSize(100, 3)).toBe(6);
    expect(bracket0EndSize(80, 3)).toBe(5);
    expect(bracket0EndSize(82, 3)).toBe(6);
  });

  it('a float port of the formulas gets the (81, 3) schedule wrong; intLog gets it right', () => {
    const floatB0 = Math.ceil(1 + Math.log(81) / Math.log(3));
    const floatSizes = [0, 1, 2, 3, 4].map((r) => Math.ceil((floatB0 / 5) * 3 ** (4 - r)));
    expect(floatSizes).toEqual([98, 33, 11, 4, 2]);
    expect(hyperbandSchedule({ maxEpochs: 81, factor: 3 }).brackets[0].rounds.map((r) => r.trials)).toEqual([81, 27, 9, 3, 1]);
    // A floor-based bracket count for (1000, 10) loses a bracket.
    expect(Math.floor(Math.log(1000) / Math.log(10)) + 1).toBe(3);
    expect(hyperbandSchedule({ maxEpochs: 1000, factor: 10 }).brackets).toHaveLength(4);
  });

  it('the trial counts are exact where KT\'s float division rounds above an integer', () => {
    // (20000, 3): 3^9 <= 20000 < 3^10, B0 = 11; bracket 8, round 4: 11 * 81 / 9 = 99 exactly,
    // but 11 / 9 * 81 is 99.00000000000001 in floating point, whose ceil is 100.
    expect(Math.ceil((11 / 9) * 81)).toBe(100);
    const s = hyperbandSchedule({ maxEpochs: 20000, factor: 3 });
    expect(s.brackets[1].bracket).toBe(8);
    expect(s.brackets[1].rounds[4].trials).toBe(99);
    // (10000, 6): 6^5 <= 10000 < 6^6, B0 = 7; bracket 5, round 2: 7 * 216 / 6 = 252 (float: 253).
    expect(Math.ceil((7 / 6) * 216)).toBe(253);
    const t = hyperbandSchedule({ maxEpochs: 10000, factor: 6 });
    expect(t.brackets[0].bracket).toBe(5);
    expect(t.brackets[0].rounds[2].trials).toBe(252);
  });

  it('the (15625, 5) schedule starts from 15625 one-epoch trials (KT in Python: 17858)', () => {
    const s = hyperbandSchedule({ maxEpochs: 15625, factor: 5 });
    expect(s.brackets).toHaveLength(7);
    expect(s.brackets[0].rounds.map((r) => [r.trials, r.toEpoch])).toEqual([
      [15625, 1], [3125, 5], [625, 25], [125, 125], [25, 625], [5, 3125], [1, 15625],
    ]);
    expect(s.brackets[6].rounds).toEqual([{ round: 0, trials: 7, fromEpoch: 0, toEpoch: 15625 }]);
  });

  it('ceilDiv is exact', () => {
    expect(ceilDiv(0, 3)).toBe(0);
    expect(ceilDiv(9, 3)).toBe(3);
    expect(ceilDiv(10, 3)).toBe(4);
    expect(ceilDiv(891, 9)).toBe(99);
    expect(ceilDiv(2 ** 52 + 1, 2)).toBe(2 ** 51 + 1);
  });
});

/**
 * An independent reference in BigInt, from the meaning of each formula rather than from
 * intLog: B0 - 1 is the smallest j with factor^j >= max_epochs (= ceil(log)), a size is
 * the smallest s with s * (b + 1) >= B0 * factor^k, an epoch count the smallest e with
 * e * factor^k >= max_epochs.
 */
function reference(maxEpochs: number, factor: number, minEpochs = 1): Compact[] {
  const max = BigInt(maxEpochs);
  const f = BigInt(factor);
  let j = 0n;
  while (f ** j < max) j++;
  const b0 = j + 1n;
  let brackets = 0n;
  while (BigInt(minEpochs) * f ** brackets <= max) brackets++;
  const ceil = (a: bigint, d: bigint) => (a + d - 1n) / d;
  const out: Compact[] = [];
  for (let b = brackets - 1n; b >= 0n; b--) {
    const rounds: [number, number, number][] = [];
    for (let r = 0n; r <= b; r++) {
      const to = ceil(max, f ** (b - r));
      const from = r === 0n ? 0n : ceil(max, f ** (b - r + 1n));
      rounds.push([Number(ceil(b0 * f ** (b - r), b + 1n)), Number(from), Number(to)]);
    }
    out.push([Number(b), rounds]);
  }
  return out;
}

describe('hyperbandSchedule equals an exact BigInt reference', () => {
  it('for every max epochs up to 2000 and factors 2..12', () => {
    for (let factor = 2; factor <= 12; factor++) {
      for (let maxEpochs = 1; maxEpochs <= 2000; maxEpochs++) {
        const got = compact(hyperbandSchedule({ maxEpochs, factor }));
        const want = reference(maxEpochs, factor);
        if (JSON.stringify(got) !== JSON.stringify(want)) expect(got, `${maxEpochs}, ${factor}`).toEqual(want);
      }
    }
  });

  it('around the powers where floating point fails, and with min epochs', () => {
    const pairs: [number, number][] = [[15625, 5], [46656, 6], [16807, 7], [19683, 3], [20000, 3], [59049, 3], [10000, 6], [1_000_000, 10], [1_000_000, 2]];
    for (const [x, f] of pairs) {
      for (const maxEpochs of [x - 1, x, x + 1].filter((m) => m <= 1_000_000)) {
        expect(compact(hyperbandSchedule({ maxEpochs, factor: f })), `${maxEpochs}, ${f}`).toEqual(reference(maxEpochs, f));
      }
    }
    for (let minEpochs = 1; minEpochs <= 100; minEpochs++) {
      expect(compact(hyperbandSchedule({ maxEpochs: 100, factor: 3, minEpochs }))).toEqual(reference(100, 3, minEpochs));
    }
  });
});

describe('settings are validated with GradtuneErrors that name the flag', () => {
  const bad: [string, HyperbandSettings, RegExp][] = [
    ['factor 1', { maxEpochs: 81, factor: 1 }, /^--factor must be a whole number >= 2, got 1$/],
    ['factor 2.5', { maxEpochs: 81, factor: 2.5 }, /^--factor must be a whole number >= 2, got 2\.5$/],
    ['factor NaN', { maxEpochs: 81, factor: NaN }, /^--factor must be a whole number >= 2, got NaN$/],
    ['max epochs 0', { maxEpochs: 0, factor: 3 }, /^--max-epochs must be a whole number >= 1, got 0$/],
    ['max epochs 1.5', { maxEpochs: 1.5, factor: 3 }, /^--max-epochs must be a whole number >= 1, got 1\.5$/],
    ['max epochs too many', { maxEpochs: 1_000_001, factor: 3 }, /^--max-epochs must be at most 1000000, got 1000001$/],
    ['iterations 0', { maxEpochs: 81, factor: 3, iterations: 0 }, /^--hyperband-iterations must be a whole number >= 1, got 0$/],
    ['iterations 1.5', { maxEpochs: 81, factor: 3, iterations: 1.5 }, /^--hyperband-iterations must be a whole number >= 1, got 1\.5$/],
    ['min epochs 0', { maxEpochs: 81, factor: 3, minEpochs: 0 }, /^minEpochs must be a whole number from 1 to max epochs \(81\), got 0$/],
    ['min epochs above max epochs', { maxEpochs: 81, factor: 3, minEpochs: 82 }, /^minEpochs must be a whole number from 1 to max epochs \(81\), got 82$/],
  ];
  for (const [name, settings, message] of bad) {
    it(name, () => {
      let caught: unknown;
      try {
        hyperbandSchedule(settings);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(GradtuneError);
      expect((caught as Error).message).toMatch(message);
    });
  }

  it('intLog refuses what has no integer logarithm (a bug, not a user mistake)', () => {
    expect(() => intLog(0, 3)).toThrow(RangeError);
    expect(() => intLog(9, 1)).toThrow(RangeError);
    expect(() => intLog(2.5, 2)).toThrow(RangeError);
  });
});
