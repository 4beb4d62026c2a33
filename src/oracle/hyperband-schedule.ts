// The Hyperband schedule exactly as Keras Tuner's HyperbandOracle lays it out
// (keras_tuner/tuners/hyperband.py), in integer arithmetic.
//
// Keras Tuner runs `hyperband_iterations` sweeps; each sweep runs its brackets from the
// most exploratory (bracket `s_max = num_brackets - 1`: many trials, few epochs, the most
// successive-halving rounds) down to bracket 0 (plain random search at `max_epochs`).
// Bracket `b` has `b + 1` rounds; in round `r` (with `k = b - r`):
//
//   _get_num_brackets: count of k >= 0 with max_epochs / factor^k >= min_epochs
//   _get_size(b, r):   ceil(ceil(1 + log(max_epochs, factor)) / (b + 1) * factor^k)
//   _get_epochs(b, r): ceil(max_epochs / factor^k)
//
// Round 0's trials are new configurations; a later round's trials are promotions of the
// best of the previous round, which continue from their parent's checkpoint: a trial of
// round r trains from epoch `_get_epochs(b, r - 1)` (0 in round 0) to `_get_epochs(b, r)`.
//
// Keras Tuner computes these in floating point, and floating-point logarithms of exact
// powers are not exact: in JavaScript Math.log(81) / Math.log(3) is 4.000000000000001,
// so a literal port gives ceil(1 + 4.000000000000001) = 6 instead of 5 for (81, 3) and
// changes every bracket size; Math.log(1000) / Math.log(10) is 2.9999999999999996, so a
// floor-based bracket count gives 3 brackets instead of 4 for (1000, 10). Here every
// logarithm is `intLog` (repeated multiplication) and every division an exact integer
// ceil-division, which yields the values the formulas mean. Where Keras Tuner's own float
// arithmetic (Python, glibc `log`) disagrees with them:
//   - ceil(1 + math.log(max_epochs, factor)) is one too large when the float log of an
//     exact power lands just above the integer: (15625, 5), (46656, 6), (16807, 7) for
//     max_epochs <= 100000 and factors 2..10 (math.log(15625, 5) = 6.000000000000001).
//     Python's math.log(81, 3) happens to be exactly 4.0, so (81, 3) agrees. A log
//     just below the integer (math.log(243, 3) = 4.999999999999999) is harmless here.
//   - ceil(bracket0_end_size / (b + 1) * factor^k) is one too large when the rounded
//     quotient times the power lands just above an exact integer: 11 / 9 * 81 =
//     99.00000000000001 (factor 3, 3^9 < max_epochs < 3^10, bracket 8, round 4, exact 99);
//     7 / 6 * 216 = 252.00000000000003 (factor 6, 6^5 < max_epochs < 6^6, bracket 5,
//     round 2). No such case for max_epochs <= 5000 and factors 2..20.
//   - ceil(max_epochs / factor^k) and the repeated division of _get_num_brackets are
//     exact in floating point (a quotient of integers below 2^53 never rounds across an
//     integer; when max_epochs = min_epochs * factor^k every intermediate is an integer).
import { GradtuneError } from '../errors.js';

export interface HyperbandSettings {
  /** Epochs of a trial that runs to the end (Keras Tuner's `max_epochs`). */
  maxEpochs: number;
  /** Reduction factor of trials and growth factor of epochs per round (`factor`), an integer >= 2. */
  factor: number;
  /** Full sweeps over the brackets (`hyperband_iterations`). Default 1. */
  iterations?: number;
  /** Epochs of the shortest round that a bracket may have (`min_epochs`, fixed to 1 in Keras Tuner). Default 1. */
  minEpochs?: number;
}

export interface ScheduledRound {
  /** 0 for the new configurations, then one per successive-halving step. */
  round: number;
  /** Trials of this round: new configurations in round 0, promotions after it. */
  trials: number;
  /** Epoch each trial starts from: 0 in round 0, the previous round's `toEpoch` after it. */
  fromEpoch: number;
  /** Epoch each trial trains to. Each trial trains `toEpoch - fromEpoch` epochs. */
  toEpoch: number;
}

export interface ScheduledBracket {
  /** Sweep over the brackets, from 0 (`hyperband_iterations` sweeps in all). */
  iteration: number;
  /** Keras Tuner's bracket number: `b` has `b + 1` rounds; 0 is random search at max epochs. */
  bracket: number;
  rounds: ScheduledRound[];
}

export interface HyperbandSchedule {
  /** In the order they run: per iteration, the most exploratory bracket first. */
  brackets: ScheduledBracket[];
  /** Every trial, promotions included (each round's trials). */
  totalTrials: number;
  /** Sum over rounds of trials × (toEpoch - fromEpoch). */
  totalEpochs: number;
}

export const HYPERBAND_DEFAULTS = { maxEpochs: 27, factor: 3, iterations: 1, minEpochs: 1 } as const;

/**
 * Upper bounds that keep every product of the schedule an exact double (and its
 * table printable); an epoch count or a sweep count beyond them is surely a typo.
 */
export const HYPERBAND_LIMITS = { maxEpochs: 1_000_000, iterations: 1_000 } as const;

/** The largest k with base^k <= x, by repeated multiplication (x >= 1 and base >= 2, integers). */
export function intLog(x: number, base: number): number {
  if (!Number.isSafeInteger(x) || x < 1) throw new RangeError(`intLog: x must be a safe integer >= 1, got ${x}`);
  if (!Number.isSafeInteger(base) || base < 2) throw new RangeError(`intLog: base must be a safe integer >= 2, got ${base}`);
  let k = 0;
  // p = base^(k+1); exact while p <= x; the first p above x ends the loop even if rounded.
  for (let p = base; p <= x; p *= base) k++;
  return k;
}

/** ceil(a / b) for integers a >= 0, b >= 1, without a floating-point quotient. */
export function ceilDiv(a: number, b: number): number {
  const r = a % b;
  return (a - r) / b + (r === 0 ? 0 : 1);
}

function power(base: number, k: number): number {
  let p = 1;
  for (let i = 0; i < k; i++) p *= base;
  return p;
}

/** The settings with their defaults, or a GradtuneError naming the flag to fix. */
export function resolveHyperbandSettings(s: HyperbandSettings): Required<HyperbandSettings> {
  const { maxEpochs, factor } = s;
  const iterations = s.iterations ?? HYPERBAND_DEFAULTS.iterations;
  const minEpochs = s.minEpochs ?? HYPERBAND_DEFAULTS.minEpochs;
  if (!Number.isInteger(maxEpochs) || maxEpochs < 1) throw new GradtuneError(`--max-epochs must be a whole number >= 1, got ${maxEpochs}`);
  if (maxEpochs > HYPERBAND_LIMITS.maxEpochs) throw new GradtuneError(`--max-epochs must be at most ${HYPERBAND_LIMITS.maxEpochs}, got ${maxEpochs}`);
  // Keras Tuner refuses a factor below 2; a fractional one would make its epoch counts
  // and trial counts non-integers, so gradtune refuses it too.
  if (!Number.isSafeInteger(factor) || factor < 2) throw new GradtuneError(`--factor must be a whole number >= 2, got ${factor}`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new GradtuneError(`--hyperband-iterations must be a whole number >= 1, got ${iterations}`);
  if (iterations > HYPERBAND_LIMITS.iterations) throw new GradtuneError(`--hyperband-iterations must be at most ${HYPERBAND_LIMITS.iterations}, got ${iterations}`);
  if (!Number.isInteger(minEpochs) || minEpochs < 1 || minEpochs > maxEpochs) {
    throw new GradtuneError(`minEpochs must be a whole number from 1 to max epochs (${maxEpochs}), got ${minEpochs}`);
  }
  return { maxEpochs, factor, iterations, minEpochs };
}

/**
 * Keras Tuner's `_get_num_brackets`: how many k >= 0 satisfy maxEpochs / factor^k >= minEpochs,
 * i.e. factor^k <= floor(maxEpochs / minEpochs).
 */
export function numBrackets(s: Required<HyperbandSettings>): number {
  return intLog(Math.floor(s.maxEpochs / s.minEpochs), s.factor) + 1;
}

/**
 * `ceil(1 + log(maxEpochs, factor))`, the size of bracket 0 (Keras Tuner's
 * `bracket0_end_size`): L + 1 when maxEpochs = factor^L exactly, else L + 2, with
 * L = intLog(maxEpochs, factor).
 */
export function bracket0EndSize(maxEpochs: number, factor: number): number {
  const l = intLog(maxEpochs, factor);
  return power(factor, l) === maxEpochs ? l + 1 : l + 2;
}

/** Keras Tuner's `_get_size(bracket, round)`: the trials of a round. */
export function roundTrials(s: Required<HyperbandSettings>, bracket: number, round: number): number {
  // KT: ceil(end / (bracket + 1) * factor^k) in floats; the exact value is this ceil-division.
  return ceilDiv(bracket0EndSize(s.maxEpochs, s.factor) * power(s.factor, bracket - round), bracket + 1);
}

/** Keras Tuner's `_get_epochs(bracket, round)`: the epoch a round's trials train to. */
export function roundEpochs(s: Required<HyperbandSettings>, bracket: number, round: number): number {
  return ceilDiv(s.maxEpochs, power(s.factor, bracket - round));
}

/** The whole schedule, in the order Keras Tuner runs it, with its totals. */
export function hyperbandSchedule(settings: HyperbandSettings): HyperbandSchedule {
  const s = resolveHyperbandSettings(settings);
  const sweep: Omit<ScheduledBracket, 'iteration'>[] = [];
  for (let bracket = numBrackets(s) - 1; bracket >= 0; bracket--) {
    const rounds: ScheduledRound[] = [];
    for (let round = 0; round <= bracket; round++) {
      rounds.push({
        round,
        trials: roundTrials(s, bracket, round),
        fromEpoch: round === 0 ? 0 : roundEpochs(s, bracket, round - 1),
        toEpoch: roundEpochs(s, bracket, round),
      });
    }
    sweep.push({ bracket, rounds });
  }
  const brackets: ScheduledBracket[] = [];
  for (let iteration = 0; iteration < s.iterations; iteration++) {
    for (const b of sweep) brackets.push({ iteration, bracket: b.bracket, rounds: b.rounds.map((r) => ({ ...r })) });
  }
  let totalTrials = 0;
  let totalEpochs = 0;
  for (const b of brackets) {
    for (const r of b.rounds) {
      totalTrials += r.trials;
      totalEpochs += r.trials * (r.toEpoch - r.fromEpoch);
    }
  }
  return { brackets, totalTrials, totalEpochs };
}
