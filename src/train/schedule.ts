import type { DecayKind } from '../space/types.js';

export interface ScheduleSettings {
  baseRate: number;
  warmupEpochs: number;
  decay: DecayKind;
  /** Exponential decay: multiplier per epoch after warmup. */
  decayRate: number;
  stepsPerEpoch: number;
  totalEpochs: number;
}

/**
 * Learning rate at a 0-based global step: linear warmup from baseRate/warmupSteps up to
 * baseRate (large early updates on fresh weights are a classic cause of divergence),
 * then constant, cosine (to zero at the last step) or exponential decay per epoch.
 */
export function learningRateAt(step: number, s: ScheduleSettings): number {
  const warmupSteps = Math.round(s.warmupEpochs * s.stepsPerEpoch);
  if (step < warmupSteps) return (s.baseRate * (step + 1)) / warmupSteps;
  const afterWarmup = step - warmupSteps;
  const decaySteps = Math.max(1, s.totalEpochs * s.stepsPerEpoch - warmupSteps);
  switch (s.decay) {
    case 'constant':
      return s.baseRate;
    case 'cosine':
      return s.baseRate * 0.5 * (1 + Math.cos((Math.PI * Math.min(afterWarmup, decaySteps)) / decaySteps));
    case 'exponential':
      return s.baseRate * Math.pow(s.decayRate, afterWarmup / s.stepsPerEpoch);
  }
}
