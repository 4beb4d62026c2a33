// How much gradient rejection did in a study: trials rejected per verdict, and the epochs
// they did not train (their planned epochs minus those they ran). The leaderboard summary,
// its JSON and `gradtune search` all describe rejection through here, so they agree.
import type { TrialRecord } from '../store/store.js';

export interface RejectionSummary {
  rejected: number;
  vanishing: number;
  exploding: number;
  /** Epochs trained by all trials (running ones so far). */
  epochsTrained: number;
  /** Epochs rejected (and stopped) trials had planned but did not train. */
  epochsSaved: number;
  /** Trials the monitor stopped after they had learned: completed, their best epochs kept. */
  stopped: number;
}

export function rejectionSummary(trials: readonly TrialRecord[]): RejectionSummary {
  const summary: RejectionSummary = { rejected: 0, vanishing: 0, exploding: 0, epochsTrained: 0, epochsSaved: 0, stopped: 0 };
  for (const t of trials) {
    summary.epochsTrained += t.epochsRun;
    if (t.status === 'completed' && t.diagnostics?.stoppedBy) {
      summary.stopped++;
      if (t.plannedEpochs !== null) summary.epochsSaved += Math.max(0, t.plannedEpochs - t.epochsRun);
    }
    if (t.status !== 'rejected') continue;
    summary.rejected++;
    const kind = t.diagnostics?.verdict.kind;
    if (kind === 'vanishing' || kind === 'exploding') summary[kind]++;
    if (t.plannedEpochs !== null) summary.epochsSaved += Math.max(0, t.plannedEpochs - t.epochsRun);
  }
  return summary;
}

/**
 * The verdicts behind the rejections, `(3 vanishing, 1 exploding)`; only the kinds that
 * occurred, and empty when no rejected trial recorded a verdict (nothing to say then).
 */
export function describeRejectedKinds(s: RejectionSummary): string {
  const kinds = (['vanishing', 'exploding'] as const).filter((k) => s[k] > 0).map((k) => `${s[k]} ${k}`);
  return kinds.length > 0 ? ` (${kinds.join(', ')})` : '';
}

/** `95 of 240 epochs (40%)`: the epochs not trained, out of those the study would have trained without rejection. */
export function describeSavedEpochs(s: RejectionSummary): string {
  const planned = s.epochsTrained + s.epochsSaved;
  const share = planned > 0 ? ` (${Math.round((100 * s.epochsSaved) / planned)}%)` : '';
  return `${s.epochsSaved} of ${planned} epochs${share}`;
}

/**
 * `rejected 4 trials (3 vanishing, 1 exploding), saving 95 of 240 epochs (40%)`, with
 * `and stopped 1 after it had learned (best epoch kept)` when the monitor stopped some
 * trials that had; undefined when it did neither.
 */
export function describeRejection(s: RejectionSummary): string | undefined {
  if (s.rejected === 0 && s.stopped === 0) return undefined;
  const rejected = `rejected ${s.rejected} trial${s.rejected === 1 ? '' : 's'}${describeRejectedKinds(s)}`;
  const stopped = s.stopped > 0 ? ` and stopped ${s.stopped} after ${s.stopped === 1 ? 'it' : 'they'} had learned (best epoch${s.stopped === 1 ? '' : 's'} kept)` : '';
  return `${rejected}${stopped}, saving ${describeSavedEpochs(s)}`;
}
