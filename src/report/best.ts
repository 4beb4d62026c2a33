// `gradtune best`: the winning configuration, for a person to read or a script to reuse.
import { GradtuneError } from '../errors.js';
import type { StudyRecord, TrialRecord } from '../store/store.js';
import { formatScore } from './columns.js';
import { bestTrial, type ScoredTrial } from './rank.js';
import { findingPairs } from './findings.js';
import { textPairs } from './render.js';
import { stringifyJson } from './json.js';

export interface BestOptions {
  json: boolean;
}

function bestText(study: StudyRecord, best: ScoredTrial): string {
  const { metric, direction } = study.objective;
  const epochs =
    best.bestEpoch === null ? `${best.epochsRun} epochs` : `best epoch ${best.bestEpoch} of ${best.epochsRun}`;
  const head = `trial ${best.number}: ${metric} ${formatScore(best.score)} (${direction}), ${epochs}`;
  const entries = Object.entries(best.params);
  if (entries.length === 0) return `${head}\n  (no hyperparameters)`;
  const width = Math.max(...entries.map(([name]) => name.length));
  // Exact values, not the leaderboard's rounded ones: these are meant to be copied.
  const lines = entries.map(([name, value]) => `  ${name.padEnd(width)}  ${String(value)}`);
  // Even the best trial may have overfit or trained slowly: what its space could change.
  const findings = findingPairs(best);
  const found = findings.length > 0 ? ['findings:', textPairs(findings)] : [];
  return [head, ...lines, ...found].join('\n');
}

/**
 * The best trial's score and parameters, as an aligned list or as JSON
 * `{ trial, score, objective, params, epochsRun, bestEpoch }`. A study with no
 * completed trial is a user-fixable state (search has not run or finished yet), so it
 * raises a GradtuneError that says what to run.
 */
export function formatBest(study: StudyRecord, trials: readonly TrialRecord[], options: BestOptions): string {
  const best = bestTrial(study, trials);
  if (!best) {
    throw new GradtuneError(
      `study "${study.name}" has no completed trial yet; run gradtune search --study ${study.name}`,
    );
  }
  if (!options.json) return bestText(study, best);
  // A finding's evidence may hold a NaN (with --no-reject the best trial may have exploded).
  return stringifyJson(
    {
      trial: best.number,
      score: best.score,
      objective: study.objective,
      params: best.params,
      epochsRun: best.epochsRun,
      bestEpoch: best.bestEpoch,
      findings: best.diagnostics?.findings ?? [],
    },
  );
}
