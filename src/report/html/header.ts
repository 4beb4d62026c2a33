// The facts at the top of the HTML report: what the study is and what it cost. Plain
// strings (escaped by render-html.ts), each computed from the store; nothing estimated.
import type { StudyRecord, TrialRecord, TrialStatus } from '../../store/store.js';
import type { DiagnosticsSettings } from '../../train/diagnostics-types.js';
import { formatReading } from '../../train/diagnostics.js';
import { describeSearch, formatScore } from '../columns.js';
import { bestTrial } from '../rank.js';
import { describeSavedEpochs, rejectionSummary } from '../rejection.js';
import { describeFindingSettings, studyFindingLines } from '../findings.js';
import type { DatasetDescription } from './dataset.js';

export interface HeaderRow {
  label: string;
  value: string;
  /** A caveat shown beside the value, e.g. why the dataset's size is missing. */
  note?: string;
}

export interface HeaderFacts {
  rows: HeaderRow[];
  /** Trials per status, statuses with none left out, in leaderboard order. */
  counts: Array<{ status: TrialStatus; count: number }>;
  total: number;
}

/** The order the leaderboard lists statuses in (rank.ts), so the header reads like it. */
export const STATUS_ORDER: TrialStatus[] = ['completed', 'rejected', 'running', 'pruned', 'failed', 'stale'];

/** `1 h 2 min`, `3 min 12 s`, `4.2 s`: precise enough to compare runs, short enough to read. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const totalSeconds = Math.round(s);
  const h = Math.floor(totalSeconds / 3600);
  const min = Math.floor((totalSeconds % 3600) / 60);
  const sec = totalSeconds % 60;
  return h > 0 ? `${h} h ${min} min` : `${min} min ${sec} s`;
}

function isDiagnosticsSettings(value: unknown): value is DiagnosticsSettings {
  return typeof value === 'object' && value !== null && typeof (value as DiagnosticsSettings).vanishingFloor === 'number';
}

/** A settings value as the user would have typed it; "Infinity" is how the store keeps "no cap". */
function settingValue(value: unknown): string {
  if (value === 'Infinity' || value === Infinity) return 'no cap';
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([k, v]) => `${k} ${settingValue(v)}`)
      .join(', ');
  }
  return String(value);
}

/** `hyperband: factor 3, iterations 1; max epochs 27; max trials no cap`. */
function algorithmText(study: StudyRecord): string {
  const parts = Object.entries(study.settings)
    .filter(([key]) => key !== 'diagnostics' && key !== 'sampler')
    .map(([key, value]) => (typeof value === 'object' && value !== null ? `${key}: ${settingValue(value)}` : `${key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)} ${settingValue(value)}`));
  return [describeSearch(study), `max epochs ${study.maxEpochs}`, ...parts].join('; ');
}

function monitorText(s: DiagnosticsSettings): string {
  const n = formatReading;
  const preflight = s.preflightSteps > 0 ? `preflight ${s.preflightSteps} steps` : 'no preflight';
  return (
    `checks every ${s.diagEvery} steps, ${preflight}, ${s.reject ? 'rejecting' : 'not rejecting (--no-reject)'}; ` +
    `vanishing floor ${n(s.vanishingFloor)}, ratio ${n(s.vanishingRatio)}, update-ratio floor ${n(s.updateRatioFloor)}; ` +
    `exploding ceiling ${n(s.explodingCeiling)}, growth ×${n(s.growthFactor)}; ${s.sustain} checks in a row` +
    // Studies created before the findings had none of their settings.
    (s.slowProgress === undefined ? '' : `; findings: ${describeFindingSettings(s)}`)
  );
}

/** Trials per backend, `wasm (20 trials)`; several when a study was continued elsewhere. */
function backendText(trials: readonly TrialRecord[]): string {
  const counts = new Map<string, number>();
  for (const t of trials) if (t.backend !== null) counts.set(t.backend, (counts.get(t.backend) ?? 0) + 1);
  if (counts.size === 0) return 'none recorded (no trial has finished)';
  return [...counts].map(([b, n]) => `${b} (${n} trial${n === 1 ? '' : 's'})`).join(', ');
}

/**
 * From the first trial's start to the last finished trial's end: the time the study took,
 * pauses between runs of a continued study included; and the trials' own durations summed
 * (with several workers, more than the wall time).
 */
function wallTimeText(trials: readonly TrialRecord[]): string {
  const finished = trials.filter((t) => t.finishedAt !== null);
  if (finished.length === 0) return 'no trial has finished';
  const start = Math.min(...trials.map((t) => Date.parse(t.startedAt)));
  const end = Math.max(...finished.map((t) => Date.parse(t.finishedAt!)));
  const summed = trials.reduce((a, t) => a + (t.durationMs ?? 0), 0);
  return `${formatDuration(end - start)} from the first trial's start to the last trial's end; trials took ${formatDuration(summed)} in all`;
}

/** The header's `best` row: `trial 12: val_accuracy 0.9667`. */
export function bestText(study: StudyRecord, best: { number: number; score: number } | null): string {
  return best ? `trial ${best.number}: ${study.objective.metric} ${formatScore(best.score)}` : 'no completed trials yet';
}

export function headerFacts(study: StudyRecord, trials: readonly TrialRecord[], dataset: DatasetDescription): HeaderFacts {
  const { metric, direction } = study.objective;
  const rejection = rejectionSummary(trials);
  const best = bestTrial(study, trials);
  const monitor = study.settings.diagnostics;
  const rows: HeaderRow[] = [
    { label: 'space', value: study.space },
    { label: 'dataset', value: dataset.text, ...(dataset.note ? { note: dataset.note } : {}) },
    { label: 'objective', value: `${metric}, ${direction === 'max' ? 'higher' : 'lower'} is better (${direction})` },
    { label: 'best', value: bestText(study, best ?? null) },
    { label: 'algorithm', value: algorithmText(study) },
    ...(isDiagnosticsSettings(monitor) ? [{ label: 'gradient monitor', value: monitorText(monitor) }] : []),
    { label: 'seed', value: String(study.seed) },
    { label: 'backend', value: backendText(trials) },
    {
      label: 'epochs',
      value:
        `${rejection.epochsTrained} trained` +
        (rejection.rejected > 0 ? `; rejection saved ${describeSavedEpochs(rejection)}` : '; no trial was rejected'),
    },
    // Study-wide: how many trials had each problem, what they had in common, the first remedy.
    ...studyFindingLines(trials).map((line) => ({ label: 'findings', value: line })),
    { label: 'wall time', value: wallTimeText(trials) },
    { label: 'created', value: study.createdAt },
  ];
  const counts = STATUS_ORDER.map((status) => ({ status, count: trials.filter((t) => t.status === status).length })).filter((c) => c.count > 0);
  return { rows, counts, total: trials.length };
}
