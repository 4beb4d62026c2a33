// Findings, remedies and repairs where a user reads them: `report --trial`, `best`, the
// leaderboard's study-wide lines, the HTML report's trial card; and the study-wide summary
// that says what the trials with a finding had in common.
import { describe, expect, it } from 'vitest';
import { findPattern, summariseFindings, describeFindingSummary } from '../src/diagnose/summary.js';
import { formatTrial } from '../src/report/trial.js';
import { formatBest } from '../src/report/best.js';
import { formatLeaderboard } from '../src/report/leaderboard.js';
import { buildReportData } from '../src/report/html/build-report-data.js';
import { DEFAULT_DIAGNOSTICS } from '../src/train/diagnostics-settings.js';
import type { Finding, TrialDiagnostics } from '../src/train/diagnostics-types.js';
import type { TrialRecord } from '../src/store/store.js';
import { makeStudy, makeTrial } from './helpers/records.js';

const STUDY = makeStudy({ name: 'sick' });

const vanishing: Finding = {
  kind: 'vanishing',
  summary: 'dense_1 |g|=2e-9 (1e-7 floor) at preflight, epoch 1 step 31',
  epochs: { from: 1, to: 1 },
  layers: ['dense_1'],
  figures: { 'kernel gradient norm': 2e-9 },
  thresholds: { vanishingFloor: 1e-7, sustain: 3 },
  rejects: true,
  remedies: [
    { cure: 'ReLU-family activation', changes: [{ param: 'activation', from: 'sigmoid', to: 'relu' }], drops: [], sideEffects: [] },
    { cure: 'He or Glorot initialisation', changes: [{ param: 'initializer', from: 'randomNormal', to: 'glorotUniform' }], drops: ['init_stddev'], sideEffects: [] },
  ],
};
const overfitting: Finding = {
  kind: 'overfitting',
  summary: 'val_loss 0.5 at epoch 9, 60% above its minimum 0.31 at epoch 4 (20% after 3 epochs is the limit), while the training loss fell from 0.2 to 0.05',
  epochs: { from: 4, to: 9 },
  layers: [],
  figures: { rise: 0.6 },
  thresholds: { overfitRise: 0.2, overfitEpochs: 3 },
  rejects: false,
  remedies: [{ cure: 'dropout', changes: [{ param: 'dropout', from: 0, to: 0.3 }], drops: [], sideEffects: [] }],
};

function diagnostics(findings: Finding[], rejectedBy?: 'vanishing'): TrialDiagnostics {
  return {
    verdict: rejectedBy ? { kind: 'vanishing', evidence: { rule: 'vanishing-floor', statistic: 'kernel gradient norm', layer: 'dense_1', value: 2e-9, threshold: 1e-7, epoch: 1, step: 31, preflight: true } } : { kind: 'healthy' },
    checks: 4,
    epochs: [],
    settings: { ...DEFAULT_DIAGNOSTICS },
    findings,
    ...(rejectedBy ? { rejectedBy } : {}),
  };
}

function trials(): TrialRecord[] {
  const sick = { activation: 'sigmoid', layers: 8, initializer: 'randomNormal', init_stddev: 0.01, dropout: 0 };
  return [
    makeTrial(0, sick, 'rejected', { diagnostics: diagnostics([vanishing], 'vanishing'), plannedEpochs: 10 }),
    makeTrial(1, { ...sick, activation: 'relu' }, 'completed', { score: 0.95, diagnostics: diagnostics([overfitting]), repairOf: 0 }),
    makeTrial(2, { ...sick, layers: 9 }, 'rejected', { diagnostics: diagnostics([vanishing], 'vanishing') }),
    makeTrial(3, { ...sick, activation: 'relu', layers: 2 }, 'completed', { score: 0.9, diagnostics: diagnostics([]) }),
    makeTrial(4, { ...sick, activation: 'tanh', layers: 2 }, 'completed', { score: 0.8, diagnostics: diagnostics([]) }),
  ];
}

describe('study-wide findings', () => {
  it('finds the one- or two-parameter condition the trials with a finding share', () => {
    const params = [
      { activation: 'sigmoid', layers: 8 },
      { activation: 'tanh', layers: 6 },
      { activation: 'sigmoid', layers: 5 },
      { activation: 'relu', layers: 8 },
      { activation: 'sigmoid', layers: 2 },
      { activation: 'relu', layers: 2 },
      { activation: 'tanh', layers: 1 },
    ];
    const vanished = [true, true, true, false, false, false, false];
    expect(findPattern(params, vanished)).toEqual({ text: 'activation sigmoid or tanh and layers >= 5', matched: 3, othersMatched: 0 });
    // No condition better than chance: no pattern.
    expect(findPattern(params.slice(0, 2), [true, false])).toBeNull();
  });

  it('counts, explains and names the first remedy per finding, with the repairs', () => {
    const [v, o] = summariseFindings(trials());
    expect(v).toMatchObject({ kind: 'vanishing', trials: 2, rejected: 2, of: 5, remedy: { cure: 'ReLU-family activation', trials: 2 }, repairs: { tried: 1, completed: 1 } });
    expect(describeFindingSummary(v)).toBe(
      '2 of 5 trials vanished (2 rejected); 2 of them had activation sigmoid (0 of the other 3 did); first remedy: ReLU-family activation (2 trials); repaired 1 time, 1 completed',
    );
    expect(describeFindingSummary(o)).toBe('1 of 5 trials overfit; first remedy: dropout (1 trial)');
  });
});

describe('findings in the reports', () => {
  it('report --trial: each finding with its evidence, thresholds and numbered remedies; repairs both ways', () => {
    const rejected = formatTrial(STUDY, trials(), 0, { format: 'table' });
    expect(rejected).toContain(
      [
        'findings and remedies',
        '  vanishing (rejected the trial)  dense_1 |g|=2e-9 (1e-7 floor) at preflight, epoch 1 step 31',
        '    evidence                      epoch 1, dense_1; thresholds: vanishingFloor 1e-7, sustain 3',
        '    remedy 1                      ReLU-family activation: activation: sigmoid → relu',
        '    remedy 2                      He or Glorot initialisation: initializer: randomNormal → glorotUniform (init_stddev no longer applies)',
      ].join('\n'),
    );
    expect(rejected).toMatch(/^  repaired by +trial 1 \(completed, 0\.9500\)$/m);
    const repair = formatTrial(STUDY, trials(), 1, { format: 'table' });
    expect(repair).toMatch(/^  repairs +trial 0 \(activation: sigmoid → relu\)$/m);
    expect(repair).toMatch(/^  overfitting +val_loss 0\.5 at epoch 9/m);
    expect(repair).toMatch(/^    also +more training data$/m);
    expect(formatTrial(STUDY, trials(), 3, { format: 'table' })).toMatch(/^findings and remedies\n  none: no problem the monitor looks for$/m);
  });

  it('best: the winner\'s findings and remedies, in text and JSON', () => {
    const text = formatBest(STUDY, trials(), { json: false });
    expect(text).toMatch(/^findings:\n  overfitting +val_loss 0\.5/m);
    expect(text).toMatch(/^    remedy 1 +dropout: dropout: 0 → 0\.3$/m);
    expect(JSON.parse(formatBest(STUDY, trials(), { json: true })).findings).toEqual([overfitting]);
  });

  it('leaderboard: a repairs column and one findings line per kind above the summary, in table and md', () => {
    const table = formatLeaderboard(STUDY, trials(), { format: 'table' }).split('\n');
    // The header row (under the hyperparameters' group line) has a repairs column.
    expect(table.slice(0, 4).find((l) => l.includes('│ rank │'))).toMatch(/│ rank │ trial │ status +│ .* │ repairs │/);
    expect(table.slice(-3)).toEqual([
      'findings: 2 of 5 trials vanished (2 rejected); 2 of them had activation sigmoid (0 of the other 3 did); first remedy: ReLU-family activation (2 trials); repaired 1 time, 1 completed',
      'findings: 1 of 5 trials overfit; first remedy: dropout (1 trial)',
      expect.stringMatching(/^5 trials: 3 completed, 2 rejected/),
    ]);
    expect(formatLeaderboard(STUDY, trials(), { format: 'md' })).toContain('Findings:\n\n- 2 of 5 trials vanished');
    const json = JSON.parse(formatLeaderboard(STUDY, trials(), { format: 'json' }));
    expect(json.findings.map((f: { kind: string }) => f.kind)).toEqual(['vanishing', 'overfitting']);
    expect(json.trials.find((t: { number: number }) => t.number === 1).repairOf).toBe(0);
  });

  it('HTML report: the trial card lists findings and remedies, and says what a repair repairs', () => {
    const data = buildReportData(STUDY, trials());
    const card = data.trials.find((t) => t.n === 0)!;
    expect(card.findings.map(([label]) => label)).toEqual(['vanishing (rejected the trial)', '  evidence', '  remedy 1', '  remedy 2']);
    expect(data.trials.find((t) => t.n === 1)!.repairs).toBe('trial 0 (activation: sigmoid → relu)');
  });
});
