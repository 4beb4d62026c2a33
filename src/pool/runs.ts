// A trial that trains several times (Keras Tuner's executions_per_trial, or k-fold
// cross-validation): which runs, with which seeds, and how their outcomes make the trial's.
import seedrandom from 'seedrandom';
import type { TrainOutcome } from '../train/loop.js';
import type { Objective, TrialRun, TrialSpec } from '../train/types.js';

export interface PlannedRun {
  fold: number | null;
  execution: number;
  seed: number;
}

/** Folds × executions, fold-major. Run (0, 0) has the trial's own seed, so one run is today's trial. */
export function planRuns(spec: TrialSpec): PlannedRun[] {
  const folds = spec.folds ? Array.from({ length: spec.folds.k }, (_, f) => f) : [null];
  const executions = spec.executions ?? 1;
  const runs: PlannedRun[] = [];
  for (const fold of folds) {
    for (let execution = 0; execution < executions; execution++) {
      const first = (fold ?? 0) === 0 && execution === 0;
      runs.push({ fold, execution, seed: first ? spec.seed : seedrandom(`${spec.seed}:run:${fold}:${execution}`).int32() >>> 0 });
    }
  }
  return runs;
}

/** Whether `a` is a better score than `b` under the objective (nulls lose). */
function better(a: number | null, b: number | null, objective: Objective): boolean {
  if (a === null || !Number.isFinite(a)) return false;
  if (b === null || !Number.isFinite(b)) return true;
  return objective.direction === 'max' ? a > b : a < b;
}

export interface Aggregate {
  /** The run whose weights, history and diagnostics stand for the trial: the best scoring one. */
  best: TrainOutcome;
  /** Mean of the runs' scores; null when any run has none (a configuration that diverges in one of its runs does not rank). */
  score: number | null;
  scoreStd: number | null;
  runs: TrialRun[];
}

export function aggregateRuns(outcomes: TrainOutcome[], planned: PlannedRun[], objective: Objective): Aggregate {
  let best = 0;
  outcomes.forEach((o, i) => {
    if (better(o.score, outcomes[best].score, objective)) best = i;
  });
  const scores = outcomes.map((o) => o.score);
  const complete = scores.every((s): s is number => s !== null && Number.isFinite(s));
  const mean = complete ? scores.reduce((a, b) => a + b, 0) / scores.length : null;
  const std = complete && scores.length > 1 ? Math.sqrt(scores.reduce((a, s) => a + (s - mean!) ** 2, 0) / scores.length) : null;
  return {
    best: outcomes[best],
    score: mean,
    scoreStd: std,
    runs: outcomes.map((o, i) => ({
      fold: planned[i].fold,
      execution: planned[i].execution,
      seed: planned[i].seed,
      status: o.stoppedEarly === 'rejected' ? 'rejected' : o.stoppedEarly === 'pruned' ? 'pruned' : 'completed',
      score: o.score,
      bestEpoch: o.bestEpoch,
      epochsRun: o.epochsRun,
    })),
  };
}
