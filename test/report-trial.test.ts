// `gradtune report --trial n`: one trial in detail. Unit tests of the formatter on
// hand-made trials, then one run through the command line on a real search.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StudyRecord, TrialRecord } from '../src/store/store.js';
import type { EpochGradientStats, TrialDiagnostics, VerdictEvidence } from '../src/train/diagnostics-types.js';
import { DEFAULT_DIAGNOSTICS } from '../src/train/diagnostics-settings.js';
import { formatLeaderboard } from '../src/report/leaderboard.js';
import { formatTrial } from '../src/report/trial.js';
import { expectGradtuneError } from './helpers/errors.js';
import { listDir, runCli, runOk, sha256, tempDir } from './helpers/cli.js';
import { makeStudy, makeTrial } from './helpers/records.js';

const STUDY: StudyRecord = makeStudy({
  name: 'iris-demo',
  space: 'mlp',
  datasetFingerprint: 'abc123',
  data: { builtin: 'iris', valSplit: 0.2, seed: 7 },
  settings: { maxTrials: 4 },
  maxEpochs: 20,
  createdAt: '2024-05-01T12:00:00.000Z',
});

/** Two epochs of a tanh layer (saturation), a ReLU layer (dead units) and a bias-free output. */
function gradEpochs(scale: number): EpochGradientStats[] {
  return [1, 2].map((epoch) => ({
    epoch,
    globalGrad: 0.52 * scale * epoch,
    layers: [
      { layer: 'dense_1', kernelGrad: 2.1e-9 * scale * epoch, biasGrad: 3e-10 * scale, weight: 2.5, updateRatio: 8.4e-13 * scale, saturated: 0.25 },
      { layer: 'dense_2', kernelGrad: 0.23 * scale, biasGrad: 0.17 * scale, weight: 2.5, updateRatio: 0.005, dead: 0.125 },
      { layer: 'logits', kernelGrad: 0.38 * scale, biasGrad: null, weight: 12345, updateRatio: 0.0092 },
    ],
  }));
}

function diagnostics(epochs: EpochGradientStats[], verdict: TrialDiagnostics['verdict'] = { kind: 'healthy' }): TrialDiagnostics {
  return { verdict, checks: 8, epochs, settings: { ...DEFAULT_DIAGNOSTICS } };
}

function trial(number: number, over: Partial<TrialRecord>): TrialRecord {
  return makeTrial(number, { activation: 'tanh', learning_rate: 0.0375, units: 16 }, 'completed', {
    score: null,
    epochsRun: 2,
    history: [
      { epoch: 1, loss: 0.7634, val_loss: 0.7415, accuracy: 0.7917, val_accuracy: 0.8, learningRate: 0.0375 },
      { epoch: 2, loss: 0.70512, val_loss: 0.6867, accuracy: 0.7833, val_accuracy: 0.83333, learningRate: 0.0375 },
    ],
    backend: 'cpu',
    startedAt: '2024-05-01T12:00:00.000Z',
    finishedAt: '2024-05-01T12:00:05.000Z',
    durationMs: 5250,
    plannedEpochs: 20,
    ...over,
  });
}

const VANISHING: VerdictEvidence = { statistic: 'kernel gradient norm', layer: 'dense_1', value: 2.1e-9, threshold: 1e-7, epoch: 1, step: 40, preflight: true };
const EXPLODING: VerdictEvidence = { statistic: 'loss', layer: null, value: Number.NaN, threshold: null, epoch: 2, step: 3, preflight: false };

function trials(): TrialRecord[] {
  return [
    trial(0, { score: 0.83333, bestEpoch: 2, diagnostics: diagnostics(gradEpochs(1)) }),
    trial(1, { status: 'rejected', score: 0.8, bestEpoch: 1, epochsRun: 1, history: trial(0, {}).history.slice(0, 1), diagnostics: diagnostics(gradEpochs(1).slice(0, 1), { kind: 'vanishing', evidence: VANISHING }) }),
    trial(2, {
      status: 'rejected',
      history: [{ epoch: 1, loss: 2.5, val_loss: 3, accuracy: 0.3, val_accuracy: 0.3, learningRate: 10 }, { epoch: 2, loss: Number.NaN, val_loss: Number.NaN, accuracy: 0.3, val_accuracy: 0.3, learningRate: 10 }],
      diagnostics: diagnostics(gradEpochs(1e3), { kind: 'exploding', evidence: EXPLODING }),
    }),
    trial(3, { status: 'failed', epochsRun: 0, history: [], plannedEpochs: null, error: 'Error: out of memory', attempt: 3, retries: 1, owner: 'node-7:4242' }),
  ];
}

/** The lines of the section whose title starts with `title`, up to the next blank line. */
function section(out: string, title: string): string[] {
  const blocks = out.split('\n\n').map((b) => b.split('\n'));
  const found = blocks.find((b) => b[0].startsWith(title));
  if (!found) throw new Error(`no section "${title}" in:\n${out}`);
  return found;
}

/** Body rows of the first cli-table3 table in `lines`, as trimmed cells. */
function rows(lines: string[]): string[][] {
  return lines
    .filter((l) => l.startsWith('│'))
    .slice(1)
    .map((l) => l.split('│').slice(1, -1).map((c) => c.trim()));
}

describe('formatTrial (table)', () => {
  const out = (n: number) => formatTrial(STUDY, trials(), n, { format: 'table' });

  it('heads with the trial: status, rank, score, epochs run / planned, duration, backend; then exact params', () => {
    expect(section(out(0), 'trial 0')).toEqual([
      'trial 0 of study "iris-demo"',
      '  status              completed',
      '  rank                1 of 1',
      '  val_accuracy (max)  0.8333 at epoch 2',
      '  epochs              2 run / 20 planned',
      '  duration            5.3 s',
      '  backend             cpu',
    ]);
    expect(section(out(0), 'params')).toEqual(['params', '  activation     tanh', '  learning_rate  0.0375', '  units          16']);
  });

  it('says how often a trial ran, when it ran more than once, and who ran it last', () => {
    expect(section(out(3), 'trial 3')).toContain('  runs                3, 1 after failing (--max-retries); the last by node-7:4242');
    expect(section(out(0), 'trial 0').join('\n')).not.toMatch(/runs/);
  });

  it('a healthy trial: the verdict and what the monitor watched for', () => {
    const lines = section(out(0), 'gradients');
    expect(lines[0]).toBe('gradients: healthy');
    expect(lines[1]).toBe('  checks        8, every 10 steps, preflight 40 steps, rejecting');
    expect(lines[2]).toMatch(/^ {2}vanishing if {2}first layer kernel grad < 1e-7, .* at 3 checks in a row$/);
    expect(lines[3]).toMatch(/^ {2}exploding if {2}.*any kernel grad > 1e4, /);
  });

  it('per epoch and layer: kernel, bias, weight, update ratio, saturated, dead; the global norm per epoch', () => {
    const lines = section(out(0), 'gradient statistics per epoch');
    expect(lines.find((l) => l.startsWith('│ epoch'))?.split('│').slice(1, -1).map((c) => c.trim())).toEqual([
      'epoch', 'layer', 'kernel grad', 'bias grad', 'weight', 'update ratio', 'saturated', 'dead', 'global grad',
    ]);
    expect(rows(lines)).toEqual([
      ['1', 'dense_1', '2.1e-9', '3e-10', '2.5', '8.4e-13', '0.25', '', '0.52'],
      ['', 'dense_2', '0.23', '0.17', '2.5', '0.005', '', '0.13', ''],
      ['', 'logits', '0.38', '-', '1.2e4', '0.0092', '', '', ''],
      ['2', 'dense_1', '4.2e-9', '3e-10', '2.5', '8.4e-13', '0.25', '', '1'],
      ['', 'dense_2', '0.23', '0.17', '2.5', '0.005', '', '0.13', ''],
      ['', 'logits', '0.38', '-', '1.2e4', '0.0092', '', '', ''],
    ]);
    expect(lines.at(-1)).toMatch(/^L2 norms, means over the epoch's checks; update ratio = learning rate × kernel grad \/ weight/);
  });

  it('the metrics history: every recorded metric and the learning rate, per epoch', () => {
    const lines = section(out(0), 'metrics per epoch');
    expect(lines.find((l) => l.startsWith('│ epoch'))?.replace(/\s+/g, ' ')).toBe('│ epoch │ loss │ val_loss │ accuracy │ val_accuracy │ learning rate │');
    expect(rows(lines)).toEqual([
      ['1', '0.7634', '0.7415', '0.7917', '0.8000', '0.0375'],
      ['2', '0.7051', '0.6867', '0.7833', '0.8333', '0.0375'],
    ]);
  });

  it('a regression trial shows mae and val_mae', () => {
    const t = trial(0, { history: [{ epoch: 1, loss: 4.2, val_loss: 5.1, mae: 1.7, val_mae: 1.9, learningRate: 1e-3 }] });
    const lines = section(formatTrial(STUDY, [t], 0, { format: 'table' }), 'metrics per epoch');
    expect(lines.find((l) => l.startsWith('│ epoch'))?.replace(/\s+/g, ' ')).toBe('│ epoch │ loss │ val_loss │ mae │ val_mae │ learning rate │');
    expect(rows(lines)).toEqual([['1', '4.200', '5.100', '1.700', '1.900', '1e-3']]);
  });

  it('a vanishing trial: the evidence spelled out', () => {
    const o = out(1);
    expect(section(o, 'trial 1')).toContain('  rank                unranked (1 ranked)');
    expect(section(o, 'trial 1')).toContain('  epochs              1 run / 20 planned');
    expect(section(o, 'gradients').slice(0, 8)).toEqual([
      'gradients: vanishing: dense_1 |g|=2.1e-9 (1e-7 floor) at preflight, epoch 1 step 40',
      '  statistic     kernel gradient norm',
      '  layer         dense_1',
      '  value         2.1e-9',
      '  threshold     1e-7 (fell below)',
      '  epoch         1',
      '  step          40',
      '  preflight     yes',
    ]);
    expect(rows(section(o, 'gradient statistics per epoch'))).toHaveLength(3);
  });

  it('an exploding trial: NaN readings as NaN, no threshold, a model-wide statistic', () => {
    const o = out(2);
    expect(section(o, 'gradients').slice(0, 8)).toEqual([
      'gradients: exploding: loss NaN at epoch 2 step 3',
      '  statistic     loss',
      '  layer         - (the whole model)',
      '  value         NaN',
      '  threshold     none: a non-finite reading is exploding by itself',
      '  epoch         2',
      '  step          3',
      '  preflight     no',
    ]);
    expect(rows(section(o, 'metrics per epoch'))[1].slice(0, 3)).toEqual(['2', 'NaN', 'NaN']);
    expect(rows(section(o, 'gradient statistics per epoch'))[0].slice(2, 3)).toEqual(['2.1e-6']);
  });

  it('a failed trial: its error, no diagnostics, no epochs', () => {
    const o = out(3);
    expect(section(o, 'trial 3')).toContain('  error               Error: out of memory');
    expect(section(o, 'trial 3')).toContain('  epochs              0 run / ? planned');
    expect(section(o, 'gradients')).toEqual([
      'gradients: -',
      '  no gradient diagnostics recorded (the trial failed or is still running, or the monitor was off)',
    ]);
    expect(section(o, 'gradient statistics per epoch')).toEqual(['gradient statistics per epoch', '  none recorded']);
    expect(section(o, 'metrics per epoch')).toEqual(['metrics per epoch', '  no epoch finished']);
  });

  it('a trial rejected at the preflight, inside epoch 1: the verdict, and why there are no epochs', () => {
    const t = trial(0, { status: 'rejected', epochsRun: 0, history: [], diagnostics: diagnostics([], { kind: 'vanishing', evidence: VANISHING }) });
    const o = formatTrial(STUDY, [t], 0, { format: 'table' });
    expect(section(o, 'trial 0')).toContain('  val_accuracy (max)  -');
    expect(section(o, 'gradients')[0]).toBe('gradients: vanishing: dense_1 |g|=2.1e-9 (1e-7 floor) at preflight, epoch 1 step 40');
    expect(section(o, 'gradient statistics per epoch')[1]).toBe('  none: the trial stopped before its first epoch ended');
    expect(section(o, 'metrics per epoch')[1]).toBe('  no epoch finished');
  });
});

describe('formatTrial (md, json, errors)', () => {
  it('md: a heading per section, bullet lists, markdown tables with escaped pipes', () => {
    const md = formatTrial(STUDY, trials(), 1, { format: 'md' });
    const headings = md.split('\n').filter((l) => l.startsWith('#'));
    expect(headings).toEqual([
      '## trial 1 of study `iris-demo`',
      '### params',
      '### gradients: vanishing: dense_1 |g|=2.1e-9 (1e-7 floor) at preflight, epoch 1 step 40',
      '### findings and remedies',
      '### gradient statistics per epoch',
      '### metrics per epoch',
    ]);
    expect(md).toContain('- **status**: rejected');
    expect(md).toContain('- **value**: 2.1e-9');
    expect(md).toContain('| epoch | layer | kernel grad | bias grad | weight | update ratio | saturated | dead | global grad |');
    expect(md).toContain('| 1 | dense_1 | 2.1e-9 | 3e-10 | 2.5 | 8.4e-13 | 0.25 |  | 0.52 |');
    expect(md).not.toContain('│');
  });

  it('json: the trial exactly as the leaderboard JSON has it', () => {
    const ts = trials();
    const board = JSON.parse(formatLeaderboard(STUDY, ts, { format: 'json' }));
    for (const n of [0, 1, 2, 3]) {
      const one = JSON.parse(formatTrial(STUDY, ts, n, { format: 'json' }));
      expect(one).toEqual(board.trials.find((t: { number: number }) => t.number === n));
    }
    const exploding = JSON.parse(formatTrial(STUDY, ts, 2, { format: 'json' }));
    expect(exploding.gradients.verdict.evidence.value).toBe('NaN');
    expect(exploding.gradients.epochs[0].layers.map((l: { layer: string }) => l.layer)).toEqual(['dense_1', 'dense_2', 'logits']);
  });

  it('an unknown trial number names the ones there are', () => {
    expectGradtuneError(() => formatTrial(STUDY, trials(), 99, { format: 'table' }), 'study "iris-demo" has no trial 99; it has trials 0..3');
    expectGradtuneError(() => formatTrial(STUDY, trials().slice(0, 1), 1, { format: 'json' }), 'has no trial 1; it has trial 0');
    expectGradtuneError(() => formatTrial(STUDY, [], 0, { format: 'table' }), 'study "iris-demo" has no trials yet; run gradtune search --study iris-demo');
  });
});

describe('gradtune report --trial', () => {
  it('shows a real trial per epoch and layer; an unknown trial is a one-line error', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    await runOk(['search', '--dataset', 'iris', '--space', 'quick', '--max-trials', '2', '--workers', '1'], { cwd, timeoutMs: 220_000 });
    const report = ['report', '--study', 'quick-iris'];
    const [table, json] = await Promise.all([
      runOk([...report, '--trial', '0'], { cwd }),
      runOk([...report, '--trial', '0', '--format', 'json'], { cwd }),
    ]);
    const t = JSON.parse(json.stdout) as { number: number; gradients: TrialDiagnostics; epochsRun: number };
    expect(t.number).toBe(0);
    expect(table.stdout).toMatch(/^trial 0 of study "quick-iris"$/m);
    expect(table.stdout).toMatch(/^gradients: healthy$/m);
    // Every epoch the monitor checked has a dense_1 row, with the epoch number on it.
    expect(t.gradients.epochs.length).toBeGreaterThan(0);
    for (const e of t.gradients.epochs) {
      expect(table.stdout).toMatch(new RegExp(`^│ +${e.epoch} │ dense_1 +│ +[-0-9.e]+ │`, 'm'));
    }
    expect(table.stdout).toContain('metrics per epoch');

    const store = join(cwd, 'gradtune.db');
    const [files, hash] = [listDir(cwd), sha256(store)];
    for (const args of [['--trial', '9'], ['--trial', '0', '--top', '2']]) {
      const bad = await runCli([...report, ...args], { cwd });
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    expect((await runCli([...report, '--trial', '9'], { cwd })).stderr).toBe(
      'gradtune: error: study "quick-iris" has no trial 9; it has trials 0..1\n',
    );
    expect(listDir(cwd)).toEqual(files);
    expect(sha256(store)).toBe(hash);
  });
});
