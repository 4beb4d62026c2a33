// How much gradient rejection did in a study: trials rejected per verdict, and the epochs
// they did not train (their planned epochs minus those they ran).
import type { TrialRecord } from '../store/store.js';

export interface RejectionSummary {
  rejected: number;
  vanishing: number;
  exploding: number;
  /** Epochs trained by all finished trials. */
  epochsTrained: number;
  /** Epochs rejected trials had planned but did not train. */
  epochsSaved: number;
}

export function rejectionSummary(trials: readonly TrialRecord[]): RejectionSummary {
  const summary: RejectionSummary = { rejected: 0, vanishing: 0, exploding: 0, epochsTrained: 0, epochsSaved: 0 };
  for (const t of trials) {
    summary.epochsTrained += t.epochsRun;
    if (t.status !== 'rejected') continue;
    summary.rejected++;
    const kind = t.diagnostics?.verdict.kind;
    if (kind === 'vanishing' || kind === 'exploding') summary[kind]++;
    if (t.plannedEpochs !== null) summary.epochsSaved += Math.max(0, t.plannedEpochs - t.epochsRun);
  }
  return summary;
}

/** `rejected 5 trials (3 vanishing, 2 exploding), saving 120 of 310 epochs (39%)`, or undefined when none was. */
export function describeRejection(s: RejectionSummary): string | undefined {
  if (s.rejected === 0) return undefined;
  const planned = s.epochsTrained + s.epochsSaved;
  const share = planned > 0 ? ` (${Math.round((100 * s.epochsSaved) / planned)}%)` : '';
  return `rejected ${s.rejected} trial${s.rejected === 1 ? '' : 's'} (${s.vanishing} vanishing, ${s.exploding} exploding), saving ${s.epochsSaved} of ${planned} epochs${share}`;
}
