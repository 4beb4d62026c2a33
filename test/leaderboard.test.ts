import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { isGradtuneError } from '../src/errors.js';
import type { StudyRecord, TrialRecord } from '../src/store/store.js';
import type { Direction, EpochRecord } from '../src/train/types.js';
import { bestTrial, rankTrials } from '../src/report/rank.js';
import { describeSearch, formatParam, formatScore, formatSeconds, varyingParams } from '../src/report/columns.js';
import { formatLeaderboard } from '../src/report/leaderboard.js';
import { formatBest } from '../src/report/best.js';
import { describeRejection, rejectionSummary } from '../src/report/rejection.js';
import { DEFAULT_DIAGNOSTICS } from '../src/train/diagnostics-settings.js';
import type { EpochGradientStats, TrialDiagnostics, VerdictEvidence } from '../src/train/diagnostics-types.js';
import { makeStudy, makeTrial } from './helpers/records.js';

function study(direction: Direction = 'max', metric = direction === 'max' ? 'val_accuracy' : 'val_loss'): StudyRecord {
  return makeStudy({
    name: 'iris-demo',
    space: 'mlp',
    datasetFingerprint: 'abc123',
    data: { builtin: 'iris', valSplit: 0.2, seed: 7 },
    objective: { metric, direction },
    settings: { maxTrials: 10 },
    maxEpochs: 20,
    createdAt: '2024-05-01T12:00:00.000Z',
  });
}

function epoch(n: number, loss: number, valAccuracy: number): EpochRecord {
  return { epoch: n, loss, val_loss: loss, val_accuracy: valAccuracy, learningRate: 1e-3 };
}

function trial(number: number, over: Partial<TrialRecord> = {}): TrialRecord {
  const done = (over.status ?? 'completed') !== 'running';
  // `optimizer` is the same everywhere: a constant the table should drop.
  const params = { learning_rate: 0.001 * (number + 1), units: 16 * (number + 1), optimizer: 'adam' };
  return makeTrial(number, params, 'completed', {
    score: null,
    epochsRun: 3,
    history: [epoch(1, 1.0, 0.5), epoch(2, 0.8, 0.6), epoch(3, 0.7, 0.65)],
    backend: 'cpu',
    startedAt: '2024-05-01T12:00:00.000Z',
    finishedAt: done ? '2024-05-01T12:00:05.000Z' : null,
    durationMs: done ? 5250 : null,
    ...over,
  });
}

/** A mixed history: four scored trials (one tie), one of each other status. */
function trials(): TrialRecord[] {
  return [
    trial(0, { score: 0.9, bestEpoch: 3 }),
    trial(1, { status: 'failed', error: 'out of memory' }),
    trial(2, { score: 0.95, bestEpoch: 2 }),
    trial(3, { status: 'running', epochsRun: 1 }),
    trial(4, { status: 'rejected', error: 'exploding gradients: norm 3.2e9 at epoch 1' }),
    trial(5, { score: 0.8, bestEpoch: 3 }),
    trial(6, { status: 'completed', score: null }), // finished, but every score was NaN
    trial(7, { score: 0.9, bestEpoch: 1 }), // ties with trial 0
    trial(8, { status: 'pruned' }),
    trial(9, { status: 'stale' }),
  ];
}

const order = (s: StudyRecord, ts: TrialRecord[]) => rankTrials(s, ts).map((r) => [r.rank, r.trial.number]);

describe('rankTrials', () => {
  it('ranks completed trials by score, highest first for max, ties by trial number', () => {
    expect(order(study('max'), trials()).slice(0, 4)).toEqual([
      [1, 2],
      [2, 0],
      [3, 7],
      [4, 5],
    ]);
  });

  it('ranks lowest first for min objectives', () => {
    expect(order(study('min'), trials()).slice(0, 4)).toEqual([
      [1, 5],
      [2, 0],
      [3, 7],
      [4, 2],
    ]);
  });

  it('puts every other trial after the ranked ones, unranked, in status order', () => {
    const rest = rankTrials(study('max'), trials()).slice(4);
    expect(rest.map((r) => r.rank)).toEqual([null, null, null, null, null, null]);
    expect(rest.map((r) => [r.trial.status, r.trial.number])).toEqual([
      ['completed', 6],
      ['rejected', 4],
      ['running', 3],
      ['pruned', 8],
      ['failed', 1],
      ['stale', 9],
    ]);
  });

  it('does not rank a completed trial whose score is not finite', () => {
    const ranked = rankTrials(study(), [trial(0, { score: Number.NaN }), trial(1, { score: 0.5 })]);
    expect(ranked.map((r) => [r.rank, r.trial.number])).toEqual([
      [1, 1],
      [null, 0],
    ]);
  });

  it('bestTrial is the top completed trial, or undefined', () => {
    expect(bestTrial(study('max'), trials())?.number).toBe(2);
    expect(bestTrial(study('min'), trials())?.number).toBe(5);
    expect(bestTrial(study(), [trial(0, { status: 'failed' })])).toBeUndefined();
    expect(bestTrial(study(), [])).toBeUndefined();
  });
});

describe('columns', () => {
  it('keeps varying and sometimes-missing params in first-seen order, drops constant ones', () => {
    const ts = [
      trial(0, { params: { lr: 0.1, fixed: 'a', units: 8 } }),
      trial(1, { params: { lr: 0.2, fixed: 'a', units: 8, dropout: 0.5 } }),
    ];
    expect(varyingParams(ts)).toEqual(['lr', 'dropout']);
  });

  it('formats scores, params and times for people', () => {
    expect(formatScore(0.987654)).toBe('0.9877');
    expect(formatScore(null)).toBe('');
    expect(formatParam(0.0012)).toBe('1.2e-3');
    expect(formatParam(0.001)).toBe('1e-3');
    expect(formatParam(0.000123456)).toBe('1.23e-4');
    expect(formatParam(0.25)).toBe('0.25');
    expect(formatParam(128)).toBe('128');
    expect(formatParam(100.4)).toBe('100');
    expect(formatParam(true)).toBe('true');
    expect(formatParam(undefined)).toBe('');
    expect(formatSeconds(5250)).toBe('5.3');
    expect(formatSeconds(null)).toBe('');
  });
});

describe('formatLeaderboard', () => {
  it('table: objective-labelled score, varying params only, no colour codes, a summary', () => {
    const out = formatLeaderboard(study(), trials(), { format: 'table' });
    // Line 0 groups the hyperparameters, line 1 is the border, line 2 the header.
    const header = out.split('\n')[2];
    for (const col of ['rank', 'trial', 'status', 'val_accuracy', 'epochs', 'time (s)', 'gradients', 'learning_rate', 'units']) {
      expect(header).toContain(col);
    }
    expect(out).not.toContain('optimizer');
    expect(out).not.toContain('\u001b[');
    expect(out).toContain('5.3');
    expect(out).toContain('2e-3');
    expect(out.split('\n').at(-1)).toBe(
      // Trial 4 recorded neither a verdict nor its planned epochs: counted, but nothing to break down.
      '10 trials: 5 completed, 1 rejected, 1 running, 1 pruned, 1 failed, 1 stale; best val_accuracy 0.9500 (trial 2); rejection saved 0 of 28 epochs (0%); search: random',
    );
  });

  it('csv: parses back with the header and one row per trial', () => {
    const out = formatLeaderboard(study(), trials(), { format: 'csv' });
    const rows: string[][] = parse(out);
    expect(rows[0]).toEqual([
      'rank', 'trial', 'status', 'val_accuracy', 'best_epoch', 'epochs', 'from_epoch', 'to_epoch', 'parent', 'repair_of',
      'time (s)', 'gradients', 'error', 'param:learning_rate', 'param:units',
    ]);
    expect(rows).toHaveLength(1 + trials().length);
    // No diagnostics: an empty gradients cell, like any value a trial does not have.
    expect(rows[1]).toEqual(['1', '2', 'completed', '0.95', '2', '3', '0', '3', '', '', '5.25', '', '', '0.003', '48']);
    // Unranked trials have an empty rank.
    expect(rows.at(-1)?.slice(0, 3)).toEqual(['', '9', 'stale']);
  });

  it('md: states the objective, has a header separator row and a summary', () => {
    const out = formatLeaderboard(study('min'), trials(), { format: 'md' });
    const lines = out.split('\n');
    expect(lines[0]).toContain('`val_loss`');
    expect(lines[0]).toContain('lower is better');
    const tableLines = lines.filter((l) => l.startsWith('|'));
    expect(tableLines[0]).toMatch(/^\| rank \| trial \| status \| val_loss \|/);
    expect(tableLines[1]).toMatch(/^\|( :?---:? \|)+$/);
    expect(tableLines).toHaveLength(2 + trials().length);
    expect(out).not.toContain('optimizer');
    expect(lines.at(-1)).toContain('best val_loss 0.8000 (trial 5)');
  });

  it('md: escapes pipes in values', () => {
    const ts = [trial(0, { score: 0.5, params: { act: 'a|b' } }), trial(1, { score: 0.4, params: { act: 'c' } })];
    expect(formatLeaderboard(study(), ts, { format: 'md' })).toContain('a\\|b');
  });

  it('json: complete, round-trips, keeps constant params, history and non-finite values', () => {
    const ts = trials();
    ts[1] = { ...ts[1], history: [epoch(1, Number.NaN, 0.1), epoch(2, Number.POSITIVE_INFINITY, 0.1)] };
    const doc = JSON.parse(formatLeaderboard(study(), ts, { format: 'json' }));
    expect(doc.study).toEqual({
      name: 'iris-demo',
      space: 'mlp',
      dataset: { name: 'iris', fingerprint: 'abc123', source: { builtin: 'iris', valSplit: 0.2, seed: 7 } },
      objective: { metric: 'val_accuracy', direction: 'max' },
      algorithm: 'random',
      settings: { maxTrials: 10 },
      seed: 42,
      maxEpochs: 20,
      createdAt: '2024-05-01T12:00:00.000Z',
    });
    expect(doc.trials).toHaveLength(ts.length);
    const first = doc.trials[0];
    expect(first).toEqual({
      rank: 1,
      number: 2,
      status: 'completed',
      score: 0.95,
      bestEpoch: 2,
      epochsRun: 3,
      plannedEpochs: null,
      parent: null,
      fromEpoch: 0,
      toEpoch: 3,
      slot: null,
      durationMs: 5250,
      backend: 'cpu',
      params: ts[2].params,
      history: ts[2].history,
      gradients: null,
      error: null,
      pruned: null,
      attempt: 1,
      retries: 0,
      repairOf: null,
    });
    expect(first.params.optimizer).toBe('adam');
    const failed = doc.trials.find((t: { number: number }) => t.number === 1);
    expect(failed.rank).toBeNull();
    expect(failed.error).toBe('out of memory');
    expect(failed.history[0].loss).toBe('NaN');
    expect(failed.history[1].loss).toBe('Infinity');
  });

  it('top limits rows in every format but not the summary', () => {
    const s = study();
    const table = formatLeaderboard(s, trials(), { format: 'table', top: 2 });
    expect(table).toContain('showing 2');
    expect(table).toContain('10 trials');
    expect(parse(formatLeaderboard(s, trials(), { format: 'csv', top: 2 }))).toHaveLength(3);
    const md = formatLeaderboard(s, trials(), { format: 'md', top: 2 });
    expect(md.split('\n').filter((l) => l.startsWith('|'))).toHaveLength(4);
    const doc = JSON.parse(formatLeaderboard(s, trials(), { format: 'json', top: 2 }));
    expect(doc.trials.map((t: { number: number }) => t.number)).toEqual([2, 0]);
    // Columns are chosen over the whole study, so they do not shift with --top.
    expect(table).toContain('learning_rate');
  });

  it('rejects a top that is not a positive whole number', () => {
    expect(() => formatLeaderboard(study(), trials(), { format: 'table', top: 0 })).toThrow(/--top/);
    expect(() => formatLeaderboard(study(), trials(), { format: 'table', top: 1.5 })).toThrow(/--top/);
  });

  it('an empty study still renders', () => {
    expect(formatLeaderboard(study(), [], { format: 'table' })).toContain('0 trials; no completed trial yet');
    expect(JSON.parse(formatLeaderboard(study(), [], { format: 'json' })).trials).toEqual([]);
  });
});

/** Per-epoch statistics of a two-layer ReLU network, scaled so each trial's numbers differ. */
function gradEpochs(count: number, scale: number): EpochGradientStats[] {
  return Array.from({ length: count }, (_, i) => ({
    epoch: i + 1,
    globalGrad: 0.5 * scale,
    layers: [
      { layer: 'dense_1', kernelGrad: 0.25 * scale, biasGrad: 0.1 * scale, weight: 2.5, updateRatio: 1e-4 * scale, dead: 0.125 },
      { layer: 'logits', kernelGrad: 0.4 * scale, biasGrad: 0.2 * scale, weight: 2.2, updateRatio: 2e-4 * scale },
    ],
  }));
}

function diagnostics(kind: 'healthy' | 'vanishing' | 'exploding', epochs: EpochGradientStats[], evidence?: VerdictEvidence): TrialDiagnostics {
  return { verdict: evidence ? { kind, evidence } : { kind }, checks: 4 * epochs.length, epochs, settings: { ...DEFAULT_DIAGNOSTICS } };
}

const VANISHING: VerdictEvidence = { statistic: 'kernel gradient norm', layer: 'dense_1', value: 2.1e-9, threshold: 1e-7, epoch: 1, step: 40, preflight: true };
const EXPLODING: VerdictEvidence = { statistic: 'loss', layer: null, value: Number.NaN, threshold: null, epoch: 2, step: 3, preflight: false };

/**
 * A study the gradient monitor had its say in: two healthy completed trials, a vanishing
 * one rejected at the preflight (1 of 10 epochs), an exploding one rejected in its second
 * epoch (2 of 10, its gradients already NaN), one that failed before diagnostics, and one
 * still running. Trained 10 + 1 + 2 + 0 + 10 + 1 = 24 epochs; rejection saved 9 + 8 = 17.
 */
function sickTrials(): TrialRecord[] {
  const exploding = gradEpochs(2, 1e3);
  exploding[1].layers[0].kernelGrad = Number.NaN;
  return [
    trial(0, { score: 0.9, bestEpoch: 9, epochsRun: 10, plannedEpochs: 10, diagnostics: diagnostics('healthy', gradEpochs(10, 1)) }),
    trial(1, { status: 'rejected', score: 0.3, epochsRun: 1, plannedEpochs: 10, diagnostics: diagnostics('vanishing', gradEpochs(1, 1e-8), VANISHING) }),
    trial(2, { status: 'rejected', score: 0.3, epochsRun: 2, plannedEpochs: 10, diagnostics: diagnostics('exploding', exploding, EXPLODING) }),
    trial(3, { status: 'failed', epochsRun: 0, history: [], error: 'Error: out of memory' }),
    trial(4, { score: 0.8, bestEpoch: 10, epochsRun: 10, plannedEpochs: 10, diagnostics: diagnostics('healthy', gradEpochs(10, 2)) }),
    trial(5, { status: 'running', epochsRun: 1, plannedEpochs: 10 }),
  ];
}

const VANISHING_TEXT = 'vanishing: dense_1 |g|=2.1e-9 (1e-7 floor) at preflight, epoch 1 step 40';
const EXPLODING_TEXT = 'exploding: loss NaN at epoch 2 step 3';

/** The rows of a cli-table3 table, header first, as trimmed cells. */
function tableRows(out: string): string[][] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('│'))
    .map((l) => l.split('│').slice(1, -1).map((c) => c.trim()));
}

describe('gradient diagnostics in the leaderboard', () => {
  it('a trial stopped after it had learned ranks with its best epoch, and the summaries count it apart from the rejected', () => {
    const stoppedDiagnostics = { ...diagnostics('exploding', gradEpochs(4, 1), EXPLODING), verdict: { kind: 'exploding' as const, evidence: EXPLODING, afterLearning: true }, stoppedBy: 'exploding' as const };
    const ts = [...sickTrials().slice(0, 3), trial(6, { score: 0.85, bestEpoch: 3, epochsRun: 4, plannedEpochs: 10, diagnostics: stoppedDiagnostics })];
    const summary = rejectionSummary(ts);
    expect(summary).toMatchObject({ rejected: 2, stopped: 1 });
    // Planned but not trained: 9 + 8 by the rejected trials, 6 by the stopped one.
    expect(summary.epochsSaved).toBe(23);
    expect(describeRejection(summary)).toBe('rejected 2 trials (1 vanishing, 1 exploding) and stopped 1 after it had learned (best epoch kept), saving 23 of 40 epochs (58%)');
    const out = formatLeaderboard(study(), ts, { format: 'table' });
    const rows = tableRows(out).slice(1);
    expect(rows.find((r) => r[1] === '6')!.slice(0, 3)).toEqual(['2', '6', 'completed']);
    expect(out.split('\n').at(-1)).toMatch(/; rejection saved 23 of 40 epochs \(58%\); 1 trial stopped after learning, best epoch kept;/);
  });

  it('table: a gradients column after time (s): healthy, the verdict with its evidence, or -', () => {
    const out = formatLeaderboard(study(), sickTrials(), { format: 'table' });
    const [header, ...rows] = tableRows(out);
    expect(header.slice(5, 7)).toEqual(['time (s)', 'gradients']);
    // Rank, trial, status, gradients: rejected right after the completed ones, unranked.
    expect(rows.map((r) => [r[0], r[1], r[2], r[6]])).toEqual([
      ['1', '0', 'completed', 'healthy'],
      ['2', '4', 'completed', 'healthy'],
      ['-', '1', 'rejected', VANISHING_TEXT],
      ['-', '2', 'rejected', EXPLODING_TEXT],
      ['-', '5', 'running', '-'],
      ['-', '3', 'failed', '-'],
    ]);
  });

  it('summary: rejections by verdict and the epochs they saved, in table and md', () => {
    const line = '6 trials: 2 completed, 2 rejected (1 vanishing, 1 exploding), 1 running, 1 failed; best val_accuracy 0.9000 (trial 0); rejection saved 17 of 41 epochs (41%); search: random';
    expect(formatLeaderboard(study(), sickTrials(), { format: 'table' }).split('\n').at(-1)).toBe(line);
    expect(formatLeaderboard(study(), sickTrials(), { format: 'md' }).split('\n').at(-1)).toBe(line);
    // --top shows fewer rows; the summary still describes the whole study.
    expect(formatLeaderboard(study(), sickTrials(), { format: 'table', top: 1 }).split('\n').at(-1)).toBe(`${line}; showing 1`);
  });

  it('summary and HTML header name the sampler that drew the configurations', () => {
    const tpe = makeStudy({ ...study(), algorithm: 'hyperband', settings: { sampler: { name: 'tpe' } } });
    expect(formatLeaderboard(tpe, sickTrials(), { format: 'table' }).split('\n').at(-1)).toMatch(/; search: hyperband, tpe sampler$/);
    expect(describeSearch(tpe)).toBe('hyperband, tpe sampler');
    expect(describeSearch(makeStudy({ ...study(), algorithm: 'random', settings: { sampler: { name: 'custom:mine' } } }))).toBe('random, custom:mine sampler');
    expect(describeSearch(makeStudy({ ...study(), algorithm: 'custom:my-oracle', settings: {} }))).toBe('custom:my-oracle');
  });

  it('no rejection, no rejection clause', () => {
    const ts = sickTrials().filter((t) => t.status !== 'rejected');
    expect(formatLeaderboard(study(), ts, { format: 'table' }).split('\n').at(-1)).toBe(
      '4 trials: 2 completed, 1 running, 1 failed; best val_accuracy 0.9000 (trial 0); search: random',
    );
  });

  it('csv and md carry the verdict text; md escapes its pipes', () => {
    const rows: string[][] = parse(formatLeaderboard(study(), sickTrials(), { format: 'csv' }));
    const gradients = rows[0].indexOf('gradients');
    expect(gradients).toBe(rows[0].indexOf('time (s)') + 1);
    expect(rows.slice(1).map((r) => [r[1], r[gradients]])).toEqual([
      ['0', 'healthy'],
      ['4', 'healthy'],
      ['1', VANISHING_TEXT],
      ['2', EXPLODING_TEXT],
      ['5', ''],
      ['3', ''],
    ]);
    const md = formatLeaderboard(study(), sickTrials(), { format: 'md' });
    expect(md).toContain(`| ${VANISHING_TEXT.replace(/\|/g, '\\|')} |`);
  });

  it('json: every trial has plannedEpochs and its complete diagnostics; NaN as "NaN"; a rejection summary', () => {
    const ts = sickTrials();
    const doc = JSON.parse(formatLeaderboard(study(), ts, { format: 'json' }));
    expect(doc.rejection).toEqual({ rejected: 2, vanishing: 1, exploding: 1, epochsTrained: 24, epochsSaved: 17, stopped: 0 });
    const byNumber = (n: number) => doc.trials.find((t: { number: number }) => t.number === n);
    // A healthy trial's record round-trips whole: verdict, checks, every epoch's layers, settings.
    expect(byNumber(0).plannedEpochs).toBe(10);
    expect(byNumber(0).gradients).toEqual(ts[0].diagnostics);
    expect(byNumber(0).gradients.epochs).toHaveLength(10);
    expect(byNumber(0).gradients.epochs[0].layers[0]).toEqual({
      layer: 'dense_1', kernelGrad: 0.25, biasGrad: 0.1, weight: 2.5, updateRatio: 1e-4, dead: 0.125,
    });
    expect(byNumber(1).gradients.verdict).toEqual({ kind: 'vanishing', evidence: VANISHING });
    const exploding = byNumber(2).gradients;
    expect(exploding.verdict).toEqual({
      kind: 'exploding',
      evidence: { statistic: 'loss', layer: null, value: 'NaN', threshold: null, epoch: 2, step: 3, preflight: false },
    });
    expect(exploding.epochs[1].layers[0].kernelGrad).toBe('NaN');
    expect(exploding.settings).toEqual(DEFAULT_DIAGNOSTICS);
    expect(byNumber(3).gradients).toBeNull();
    expect(byNumber(3).plannedEpochs).toBeNull();
    // The summary is the study's, whatever --top shows.
    expect(JSON.parse(formatLeaderboard(study(), ts, { format: 'json', top: 1 })).rejection.rejected).toBe(2);
  });

  it('describeRejection, as gradtune search prints it', () => {
    expect(describeRejection(rejectionSummary(sickTrials()))).toBe(
      'rejected 2 trials (1 vanishing, 1 exploding), saving 17 of 41 epochs (41%)',
    );
    expect(describeRejection(rejectionSummary(sickTrials().slice(0, 2)))).toBe('rejected 1 trial (1 vanishing), saving 9 of 20 epochs (45%)');
    expect(describeRejection(rejectionSummary([trial(0, { score: 0.5 })]))).toBeUndefined();
  });
});

describe('formatBest', () => {
  it('max objective: text lists exact params, aligned', () => {
    const out = formatBest(study('max'), trials(), { json: false });
    expect(out.split('\n')).toEqual([
      'trial 2: val_accuracy 0.9500 (max), best epoch 2 of 3',
      '  learning_rate  0.003',
      '  units          48',
      '  optimizer      adam',
    ]);
  });

  it('min objective: JSON with the best trial', () => {
    const doc = JSON.parse(formatBest(study('min'), trials(), { json: true }));
    expect(doc).toEqual({
      trial: 5,
      score: 0.8,
      objective: { metric: 'val_loss', direction: 'min' },
      params: { learning_rate: 0.006, units: 96, optimizer: 'adam' },
      epochsRun: 3,
      bestEpoch: 3,
      findings: [],
      parent: null,
      fromEpoch: 0,
      toEpoch: 3,
      slot: null,
      lineage: [5],
    });
  });

  it('no completed trial is a GradtuneError that says what to run', () => {
    const ts = [trial(0, { status: 'failed' }), trial(1, { status: 'running' })];
    let caught: unknown;
    try {
      formatBest(study(), ts, { json: false });
    } catch (err) {
      caught = err;
    }
    expect(isGradtuneError(caught)).toBe(true);
    expect((caught as Error).message).toBe(
      'study "iris-demo" has no completed trial yet; run gradtune search --study iris-demo',
    );
  });
});

/**
 * A Hyperband-like chain: trial 0 trains epochs 1–9, trial 12 continues it to 27 (best at
 * 23, early-stopped after 18 of its epochs would be 10–27), trial 3 failed with a stack.
 * Every trial has an `epochs` hyperparameter, which must never be taken for a result.
 */
function chainTrials(): TrialRecord[] {
  const params = (lr: number) => ({ epochs: lr > 0.01 ? 50 : 30, learning_rate: lr, activation: lr > 0.01 ? 'relu' : 'tanh', optimizer: 'adam' });
  return [
    trial(0, { params: params(0.1), score: 0.9, bestEpoch: 9, epochsRun: 9, slot: { iteration: 0, bracket: 1, round: 0 } }),
    trial(1, { params: params(0.001), score: 0.5, bestEpoch: 9, epochsRun: 9, slot: { iteration: 0, bracket: 2, round: 0 } }),
    trial(3, { params: params(0.2), status: 'failed', epochsRun: 0, error: 'Error: out of memory\n    at train (loop.ts:12:3)\n    at run (worker.ts:4:1)', slot: { iteration: 0, bracket: 1, round: 0 } }),
    trial(12, { params: params(0.1), score: 0.95, bestEpoch: 23, epochsRun: 18, parent: 0, fromEpoch: 9, toEpoch: 27, slot: { iteration: 0, bracket: 1, round: 1 } }),
  ];
}

const hbStudy = () => makeStudy({ ...study(), algorithm: 'hyperband', maxEpochs: 27 });

describe('lineage in every format', () => {
  it('table: the epoch range, the parent and the slot tell a promotion from its parent', () => {
    const out = formatLeaderboard(hbStudy(), chainTrials(), { format: 'table' });
    const [header, ...rows] = tableRows(out);
    expect(header.slice(0, 7)).toEqual(['rank', 'trial', 'status', 'val_accuracy', 'epochs', 'parent', 'bracket/round']);
    const byTrial = new Map(rows.map((r) => [r[1], r]));
    expect(byTrial.get('12')!.slice(4, 7)).toEqual(['9→27', '0', '1/1']);
    expect(byTrial.get('0')!.slice(4, 7)).toEqual(['0→9', '', '1/0']);
    // The hyperparameters sit under their own group line: `epochs` appears there and as the result.
    expect(out.split('\n')[0]).toMatch(/^ +┌─ hyperparameters ─+┐$/);
    expect(header.filter((h) => h === 'epochs')).toHaveLength(2);
    const groupStart = out.split('\n')[0].indexOf('┌');
    expect(out.split('\n')[2].slice(groupStart + 2).trimStart().startsWith('epochs')).toBe(true);
  });

  it('table and csv: a failed trial shows the first line of its error', () => {
    const table = formatLeaderboard(hbStudy(), chainTrials(), { format: 'table' });
    const [header, ...rows] = tableRows(table);
    const failed = rows.find((r) => r[1] === '3')!;
    expect(failed[header.indexOf('error')]).toBe('Error: out of memory');
    expect(table).not.toContain('loop.ts');
    const csv: string[][] = parse(formatLeaderboard(hbStudy(), chainTrials(), { format: 'csv' }));
    expect(csv.find((r) => r[1] === '3')![csv[0].indexOf('error')]).toBe('Error: out of memory');
  });

  it('csv: from/to epochs, parent, slot:<field> and param:<name>, no two columns alike', () => {
    const rows: string[][] = parse(formatLeaderboard(hbStudy(), chainTrials(), { format: 'csv' }));
    const head = rows[0];
    expect(new Set(head).size).toBe(head.length);
    expect(head).toEqual([
      'rank', 'trial', 'status', 'val_accuracy', 'best_epoch', 'epochs', 'from_epoch', 'to_epoch', 'parent', 'repair_of',
      'slot:iteration', 'slot:bracket', 'slot:round', 'time (s)', 'gradients', 'error', 'param:epochs', 'param:learning_rate', 'param:activation',
    ]);
    const promoted = Object.fromEntries(head.map((h, i) => [h, rows.find((r) => r[1] === '12')![i]]));
    expect(promoted).toMatchObject({ best_epoch: '23', epochs: '18', from_epoch: '9', to_epoch: '27', parent: '0', 'slot:bracket': '1', 'slot:round': '1' });
    // --columns: `epochs` is the result, `param:epochs` the hyperparameter.
    const chosen: string[][] = parse(formatLeaderboard(hbStudy(), chainTrials(), { format: 'csv', columns: ['trial', 'epochs', 'param:epochs'] }));
    expect(chosen[0]).toEqual(['trial', 'epochs', 'from_epoch', 'to_epoch', 'param:epochs']);
    expect(chosen.find((r) => r[0] === '12')).toEqual(['12', '18', '9', '27', '50']);
    // A parameter with one value in every trial is no column (it says nothing about the ranking).
    expect(head).not.toContain('param:optimizer');
  });

  it('md: lineage columns and param:-prefixed hyperparameters', () => {
    const md = formatLeaderboard(hbStudy(), chainTrials(), { format: 'md' });
    const head = md.split('\n').find((l) => l.startsWith('| rank'))!;
    expect(head).toBe('| rank | trial | status | val_accuracy | epochs | parent | bracket/round | time (s) | gradients | error | param:epochs | param:learning_rate | param:activation |');
    expect(md).toContain('| 1 | 12 | completed | 0.9500 | 9→27 | 0 | 1/1 |');
  });

  it('json: parent, from/to epochs and the slot; params in their own object', () => {
    const doc = JSON.parse(formatLeaderboard(hbStudy(), chainTrials(), { format: 'json' }));
    const promoted = doc.trials.find((t: { number: number }) => t.number === 12);
    expect(promoted).toMatchObject({ parent: 0, fromEpoch: 9, toEpoch: 27, epochsRun: 18, bestEpoch: 23, slot: { iteration: 0, bracket: 1, round: 1 } });
    expect(promoted.params).toEqual({ epochs: 50, learning_rate: 0.1, activation: 'relu', optimizer: 'adam' });
    expect(doc.trials.find((t: { number: number }) => t.number === 0)).toMatchObject({ parent: null, fromEpoch: 0, toEpoch: 9 });
  });

  it('best: the best epoch against the epochs this trial trained and the trial it continues', () => {
    const out = formatBest(hbStudy(), chainTrials(), { json: false }).split('\n');
    expect(out[0]).toBe('trial 12: val_accuracy 0.9500 (max), best epoch 23 (epochs 10–27 trained by this trial, continuing trial 0)');
    expect(out[1]).toBe('  schedule: bracket 1, round 1');
    expect(out[2]).toBe('  lineage:  trial 0 (0→9) → trial 12 (9→27)');
    expect(out).toContain('    epochs         50');
    const doc = JSON.parse(formatBest(hbStudy(), chainTrials(), { json: true }));
    expect(doc).toMatchObject({ trial: 12, bestEpoch: 23, epochsRun: 18, parent: 0, fromEpoch: 9, toEpoch: 27, lineage: [0, 12] });
  });
});

describe('fitting the table to the terminal, --columns', () => {
  /** A study wider than any terminal: long verdicts, errors and many parameters. */
  function wideTrials(): TrialRecord[] {
    return sickTrials().map((t, i) => ({
      ...t,
      params: Object.fromEntries(Array.from({ length: 12 }, (_, k) => [`parameter_${k}`, (i + 1) * (k + 1) * 0.0137])),
    }));
  }
  const width = (out: string) => Math.max(...out.split('\n').filter((l) => /^[ ┌├│└]/.test(l)).map((l) => [...l].length));

  it('a table that fits is left alone, with no footer', () => {
    const natural = formatLeaderboard(study(), trials(), { format: 'table' });
    expect(formatLeaderboard(study(), trials(), { format: 'table', width: 500 })).toBe(natural);
  });

  it.each([60, 80, 120, 160])('fits %i columns: free text shortened, the least important columns left out, said in a footer', (columns) => {
    const out = formatLeaderboard(study(), wideTrials(), { format: 'table', width: columns });
    expect(width(out)).toBeLessThanOrEqual(columns);
    const footer = out.split('\n').at(-1)!;
    expect(footer).toMatch(new RegExp(`^fitted to ${columns} columns: left out .*\\(--columns all shows every column\\)$`));
    // Parameters go from the last declared: a kept parameter is never after a dropped one.
    const [header] = tableRows(out);
    const kept = header.filter((h) => h.startsWith('parameter_')).map((h) => Number(h.split('_')[1]));
    expect(kept).toEqual(kept.map((_, i) => i));
    expect(header.slice(0, 4)).toEqual(['rank', 'trial', 'status', 'val_accuracy']);
    // The summary is still there, before the footer.
    expect(out.split('\n').at(-2)).toMatch(/^6 trials: /);
  });

  it('shortens before it leaves out: at 160 columns the verdict is cut with … and some parameters stay', () => {
    const out = formatLeaderboard(study(), wideTrials(), { format: 'table', width: 160 });
    expect(out).toContain('…');
    expect(out.split('\n').at(-1)).toContain('shortened gradients');
    expect(tableRows(out)[0]).toContain('parameter_0');
  });

  it('even narrower than rank, trial and score, those stay', () => {
    const [header] = tableRows(formatLeaderboard(study(), wideTrials(), { format: 'table', width: 20 }));
    expect(header).toEqual(['rank', 'trial', 'val_accuracy']);
  });

  it('--columns chooses columns by key, metric or bare parameter name, in the leaderboard order, never fitted', () => {
    const out = formatLeaderboard(hbStudy(), chainTrials(), { format: 'table', columns: ['learning_rate', 'score', 'trial', 'parent'], width: 10 });
    expect(tableRows(out)[0]).toEqual(['trial', 'val_accuracy', 'parent', 'learning_rate']);
    expect(out.split('\n').at(-1)).toMatch(/^4 trials/);
    const all = formatLeaderboard(study(), wideTrials(), { format: 'table', columns: ['all'], width: 40 });
    expect(tableRows(all)[0]).toContain('parameter_11');
    // A key wins over a parameter of the same name; param: reaches the parameter.
    const md = formatLeaderboard(hbStudy(), chainTrials(), { format: 'md', columns: ['trial', 'epochs', 'param:epochs'] });
    expect(md).toContain('| trial | epochs | param:epochs |');
    expect(md).toContain('| 12 | 9→27 | 50 |');
  });

  it('--columns: an unknown name lists the known ones; json refuses it', () => {
    expect(() => formatLeaderboard(hbStudy(), chainTrials(), { format: 'table', columns: ['trial', 'sideways'] })).toThrow(
      /--columns: this study has no column "sideways"; choose from rank, trial, status, score, epochs, parent, repair_of, slot, time, gradients, error, param:epochs, param:learning_rate, param:activation/,
    );
    expect(() => formatLeaderboard(hbStudy(), chainTrials(), { format: 'json', columns: ['trial'] })).toThrow(/json has every field/);
  });
});
