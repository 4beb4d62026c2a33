// `gradtune best`: the winning configuration, for a person to read or a script to reuse.
import { GradtuneError } from '../errors.js';
import type { StudyRecord, TrialRecord } from '../store/store.js';
import { formatScore } from './columns.js';
import { ancestry, describeAncestry, describeEpochsTrained, describeSlot, epochRange, varyingSlotFields } from './lineage.js';
import { bestTrial, type ScoredTrial } from './rank.js';
import { findingPairs } from './findings.js';
import { textPairs } from './render.js';
import { stringifyJson } from './json.js';

export interface BestOptions {
  json: boolean;
}

/**
 * The best epoch and the epochs behind it. Epochs are numbered across a chain of
 * promotions, so a promoted trial's best epoch is set against the epochs it trained and
 * the trial it continues: `best epoch 23 (epochs 10–27 trained by this trial, continuing
 * trial 12)`, never `23 of 18`.
 */
function epochsText(best: ScoredTrial): string {
  const { from, to } = epochRange(best);
  if (best.parent === null && from === 0) {
    return best.bestEpoch === null ? `${best.epochsRun} epochs` : `best epoch ${best.bestEpoch} of ${to}`;
  }
  const continuing = best.parent === null ? `after epoch ${from}` : `continuing trial ${best.parent}`;
  const trained = `${describeEpochsTrained(best)} trained by this trial, ${continuing}`;
  return best.bestEpoch === null ? trained : `best epoch ${best.bestEpoch} (${trained})`;
}

function bestText(study: StudyRecord, trials: readonly TrialRecord[], best: ScoredTrial): string {
  const { metric, direction } = study.objective;
  const head = `trial ${best.number}: ${metric} ${formatScore(best.score)} (${direction}), ${epochsText(best)}`;
  const lineage: string[] = [];
  if (best.slot) lineage.push(`  schedule: ${describeSlot(best.slot, varyingSlotFields(trials))}`);
  const chain = ancestry(best, trials);
  if (chain.length > 1) lineage.push(`  lineage:  ${describeAncestry(chain)}`);
  const entries = Object.entries(best.params);
  if (entries.length === 0) return [head, ...lineage, '  (no hyperparameters)'].join('\n');
  const width = Math.max(...entries.map(([name]) => name.length));
  // Exact values, not the leaderboard's rounded ones: these are meant to be copied.
  const lines = entries.map(([name, value]) => `  ${name.padEnd(width)}  ${String(value)}`);
  // Even the best trial may have overfit or trained slowly: what its space could change.
  const findings = findingPairs(best);
  const found = findings.length > 0 ? ['findings:', textPairs(findings)] : [];
  return [head, ...lineage, ...(lineage.length > 0 ? ['  hyperparameters:'] : []), ...lines.map((l) => (lineage.length > 0 ? `  ${l}` : l)), ...found].join('\n');
}

/**
 * The best trial's score and parameters, as an aligned list or as JSON
 * `{ trial, score, objective, params, epochsRun, bestEpoch, parent, fromEpoch, toEpoch,
 * slot, lineage }` (lineage: the trial numbers of its chain, oldest first, itself last). A study with no
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
  if (!options.json) return bestText(study, trials, best);
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
      // Lineage, as in `report --format json`: epochs numbered across the chain.
      parent: best.parent,
      fromEpoch: epochRange(best).from,
      toEpoch: epochRange(best).to,
      slot: best.slot,
      lineage: ancestry(best, trials).map((t) => t.number),
    },
  );
}
