// Which trials an export writes (the best, one by number, or the top k), refusing with
// one clear line every trial that has no model to export.
import { GradtuneError } from '../errors.js';
import { rankTrials } from '../report/rank.js';
import { describeVerdict } from '../train/diagnostics.js';
import type { StudyRecord, TrialRecord, TrialStatus } from '../store/store.js';

export type Selection = { kind: 'best' } | { kind: 'trial'; number: number } | { kind: 'top'; count: number };

/** A trial with a model to export: completed, or pruned (its best epoch's weights are kept), with a finite score. */
export type ExportableTrial = TrialRecord & { status: 'completed' | 'pruned'; score: number };

/** Why a trial that is not completed has no model, in a few words. */
const NOT_COMPLETED: Record<Exclude<TrialStatus, 'completed' | 'pruned'>, string> = {
  running: 'is still running',
  rejected: 'was rejected by the gradient monitor',
  failed: 'failed',
  stale: 'lost its worker (stale)',
};

/**
 * The trials to export, best first. `hasCheckpoint` tells whether the store still holds a
 * trial's weights (--keep-checkpoints may have dropped them).
 */
export function selectTrials(study: StudyRecord, trials: readonly TrialRecord[], selection: Selection, hasCheckpoint: (n: number) => boolean): ExportableTrial[] {
  const ranked = rankTrials(study, trials).flatMap((r) => (r.rank === null ? [] : [r.trial]));
  let chosen: ExportableTrial[];
  if (selection.kind === 'trial') {
    chosen = [exportable(study, trials, selection.number)];
  } else {
    if (ranked.length === 0) {
      const n = trials.length;
      throw new GradtuneError(`study "${study.name}" has no completed trial to export (${n} trial${n === 1 ? '' : 's'}, none completed with a score); run gradtune search first`);
    }
    chosen = ranked.slice(0, selection.kind === 'top' ? selection.count : 1);
  }
  const dropped = chosen.filter((t) => !hasCheckpoint(t.number)).map((t) => t.number);
  if (dropped.length > 0) {
    const which = dropped.length === 1 ? `trial ${dropped[0]} has` : `trials ${dropped.join(', ')} have`;
    const what = dropped.length === 1 ? 'its checkpoint was' : 'their checkpoints were';
    const kept = ranked.filter((t) => hasCheckpoint(t.number)).length;
    throw new GradtuneError(
      `${which} no stored weights in study "${study.name}": ${what} dropped by --keep-checkpoints, which keeps the best trials' only; ` +
        `export one of the ${kept} that kept theirs (gradtune report --study ${study.name} --top ${kept}), and search with a larger --keep-checkpoints to keep more`,
    );
  }
  return chosen;
}

function exportable(study: StudyRecord, trials: readonly TrialRecord[], number: number): ExportableTrial {
  const trial = trials.find((t) => t.number === number);
  if (!trial) {
    const range = trials.length === 0 ? 'it has no trials yet' : `its trials are numbered ${trials[0].number} to ${trials[trials.length - 1].number}`;
    throw new GradtuneError(`study "${study.name}" has no trial ${number} (${range}); see gradtune report --study ${study.name}`);
  }
  // A pruned trial stopped early but kept its best epoch's weights: it exports as it is.
  if (trial.status !== 'completed' && trial.status !== 'pruned') {
    const verdict = trial.status === 'rejected' && trial.diagnostics ? ` (${describeVerdict(trial.diagnostics.verdict)})` : '';
    throw new GradtuneError(
      `trial ${number} of study "${study.name}" did not complete: it ${NOT_COMPLETED[trial.status]}${verdict}, status ${trial.status}; ` +
        `only a completed trial has a model to export: pick one from gradtune report --study ${study.name}`,
    );
  }
  if (trial.score === null || !Number.isFinite(trial.score)) {
    throw new GradtuneError(`trial ${number} of study "${study.name}" ${trial.status === 'pruned' ? 'was pruned' : 'completed'} without a finite score (no epoch's ${study.objective.metric} was a number), so it kept no weights; export another trial`);
  }
  return trial as ExportableTrial;
}
