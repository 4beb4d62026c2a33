// Findings and remedies in words, for `report --trial`, `best`, the HTML report's trial
// card and the end of a search: the same phrasing everywhere.
import type { TrialRecord } from '../store/store.js';
import type { DiagnosticsSettings, Finding, TrialDiagnostics } from '../train/diagnostics-types.js';
import { formatReading } from '../train/diagnostics.js';
import { describeRemedy } from '../remedy/describe.js';
import { ADVICE } from '../remedy/cures.js';
import { describeFindingSummary, summariseFindings } from '../diagnose/summary.js';

/** The findings of a trial: recorded ones, or for older trials the verdict alone. */
export function trialFindings(d: TrialDiagnostics | null): Finding[] {
  return d?.findings ?? [];
}

/** `rejected it`, `would reject it (rejection off)`, or nothing. */
function rejectNote(f: Finding, d: TrialDiagnostics, trial: TrialRecord): string {
  if (trial.status === 'rejected' && (d.rejectedBy ?? d.verdict.kind) === f.kind) return ' (rejected the trial)';
  if (d.stoppedBy === f.kind) return ' (stopped the trial after it had learned; its best epoch is kept)';
  if (f.rejects && !d.settings.reject) return ' (would reject: rejection off)';
  return '';
}

/** The findings' thresholds and what rejects, in one line (report --trial, the HTML report's header). */
export function describeFindingSettings(s: DiagnosticsSettings): string {
  const pct = (x: number) => `${Math.round(100 * x)}%`;
  const also = s.rejectOn.length > 0 ? `; also rejecting on ${s.rejectOn.join(', ')}` : '';
  return (
    `slow-training below ${pct(s.slowProgress)} of the way to 0, overfitting at val_loss +${pct(s.overfitRise)} for ${s.overfitEpochs} epochs, ` +
    `dead-units at ${pct(s.deadUnits)} of a layer, saturation at ${pct(s.saturation)}${also}`
  );
}

/** `overfitRise 0.2, overfitEpochs 3` */
export function describeThresholds(f: Finding): string {
  return Object.entries(f.thresholds)
    .map(([name, value]) => `${name} ${formatReading(value)}`)
    .join(', ');
}

/** `epochs 5-12, layers dense_2, dense_3` */
function where(f: Finding): string {
  const epochs = f.epochs.from === f.epochs.to ? `epoch ${f.epochs.from}` : `epochs ${f.epochs.from}-${f.epochs.to}`;
  return f.layers.length > 0 ? `${epochs}, ${f.layers.join(', ')}` : epochs;
}

/**
 * Name/value lines: per finding its summary, where and by what thresholds, then its
 * remedies numbered in the order --repair tries them.
 */
export function findingPairs(trial: TrialRecord): Array<readonly [string, string]> {
  const d = trial.diagnostics;
  if (!d) return [];
  const pairs: Array<readonly [string, string]> = [];
  for (const f of trialFindings(d)) {
    pairs.push([`${f.kind}${rejectNote(f, d, trial)}`, f.summary]);
    const thresholds = describeThresholds(f);
    pairs.push(['  evidence', `${where(f)}${thresholds ? `; thresholds: ${thresholds}` : ''}`]);
    const remedies = f.remedies ?? [];
    remedies.forEach((r, i) => pairs.push([`  remedy ${i + 1}`, describeRemedy(r)]));
    if (f.remedies && remedies.length === 0) pairs.push(['  remedies', 'none this space can express']);
    const advice = ADVICE[f.kind];
    if (advice) pairs.push(['  also', advice]);
  }
  return pairs;
}

/** The lines a search prints at its end and the leaderboard under its summary: one per finding kind. */
export function studyFindingLines(trials: readonly TrialRecord[]): string[] {
  return summariseFindings(trials).map(describeFindingSummary);
}

/** `trial 3 (activation: sigmoid → relu)`: what a repair changed from the trial it repairs. */
export function describeRepair(trial: TrialRecord, trials: readonly TrialRecord[]): string | undefined {
  if (trial.repairOf === null) return undefined;
  const original = trials.find((t) => t.number === trial.repairOf);
  if (!original) return `trial ${trial.repairOf}`;
  const names = [...new Set([...Object.keys(original.params), ...Object.keys(trial.params)])];
  const changed = names
    .filter((n) => original.params[n] !== trial.params[n])
    .map((n) => `${n}: ${original.params[n] === undefined ? '(unset)' : String(original.params[n])} → ${trial.params[n] === undefined ? '(unset)' : String(trial.params[n])}`);
  return `trial ${original.number} (${changed.join(', ')})`;
}
