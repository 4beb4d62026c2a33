// The growth rule as it was before issue 14, kept here only to measure it beside its
// replacement: the global norm multiplied by growthFactor at each of `sustain` checks in a
// row, each against the previous check, with a batch loss above the one before the run.
import type { CheckReading } from '../src/train/diagnostics.js';
import type { DiagnosticsSettings, Verdict } from '../src/train/diagnostics-types.js';
import type { CollectedTrial } from './diagnostics-accuracy-collect.js';

export function legacyGrowthFires(t: CollectedTrial, readings: CheckReading[], stepsPerEpoch: number, s: DiagnosticsSettings): { verdict: Verdict; epochsRun: number } | undefined {
  let previousGlobal: number | undefined;
  let previousLoss = Infinity;
  let run = 0;
  let since = 0;
  let lossSince = 0;
  const first = t.history[0]?.epoch ?? readings[0]?.epoch ?? 1;
  const totalSteps = stepsPerEpoch * Math.max(1, t.plannedEpochs ?? t.epochsRun);
  for (const r of readings) {
    if (previousGlobal !== undefined && previousGlobal > 0 && r.globalGrad >= s.growthFactor * previousGlobal) {
      if (run === 0) {
        since = previousGlobal;
        lossSince = previousLoss;
      }
      run++;
    } else {
      run = 0;
    }
    previousGlobal = r.globalGrad;
    previousLoss = r.loss;
    if (run >= s.sustain && r.loss > lossSince) {
      const verdict: Verdict = {
        kind: 'exploding',
        evidence: { rule: 'gradient-growth', statistic: 'global gradient growth', layer: null, value: r.globalGrad / since, threshold: Math.pow(s.growthFactor, s.sustain), epoch: r.epoch, step: r.step, preflight: r.preflight },
      };
      const epochsRun = r.preflight ? Math.floor(Math.min(s.preflightSteps, totalSteps) / stepsPerEpoch) : r.epoch - first + 1;
      return { verdict, epochsRun };
    }
  }
  return undefined;
}
