// Gradient diagnostics end to end through the command line: a search over a space of
// healthy, vanishing and exploding networks (test/fixtures/sick-space.ts) rejects the sick
// ones with the reading that condemned them, ranks them after every completed trial, says
// what rejection saved, keeps the verdicts but trains everything with --no-reject, and
// writes per-epoch, per-layer gradient statistics into `report --format json`.
//
// Which kinds a seed draws depends on the seed only (the random oracle's rng is seeded by
// (seed, trial number)); the seeds below were picked for the kinds they draw, noted beside
// each. Digits (1437 training rows, batch 32: 45 steps an epoch) is used where the default
// 40-step preflight must end inside the first epoch; iris (4 steps an epoch) is too short.
import { describe, it, expect } from 'vitest';
import { fixture, runOk, tempDir } from './helpers/cli.js';

/** A reading as the JSON report writes it: NaN and ±Infinity become strings. */
type Reading = number | 'NaN' | 'Infinity' | '-Infinity';

interface Evidence {
  statistic: string;
  layer: string | null;
  value: Reading;
  threshold: number | null;
  epoch: number;
  step: number;
  preflight: boolean;
}
interface LayerStats {
  layer: string;
  kernelGrad: Reading;
  biasGrad: Reading | null;
  weight: Reading;
  updateRatio: Reading;
}
interface Gradients {
  verdict: { kind: 'healthy' | 'vanishing' | 'exploding'; evidence?: Evidence };
  checks: number;
  epochs: Array<{ epoch: number; globalGrad: Reading; layers: LayerStats[] }>;
  settings: Record<string, unknown>;
}
/** The parts of a trial in `gradtune report --format json` these tests read. */
interface ReportTrial {
  rank: number | null;
  number: number;
  status: string;
  score: number | null;
  epochsRun: number;
  plannedEpochs: number | null;
  params: { kind: 'healthy' | 'vanishing' | 'exploding'; units: number; epochs: number };
  history: Array<{ epoch: number; loss: Reading }>;
  /** The monitor's record: `gradients` in the report (older builds wrote `diagnostics`). */
  gradients?: Gradients | null;
  diagnostics?: Gradients | null;
  error: string | null;
}
interface Report {
  trials: ReportTrial[];
}

const EPOCHS = 6; // the sick space's fixed epochs
const STUDY = 'sick-space-digits';
const SEARCH = ['search', '--space', fixture('sick-space.ts'), '--workers', '2'];

async function jsonReport(cwd: string, study = STUDY): Promise<Report> {
  const { stdout } = await runOk(['report', '--study', study, '--format', 'json'], { cwd, timeoutMs: 220_000 });
  return JSON.parse(stdout) as Report;
}

/** The gradient record of a trial, which every trial that trained must have. */
function gradientsOf(t: ReportTrial): Gradients {
  const g = t.gradients ?? t.diagnostics;
  expect(g, `trial ${t.number} (${t.params.kind}) has no gradient record in the JSON report`).toBeTruthy();
  return g!;
}

function ofKind(report: Report, kind: ReportTrial['params']['kind']): ReportTrial[] {
  return report.trials.filter((t) => t.params.kind === kind);
}

const isNonFinite = (v: unknown) => v === 'NaN' || v === 'Infinity' || v === '-Infinity';

/**
 * The evidence names a reading that really crossed its threshold, where and when it was
 * taken. `context` goes into failure messages.
 */
function expectEvidence(kind: 'vanishing' | 'exploding', e: Evidence | undefined, context: string): Evidence {
  expect(e, `${context}: a ${kind} verdict without evidence`).toBeDefined();
  const ev = e!;
  expect(Number.isInteger(ev.epoch) && ev.epoch >= 1 && ev.epoch <= EPOCHS, `${context}: epoch ${ev.epoch}`).toBe(true);
  expect(Number.isInteger(ev.step) && ev.step >= 1, `${context}: step ${ev.step}`).toBe(true);
  expect(typeof ev.preflight, context).toBe('boolean');
  if (kind === 'vanishing') {
    // All three vanishing readings are about the first hidden layer.
    expect(ev.statistic, context).toMatch(/^(kernel gradient norm|gradient norm ratio to logits|update ratio)$/);
    expect(ev.layer, context).toBe('dense_1');
    expect(typeof ev.value, context).toBe('number');
    expect(typeof ev.threshold, context).toBe('number');
    expect(ev.value as number, context).toBeLessThan(ev.threshold!);
  } else {
    expect(ev.statistic, context).toMatch(/^(loss|kernel gradient norm|bias gradient norm|global gradient growth)$/);
    if (ev.statistic === 'loss' || ev.statistic === 'global gradient growth') expect(ev.layer, context).toBeNull();
    else expect(ev.layer, context).toMatch(/^(dense_\d+|logits)$/);
    if (ev.threshold === null) {
      // A non-finite reading has no threshold: it is exploding whatever the settings.
      expect(isNonFinite(ev.value), `${context}: value ${String(ev.value)} without a threshold`).toBe(true);
    } else {
      expect(typeof ev.value, context).toBe('number');
      expect(ev.value as number, context).toBeGreaterThan(ev.threshold);
    }
  }
  return ev;
}

describe('gradtune search rejects trials whose gradients vanish or explode', () => {
  it('stores them as rejected with the evidence, ranks them last and says what it saved', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    // Seed 5 draws 2 healthy, 2 vanishing and 2 exploding configurations.
    const search = await runOk([...SEARCH, '--dataset', 'digits', '--max-trials', '6', '--seed', '5'], { cwd, timeoutMs: 220_000 });
    const report = await jsonReport(cwd);
    expect(report.trials).toHaveLength(6);
    const [healthy, vanishing, exploding] = (['healthy', 'vanishing', 'exploding'] as const).map((k) => ofKind(report, k));
    expect([healthy.length, vanishing.length, exploding.length]).toEqual([2, 2, 2]);

    for (const t of healthy) {
      const context = `healthy trial ${t.number}`;
      expect(t.status, context).toBe('completed');
      expect(t.error, context).toBeNull();
      expect(gradientsOf(t).verdict, context).toEqual({ kind: 'healthy' });
      expect(t.rank, context).toEqual(expect.any(Number));
      expect(t.epochsRun, context).toBe(EPOCHS);
      expect(t.plannedEpochs, context).toBe(EPOCHS);
    }
    for (const t of [...vanishing, ...exploding]) {
      const kind = t.params.kind as 'vanishing' | 'exploding';
      const context = `${kind} trial ${t.number}`;
      expect(t.status, context).toBe('rejected');
      expect(t.rank, context).toBeNull();
      expect(t.error, context).toBeNull();
      const g = gradientsOf(t);
      expect(g.verdict.kind, context).toBe(kind);
      const evidence = expectEvidence(kind, g.verdict.evidence, context);
      // The default preflight (40 steps) ends inside digits' first epoch (45 steps), and
      // both kinds are condemned within it: rejected there, before an epoch completed.
      expect(evidence, context).toMatchObject({ preflight: true, epoch: 1 });
      expect(evidence.step, context).toBeLessThanOrEqual(40);
      expect(t.epochsRun, context).toBe(0);
      expect(t.history, context).toHaveLength(0);
      expect(t.plannedEpochs, context).toBe(EPOCHS);
      expect(t.plannedEpochs!, context).toBeGreaterThan(t.epochsRun);
    }

    // Every completed trial comes before every rejected one in the ranked JSON.
    const positions = (status: string) => report.trials.flatMap((t, i) => (t.status === status ? [i] : []));
    expect(Math.max(...positions('completed'))).toBeLessThan(Math.min(...positions('rejected')));
    expect(report.trials.slice(0, 2).map((t) => t.rank)).toEqual([1, 2]);

    // The search says how many it rejected and the epochs that saved, as the store has it.
    const saved = report.trials.reduce((sum, t) => sum + (t.status === 'rejected' ? t.plannedEpochs! - t.epochsRun : 0), 0);
    const planned = report.trials.reduce((sum, t) => sum + t.epochsRun, 0) + saved;
    expect(saved).toBe(4 * EPOCHS);
    expect(search.stdout).toMatch(
      new RegExp(`^gradient diagnostics rejected 4 trials \\(2 vanishing, 2 exploding\\), saving ${saved} of ${planned} epochs \\(${Math.round((100 * saved) / planned)}%\\)$`, 'm'),
    );
  });

  it('keeps the verdicts but trains every trial with --no-reject', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    // Seed 0 draws one of each kind: healthy, vanishing, exploding.
    const search = await runOk([...SEARCH, '--dataset', 'digits', '--max-trials', '3', '--seed', '0', '--no-reject'], { cwd, timeoutMs: 220_000 });
    expect(search.stdout).not.toContain('gradient diagnostics rejected');
    const report = await jsonReport(cwd);
    expect(report.trials.map((t) => t.params.kind).sort()).toEqual(['exploding', 'healthy', 'vanishing']);
    for (const t of report.trials) {
      const context = `${t.params.kind} trial ${t.number}`;
      expect(t.status, context).toBe('completed');
      const g = gradientsOf(t);
      expect(g.settings.reject, context).toBe(false);
      expect(g.verdict.kind, context).toBe(t.params.kind);
      if (t.params.kind !== 'healthy') expectEvidence(t.params.kind, g.verdict.evidence, context);
      expect(t.plannedEpochs, context).toBe(EPOCHS);
      expect(t.history, context).toHaveLength(t.epochsRun);
      // The space has no early stopping: a trial trains all its epochs unless its loss
      // stopped being a number (the loop stops then, whatever the monitor says).
      const lastLoss = t.history[t.history.length - 1]?.loss;
      if (t.params.kind === 'exploding' && isNonFinite(lastLoss)) continue;
      expect(t.epochsRun, context).toBe(EPOCHS);
    }
    // The vanishing one must have trained on, long after its verdict.
    const [vanishing] = ofKind(report, 'vanishing');
    expect(vanishing.epochsRun).toBe(EPOCHS);
    expect(gradientsOf(vanishing).verdict.evidence!.epoch).toBeLessThan(EPOCHS);
  });

  it('still rejects without a preflight, at the end of an epoch (--preflight-steps 0 --diag-every 5)', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    // Seed 2 draws an exploding then a vanishing configuration.
    const args = ['--dataset', 'digits', '--max-trials', '2', '--seed', '2', '--preflight-steps', '0', '--diag-every', '5'];
    const search = await runOk([...SEARCH, ...args], { cwd, timeoutMs: 220_000 });
    expect(search.stdout).toMatch(/^gradient diagnostics rejected 2 trials \(1 vanishing, 1 exploding\), saving \d+ of \d+ epochs/m);
    const report = await jsonReport(cwd);
    expect(report.trials.map((t) => t.params.kind).sort()).toEqual(['exploding', 'vanishing']);
    for (const t of report.trials) {
      const kind = t.params.kind as 'vanishing' | 'exploding';
      const context = `${kind} trial ${t.number}`;
      expect(t.status, context).toBe('rejected');
      const g = gradientsOf(t);
      expect(g.settings, context).toMatchObject({ preflightSteps: 0, diagEvery: 5, reject: true });
      expect(g.verdict.kind, context).toBe(kind);
      const evidence = expectEvidence(kind, g.verdict.evidence, context);
      expect(evidence.preflight, context).toBe(false);
      // Checks are read at the end of the epoch they were taken in: that epoch is the last one run.
      expect(t.epochsRun, context).toBe(evidence.epoch);
      expect(t.history, context).toHaveLength(t.epochsRun);
      // Every 5 steps from step 1: a check's 1-based step is 1, 6, 11, ... within digits' first epoch.
      if (evidence.epoch === 1) expect((evidence.step - 1) % 5, context).toBe(0);
      expect(t.plannedEpochs!, context).toBeGreaterThan(t.epochsRun);
    }
  });

  it('writes per-epoch, per-layer gradient statistics into the JSON report', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    // Seed 0 draws healthy (2 hidden layers), then vanishing (10). With 4 steps an epoch on
    // iris, --diag-every 2 gives every epoch its checks; --no-reject lets both train 6 epochs.
    await runOk([...SEARCH, '--dataset', 'iris', '--max-trials', '2', '--seed', '0', '--no-reject', '--diag-every', '2'], { cwd, timeoutMs: 220_000 });
    const report = await jsonReport(cwd, 'sick-space-iris');
    expect(report.trials.map((t) => t.params.kind).sort()).toEqual(['healthy', 'vanishing']);
    for (const t of report.trials) {
      const context = `${t.params.kind} trial ${t.number}`;
      expect(t.status, context).toBe('completed');
      expect(t.epochsRun, context).toBe(EPOCHS);
      const g = gradientsOf(t);
      // Steps 0, 2, 4, ..., 22 of 24, and step 23: the 40-step preflight probe is capped at
      // the trial's 24 steps and ends with a check: 13 checks.
      expect(g.checks, context).toBe(13);
      expect(g.epochs.map((e) => e.epoch), context).toEqual([1, 2, 3, 4, 5, 6]);
      const depth = t.params.kind === 'healthy' ? 2 : 10;
      const names = [...Array.from({ length: depth }, (_, i) => `dense_${i + 1}`), 'logits'];
      for (const epoch of g.epochs) {
        const where = `${context}, epoch ${epoch.epoch}`;
        expect(epoch.layers.map((l) => l.layer), where).toEqual(names);
        expect(typeof epoch.globalGrad === 'number' && epoch.globalGrad > 0, `${where}: global norm ${String(epoch.globalGrad)}`).toBe(true);
        for (const l of epoch.layers) {
          const at = `${where}, ${l.layer}`;
          for (const stat of [l.kernelGrad, l.weight, l.updateRatio]) {
            expect(typeof stat === 'number' && stat > 0, `${at}: ${JSON.stringify(l)}`).toBe(true);
          }
          // Every dense layer has a bias (no batch norm in this space).
          expect(typeof l.biasGrad === 'number' && l.biasGrad >= 0, `${at}: ${JSON.stringify(l)}`).toBe(true);
        }
      }
    }
    // The readings tell the two apart: the sigmoid stack's first layer gets almost nothing.
    const firstLayer = (kind: 'healthy' | 'vanishing') => gradientsOf(ofKind(report, kind)[0]).epochs[0].layers[0].kernelGrad as number;
    expect(firstLayer('vanishing')).toBeLessThan(1e-7);
    expect(firstLayer('healthy')).toBeGreaterThan(1e-4);
  });

  // KNOWN BUG (see the report): the monitor sees the loss only at its checks (every
  // --diag-every steps). On iris (4 steps an epoch) the exploding network's loss turns NaN
  // at steps 1-3, between the checks at steps 0 and 10; the loop then stops on the
  // non-finite epoch loss without telling the monitor, so the trial is stored `completed`
  // with verdict `healthy`, and ranked with the score of a NaN model. Remove `.fails` when fixed.
  it('judges a trial whose loss turns NaN between checks exploding, and does not rank it', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    // Seed 2 draws an exploding configuration first.
    await runOk([...SEARCH, '--dataset', 'iris', '--max-trials', '1', '--seed', '2', '--workers', '1'], { cwd, timeoutMs: 220_000 });
    const [t] = (await jsonReport(cwd, 'sick-space-iris')).trials;
    expect(t.params.kind).toBe('exploding');
    expect(gradientsOf(t).verdict.kind).toBe('exploding');
    expect(t.status).toBe('rejected');
    expect(t.rank).toBeNull();
  });
});
