// Defaults of the gradient monitor, with why each is what it is, and their validation.
import { GradtuneError } from '../errors.js';
import { FINDING_KINDS, type DiagnosticsSettings } from './diagnostics-types.js';

export const DEFAULT_DIAGNOSTICS: Readonly<DiagnosticsSettings> = {
  // Statistics cost a few reductions per variable; every 10 steps keeps them under ~5% of
  // training (bench/diagnostics.ts) and still gives several checks per epoch.
  diagEvery: 10,
  // 40 steps = 4 checks: enough for `sustain` (3) consecutive readings, and a small
  // fraction of a trial's budget (an epoch of digits at batch 32 is 45 steps).
  preflightSteps: 40,
  reject: true,
  // A healthy first layer's gradient norm on a cross-entropy loss is around 1e-3..1; a
  // deep sigmoid stack with small weights is 1e-9 and below. 1e-7 sits well between.
  vanishingFloor: 1e-7,
  // First layer vs output layer: a deep ReLU/He network stays within ~1e-2 of its output
  // layer; each saturated sigmoid layer multiplies by at most 0.25, so 1e-5 means the
  // signal has been lost across the stack.
  vanishingRatio: 1e-5,
  // lr × |g| / |w| is ~1e-3 in healthy training (Karpathy's rule of thumb); 1e-9 means the
  // first layer's weights are frozen for any practical number of steps.
  updateRatioFloor: 1e-9,
  // A kernel gradient norm of 1e4 on standardised inputs means weights or activations
  // have blown up; updates that large throw the weights away. Regression on unscaled,
  // very large targets can need a higher ceiling.
  explodingCeiling: 1e4,
  // Doubling at every check for `sustain` checks (x8 in 30 steps) is divergence, not noise.
  growthFactor: 2,
  sustain: 3,
  // Under SGD a step is the gradient times the learning rate: a validation loss that climbs
  // above the chance loss (a model worse than knowing nothing) and half as high again as
  // its best, two epochs running, is a model being thrown away. (Adaptive optimizers are
  // left out: their steps stay bounded, and in bench/diagnostics-accuracy.ts good Adam and
  // RMSprop trials bounced far higher and recovered.)
  divergenceFactor: 1.5,
  divergenceEpochs: 2,
  // Three times the chance loss (6.9 on digits), two epochs running: a model far worse
  // than knowing nothing, confidently wrong (momentum SGD at a learning rate of 6.7 sat at
  // 19-32). Plain and momentum SGD only, like loss-divergence: in
  // bench/diagnostics-accuracy.ts good Adam and RMSprop trials passed through validation
  // losses of 1e9 and recovered.
  aboveChance: 3,
  // A loss still within 10% of the chance loss for 5 epochs, with the first layer's
  // gradient two orders of magnitude below the output layer's: the flat loss and faint
  // early gradients of the guide's vanishing case. It catches deep sigmoid stacks with
  // small weights that adaptive optimizers keep just above the other rules' floors.
  // Five epochs, not fewer: Adam and RMSprop pull some deep sigmoid stacks out of a flat
  // start, their first layer's gradient growing each epoch; by the fifth it has doubled.
  plateauEpochs: 5,
  plateauLoss: 0.9,
  plateauRatio: 1e-2,
  // Half the chance loss: a digits model at a loss of 1.15 or below is right far more
  // often than chance. Gradients that vanish or blow up after that (a network that
  // learned, then died at a too-high learning rate) do not erase what it learned.
  learnedLoss: 0.5,
  // Findings beyond the gradients (src/train/findings.ts). Calibrated on the trials of
  // bench/diagnostics-accuracy.ts; the README gives the rates they fire at there.
  // Half the way from the chance loss (ln of the number of classes) to zero: a digits
  // trial still above 1.15 at the end of its budget, its loss still falling.
  slowProgress: 0.5,
  // 20% above the minimum, 3 epochs after it: more than the epoch-to-epoch noise of a
  // validation loss on a few hundred examples, and a trend rather than one bad epoch.
  overfitRise: 0.2,
  overfitEpochs: 3,
  // He-initialised ReLU layers on standardised inputs keep nearly all units alive; half a
  // layer silent on 256 examples means a learning rate or initialisation killed them.
  deadUnits: 0.5,
  // Half of a layer's activations within 2% of their bounds: its gradient is mostly gone.
  saturation: 0.5,
  rejectOn: [],
};

const POSITIVE_NUMBERS = ['vanishingFloor', 'vanishingRatio', 'updateRatioFloor', 'explodingCeiling', 'overfitRise', 'plateauRatio'] as const;
/** Settings that are fractions in (0, 1]. */
const FRACTIONS = ['slowProgress', 'deadUnits', 'saturation', 'learnedLoss', 'plateauLoss'] as const;

/** Flag names, for messages a CLI user can act on. */
export const DIAGNOSTICS_FLAGS: Record<keyof DiagnosticsSettings, string> = {
  diagEvery: '--diag-every',
  preflightSteps: '--preflight-steps',
  reject: '--no-reject',
  vanishingFloor: '--vanishing-floor',
  vanishingRatio: '--vanishing-ratio',
  updateRatioFloor: '--update-ratio-floor',
  explodingCeiling: '--exploding-ceiling',
  growthFactor: '--growth-factor',
  divergenceFactor: '--divergence-factor',
  divergenceEpochs: '--divergence-epochs',
  learnedLoss: '--learned-loss',
  aboveChance: '--above-chance',
  plateauEpochs: '--plateau-epochs',
  plateauLoss: '--plateau-loss',
  plateauRatio: '--plateau-ratio',
  sustain: '--sustain-checks',
  keepReadings: 'keepReadings (API only)',
  slowProgress: '--slow-progress',
  overfitRise: '--overfit-rise',
  overfitEpochs: '--overfit-epochs',
  deadUnits: '--dead-units',
  saturation: '--saturation',
  rejectOn: '--reject-on',
};

/** Defaults, then each layer of overrides in turn (the space's, then the run's); validated. */
export function resolveDiagnostics(...overrides: (Partial<DiagnosticsSettings> | undefined)[]): DiagnosticsSettings {
  const merged: DiagnosticsSettings = { ...DEFAULT_DIAGNOSTICS };
  for (const o of overrides) {
    if (!o) continue;
    for (const [key, value] of Object.entries(o)) {
      if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
    }
  }
  validateDiagnostics(merged);
  return merged;
}

export function validateDiagnostics(s: DiagnosticsSettings): void {
  const bad = (key: keyof DiagnosticsSettings, why: string) =>
    new GradtuneError(`${DIAGNOSTICS_FLAGS[key]} (${key}) ${why}, got ${String(s[key])}`);
  if (!Number.isInteger(s.diagEvery) || s.diagEvery < 1) throw bad('diagEvery', 'must be a whole number >= 1');
  if (!Number.isInteger(s.preflightSteps) || s.preflightSteps < 0) throw bad('preflightSteps', 'must be a whole number >= 0 (0 turns preflight off)');
  if (typeof s.reject !== 'boolean') throw bad('reject', 'must be true or false');
  if (s.keepReadings !== undefined && typeof s.keepReadings !== 'boolean') throw bad('keepReadings', 'must be true or false');
  for (const key of POSITIVE_NUMBERS) {
    if (typeof s[key] !== 'number' || !Number.isFinite(s[key]) || s[key] <= 0) throw bad(key, 'must be a positive finite number');
  }
  for (const key of FRACTIONS) {
    if (typeof s[key] !== 'number' || !(s[key] > 0 && s[key] <= 1)) throw bad(key, 'must be a fraction in (0, 1]');
  }
  if (!Number.isInteger(s.overfitEpochs) || s.overfitEpochs < 1) throw bad('overfitEpochs', 'must be a whole number >= 1');
  if (!Array.isArray(s.rejectOn) || s.rejectOn.some((k) => !FINDING_KINDS.includes(k))) {
    throw new GradtuneError(`--reject-on (rejectOn) takes findings from ${FINDING_KINDS.join(', ')}, separated by commas, got ${JSON.stringify(s.rejectOn)}`);
  }
  if (s.vanishingRatio >= 1) throw bad('vanishingRatio', 'must be below 1 (a fraction of the output layer\'s gradient norm)');
  if (!Number.isFinite(s.growthFactor) || s.growthFactor <= 1) throw bad('growthFactor', 'must be a finite number above 1');
  if (!Number.isInteger(s.sustain) || s.sustain < 1) throw bad('sustain', 'must be a whole number >= 1');
  if (!Number.isFinite(s.divergenceFactor) || s.divergenceFactor <= 1) throw bad('divergenceFactor', 'must be a finite number above 1');
  if (!Number.isInteger(s.divergenceEpochs) || s.divergenceEpochs < 1) throw bad('divergenceEpochs', 'must be a whole number >= 1');
  if (!Number.isFinite(s.aboveChance) || s.aboveChance <= 1) throw bad('aboveChance', 'must be a finite number above 1');
  if (!Number.isInteger(s.plateauEpochs) || s.plateauEpochs < 1) throw bad('plateauEpochs', 'must be a whole number >= 1');
  if (s.plateauRatio >= 1) throw bad('plateauRatio', "must be below 1 (a fraction of the output layer's gradient norm)");
  if (s.vanishingFloor >= s.explodingCeiling) {
    throw new GradtuneError(
      `--vanishing-floor (${s.vanishingFloor}) must be below --exploding-ceiling (${s.explodingCeiling}): a gradient cannot be both too small and too large`,
    );
  }
}
