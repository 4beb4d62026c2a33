// Orders a study's trials for every report: the leaderboard, `best` and the HTML report
// all rank through here so they can never disagree about which trial won.
import type { StudyRecord, TrialRecord, TrialStatus, TrialSummary } from '../store/store.js';

/** A completed trial whose score is a finite number: the only kind that can be ranked. */
export type ScoredTrial<T extends TrialSummary = TrialRecord> = T & { status: 'completed'; score: number };

/** A trial with its place: ranked trials carry their score, unranked ones a null rank. */
export type RankedTrial<T extends TrialSummary = TrialRecord> = { rank: number; trial: ScoredTrial<T> } | { rank: null; trial: T };

export function isScored<T extends TrialSummary>(trial: T): trial is ScoredTrial<T> {
  // A completed trial can still lack a score (every epoch's objective was NaN); it
  // cannot be compared with the others, so it is listed but not ranked.
  return trial.status === 'completed' && trial.score !== null && Number.isFinite(trial.score);
}

/**
 * Where unranked trials go, after all ranked ones: completed-without-score first (it
 * did finish), then rejected (a finished verdict on the space: the gradients, not the
 * score, ruled these configurations out, and that is the next thing a reader wants),
 * then the ones still going, then pruned (also about the space) before the ones that
 * only say something about the run.
 */
export const UNRANKED_ORDER: Record<TrialStatus, number> = {
  completed: 0,
  rejected: 1,
  running: 2,
  pruned: 3,
  failed: 4,
  stale: 5,
};

export function rankTrials<T extends TrialSummary>(study: StudyRecord, trials: readonly T[]): RankedTrial<T>[] {
  const sign = study.objective.direction === 'max' ? -1 : 1;
  // Equal scores (common on small validation sets: 0.9167 is 55 of 60 rows) are broken by
  // the validation loss at the best epoch, lower first — the model that is surer of its
  // right answers — and only then by the trial number.
  const loss = (t: T) => (t.bestValLoss === null || t.bestValLoss === undefined ? Infinity : t.bestValLoss);
  const scored = trials
    .filter((t): t is ScoredTrial<T> => isScored(t))
    .sort((a, b) => sign * (a.score - b.score) || loss(a) - loss(b) || a.number - b.number);
  const unranked = trials
    .filter((t) => !isScored(t))
    .sort((a, b) => UNRANKED_ORDER[a.status] - UNRANKED_ORDER[b.status] || a.number - b.number);
  // Ranks are positions (1, 2, 3...) even on equal scores: the tie is already broken by
  // trial number, and a unique rank is easier to refer to ("take rank 2").
  return [
    ...scored.map((trial, i): RankedTrial<T> => ({ rank: i + 1, trial })),
    ...unranked.map((trial): RankedTrial<T> => ({ rank: null, trial })),
  ];
}

/** The top completed trial, or undefined when no trial has finished with a score. */
export function bestTrial<T extends TrialSummary>(study: StudyRecord, trials: readonly T[]): ScoredTrial<T> | undefined {
  const top = rankTrials(study, trials)[0];
  return top && top.rank !== null ? top.trial : undefined;
}
