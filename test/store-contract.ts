// The Store contract: one suite that every store (SQLite, PostgreSQL) passes unchanged.
// A store factory gives a fresh, empty store per test and may open several connections
// to it (several processes sharing one study).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../src/oracle/oracle.js';
import { workSeed } from '../src/oracle/seed.js';
import type { NewStudy, Store, StudyRecord, TrialOutcomeUpdate, TrialSummary } from '../src/store/store.js';
import type { EpochRecord } from '../src/train/types.js';
import { resolveDiagnostics } from '../src/train/diagnostics-settings.js';
import type { TrialDiagnostics } from '../src/train/diagnostics-types.js';
import { GradtuneError } from '../src/errors.js';
import { makeNewStudy } from './helpers/records.js';

export interface StoreOpenOptions {
  now?: () => Date;
  staleAfterMs?: number;
  owner?: string;
  ownerAlive?: (owner: string) => boolean | undefined;
}

export interface StoreFactory {
  /** Empties the store (a new file, or the tables truncated) before each test. */
  reset(): Promise<void>;
  /** Opens a connection to the store of this test. */
  open(opts?: StoreOpenOptions): Promise<Store>;
}

export function newStudy(overrides: Partial<NewStudy> = {}): NewStudy {
  return makeNewStudy({
    name: 'iris-random',
    space: 'mlp-classifier',
    spaceFingerprint: 'abc123',
    datasetFingerprint: 'sha256:abc',
    data: { builtin: 'iris', valSplit: 0.2, seed: 7 },
    settings: { maxTrials: 10 },
    maxEpochs: 20,
    ...overrides,
  });
}

/** A clock the test moves by hand, so timestamps can be asserted exactly. */
export function manualClock(start = '2024-05-01T12:00:00.000Z') {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

const run = (params: Record<string, number | string | boolean> = { lr: 0.01 }) => (): Decision => ({ kind: 'run', params });

function epoch(n: number, extra: Partial<EpochRecord> = {}): EpochRecord {
  return { epoch: n, loss: 1 / n, val_loss: 1.5 / n, learningRate: 0.01, ...extra };
}

const completed: TrialOutcomeUpdate = { status: 'completed', score: 0.9, bestEpoch: 3, epochsRun: 3, history: [], backend: 'cpu', durationMs: 10 };

async function expectGradtuneRejection(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GradtuneError);
  expect((err as Error).message).toMatch(pattern);
  expect((err as Error).message).not.toContain('\n');
}

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`${name}: the Store contract`, () => {
    const opened: Store[] = [];
    const open = async (opts?: StoreOpenOptions) => {
      const store = await factory.open(opts);
      opened.push(store);
      return store;
    };
    beforeEach(async () => {
      await factory.reset();
    });
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close().catch(() => undefined);
    });

    describe('studies', () => {
      it('creates, gets, lists and deletes a study', async () => {
        const clock = manualClock();
        const store = await open(clock);
        const created = await store.createStudy(newStudy());
        expect(created).toMatchObject({ ...newStudy(), createdAt: '2024-05-01T12:00:00.000Z' });
        expect(await store.getStudy('iris-random')).toEqual(created);
        expect(await store.getStudy('nope')).toBeUndefined();
        await store.createStudy(newStudy({ name: 'digits', datasetName: 'digits' }));
        expect((await store.listStudies()).map((s) => s.name)).toEqual(['iris-random', 'digits']);
        await store.ask(created.id, run());
        await store.enqueue(created.id, { lr: 0.5 });
        await store.deleteStudy('iris-random');
        expect(await store.getStudy('iris-random')).toBeUndefined();
        expect(await store.trials(created.id)).toEqual([]);
        expect((await store.listStudies()).map((s) => s.name)).toEqual(['digits']);
      });

      it('round-trips data and settings, including an infinite setting, and updates settings', async () => {
        const store = await open();
        const study = newStudy({
          data: { path: '/data/x.csv.gz', target: 'label', task: 'classification', valSplit: 0.25, seed: 3 },
          settings: { maxTrials: Infinity, nested: { factor: 3, brackets: [1, 2] } },
        });
        const created = await store.createStudy(study);
        expect(created.data).toEqual(study.data);
        expect(created.settings).toEqual(study.settings);
        expect(created.settings.maxTrials).toBe(Infinity);
        const updated = await store.updateStudySettings(created.id, { ...created.settings, maxTrials: 40 });
        expect(updated.settings.maxTrials).toBe(40);
        expect((await store.getStudy(study.name))!.settings).toEqual({ maxTrials: 40, nested: { factor: 3, brackets: [1, 2] } });
      });

      it('refuses a duplicate name and an invalid name, and deleting an unknown study', async () => {
        const store = await open();
        await store.createStudy(newStudy());
        await expectGradtuneRejection(store.createStudy(newStudy()), /already exists/);
        await expectGradtuneRejection(store.createStudy(newStudy({ name: 'bad name' })), /A-Z a-z 0-9/);
        await expectGradtuneRejection(store.deleteStudy('missing'), /no study named missing/);
        expect(await store.listStudies()).toHaveLength(1);
      });

      it('lists studies with counts by status, best by direction and last activity', async () => {
        const clock = manualClock();
        const store = await open(clock);
        const fill = async (studyName: string, direction: 'min' | 'max') => {
          const { id } = await store.createStudy(newStudy({ name: studyName, objective: { metric: 'm', direction }, settings: { sampler: { name: 'tpe' } } }));
          const finish = async (status: 'completed' | 'failed' | 'rejected' | 'pruned', score: number | null) => {
            const asked = await store.ask(id, run({ n: Math.random() }));
            if (asked.kind !== 'run') throw new Error('expected run');
            clock.advance(1000);
            await store.tell(id, asked.trial.number, { ...completed, status, score });
          };
          await finish('completed', 0.5);
          await finish('completed', 0.2);
          await finish('completed', 0.8);
          await finish('completed', null);
          // Only completed trials count for best, whatever their scores.
          await finish('rejected', 0.99);
          await finish('rejected', 0.01);
          await finish('failed', null);
          await finish('pruned', 0.3);
          await store.ask(id, run());
        };
        await fill('maximise', 'max');
        await fill('minimise', 'min');
        await store.createStudy(newStudy({ name: 'empty' }));
        const summaries = await store.listStudies();
        const counts = { completed: 4, rejected: 2, failed: 1, pruned: 1, running: 1 };
        expect(summaries.map((s) => [s.name, s.best, s.counts])).toEqual([
          ['maximise', 0.8, counts],
          ['minimise', 0.2, counts],
          ['empty', null, {}],
        ]);
        expect(summaries[0]).toMatchObject({ space: 'mlp-classifier', datasetName: 'iris', algorithm: 'random', sampler: 'tpe', lastActivity: '2024-05-01T12:00:08.000Z' });
        expect(summaries[2].lastActivity).toBe(summaries[2].createdAt);
        expect(await store.countTrials((await store.getStudy('minimise'))!.id)).toEqual(counts);
      });
    });

    describe('ask', () => {
      it('inserts running trials numbered 0, 1, 2 and shows decide the history as summaries', async () => {
        const clock = manualClock();
        const store = await open(clock);
        const { id } = await store.createStudy(newStudy());
        const seen: number[][] = [];
        const decide = (study: StudyRecord, trials: readonly TrialSummary[]): Decision => {
          expect(study.id).toBe(id);
          seen.push(trials.map((t) => t.number));
          // Summaries: no history, no diagnostics.
          for (const t of trials) expect(t).not.toHaveProperty('history');
          return { kind: 'run', params: { lr: 0.001 * (trials.length + 1), act: 'relu', bn: true } };
        };
        const numbers: number[] = [];
        for (let i = 0; i < 3; i++) {
          const result = await store.ask(id, decide);
          if (result.kind !== 'run') throw new Error('expected run');
          numbers.push(result.trial.number);
          expect(result.trial).toMatchObject({
            studyId: id,
            status: 'running',
            params: { lr: 0.001 * (i + 1), act: 'relu', bn: true },
            score: null,
            epochsRun: 0,
            startedAt: clock.now().toISOString(),
            heartbeatAt: clock.now().toISOString(),
            finishedAt: null,
            hasCheckpoint: false,
          });
          clock.advance(1000);
        }
        expect(numbers).toEqual([0, 1, 2]);
        expect(seen).toEqual([[], [0], [0, 1]]);
        expect(await store.countTrials(id)).toEqual({ running: 3 });
      });

      it('seeds a trial from its configuration and epoch range, not from its number', async () => {
        const store = await open();
        const study = await store.createStudy(newStudy({ seed: 5 }));
        const asked = await store.ask(study.id, () => ({ kind: 'run', params: { lr: 0.1 }, fromEpoch: 3, toEpoch: 9 }));
        expect(asked.kind === 'run' && asked.trial.seed).toBe(workSeed(5, { lr: 0.1 }, 3, 9));
      });

      it('inserts nothing when decide says wait or done; an async decide works', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy());
        expect(await store.ask(id, () => ({ kind: 'wait' }))).toEqual({ kind: 'wait' });
        expect(await store.ask(id, async () => ({ kind: 'done', reason: 'maxTrials reached' }))).toEqual({ kind: 'done', reason: 'maxTrials reached' });
        expect(await store.trials(id)).toEqual([]);
        expect(await store.ask(id, async () => ({ kind: 'run', params: { a: 1 } }))).toMatchObject({ kind: 'run', trial: { number: 0 } });
      });

      it('writes nothing when decide throws, and refuses an unknown study', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy());
        await expect(
          store.ask(id, () => {
            throw new Error('oracle bug');
          }),
        ).rejects.toThrow('oracle bug');
        expect(await store.trials(id)).toEqual([]);
        await expectGradtuneRejection(store.ask(id + 100, run()), /no longer exists/);
      });

      it('refuses non-finite parameters instead of storing null', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy());
        await expect(store.ask(id, run({ lr: NaN }))).rejects.toThrow(/lr is NaN/);
        expect(await store.trials(id)).toEqual([]);
      });

      it('decides outside the write lock: another connection may write meanwhile, and the decision is made again on the new history', async () => {
        const a = await open();
        const b = await open();
        const { id } = await a.createStudy(newStudy());
        const seen: number[] = [];
        let raced = false;
        const asked = await a.ask(id, async (_s, trials) => {
          seen.push(trials.length);
          if (!raced) {
            raced = true;
            // While a decides, b inserts a trial: a's first decision is stale.
            await b.ask(id, run({ by: 'b' }));
          }
          return { kind: 'run', params: { by: 'a', seen: trials.length } };
        });
        expect(seen).toEqual([0, 1]);
        expect(asked).toMatchObject({ kind: 'run', trial: { number: 1, params: { by: 'a', seen: 1 } } });
      });

      it('summaries follow every change another connection makes, reading only what changed', async () => {
        const a = await open();
        const b = await open();
        const { id } = await a.createStudy(newStudy());
        for (let i = 0; i < 5; i++) await a.ask(id, run({ i }));
        expect((await a.summaries(id)).map((t) => t.status)).toEqual(Array(5).fill('running'));
        await b.tell(id, 2, { ...completed, checkpoint: new Uint8Array([1, 2]) });
        await b.release(id, 3, 1);
        const after = await a.summaries(id);
        expect(after.map((t) => t.status)).toEqual(['running', 'running', 'completed', 'stale', 'running']);
        expect(after[2]).toMatchObject({ score: 0.9, hasCheckpoint: true });
        await b.dropCheckpoints(id, () => new Set());
        expect((await a.summaries(id))[2].hasCheckpoint).toBe(false);
      });

      it('changedTrials reads the full trials changed since a seq, and none when nothing changed', async () => {
        const a = await open();
        const b = await open();
        const { id } = await a.createStudy(newStudy());
        const empty = await b.changedTrials(id, 0);
        expect(empty.trials).toEqual([]);
        for (let i = 0; i < 3; i++) await a.ask(id, run({ i }));
        const first = await b.changedTrials(id, 0);
        expect(first.trials.map((t) => [t.number, t.status])).toEqual([[0, 'running'], [1, 'running'], [2, 'running']]);
        expect(first.seq).toBeGreaterThan(empty.seq);
        // Nothing new: no trials, the same seq.
        expect(await b.changedTrials(id, first.seq)).toEqual({ trials: [], seq: first.seq });
        await a.tell(id, 1, { ...completed, history: [epoch(1), epoch(2)], epochsRun: 2 });
        await a.reportEpoch(id, { number: 2, attempt: 1, run: 0, epoch: 1, value: 0.5, record: epoch(1, { val_accuracy: 0.5 }) });
        const next = await b.changedTrials(id, first.seq);
        // Only the told trial, in full; an epoch report does not move the seq.
        expect(next.trials.map((t) => [t.number, t.status, t.history.length])).toEqual([[1, 'completed', 2]]);
        expect(next.seq).toBeGreaterThan(first.seq);
        await a.release(id, 2, 1);
        const released = await b.changedTrials(id, next.seq);
        expect(released.trials.map((t) => [t.number, t.status])).toEqual([[2, 'stale']]);
        // A running trial read this way carries its curve so far.
        await a.ask(id, run({ i: 3 }));
        const rerun = await b.changedTrials(id, released.seq);
        expect(rerun.trials.map((t) => t.status)).toContain('running');
        await a.deleteStudy(newStudy().name);
        await expect(b.changedTrials(id, 0)).rejects.toThrow(GradtuneError);
      });
    });

    describe('changedTrials, light', () => {
      it('cuts a finished trial\'s history and per-epoch gradient statistics to their last epoch, and keeps the rest and running trials whole', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy());
        for (let i = 0; i < 4; i++) await store.ask(id, run({ i }));
        const stats = (n: number) => ({ epoch: n, globalGrad: 0.5 * n, layers: [{ layer: 'dense', kernelGrad: 0.1, biasGrad: 0.01, weight: 1, updateRatio: 1e-3 }] });
        const diagnostics = { verdict: { kind: 'exploding' }, checks: 7, epochs: [stats(1), stats(2)], settings: { every: 1 }, rejectedBy: 'exploding' } as unknown as TrialDiagnostics;
        const history = [epoch(1), epoch(2), epoch(3, { loss: Number.NaN, val_loss: Number.POSITIVE_INFINITY })];
        await store.tell(id, 0, { ...completed, history, epochsRun: 3, diagnostics });
        await store.tell(id, 1, { ...completed, history: [], diagnostics: { ...diagnostics, epochs: [] } });
        await store.tell(id, 2, { ...completed, history: [epoch(1)], diagnostics: null });
        await store.reportEpoch(id, { number: 3, attempt: 1, run: 0, epoch: 1, value: 0.5, record: epoch(1) });
        await store.reportEpoch(id, { number: 3, attempt: 1, run: 0, epoch: 2, value: 0.6, record: epoch(2) });
        const full = (await store.changedTrials(id, 0)).trials;
        const light = await store.changedTrials(id, 0, { light: true });
        expect(light.seq).toBe((await store.changedTrials(id, 0)).seq);
        const [t0, t1, t2, t3] = light.trials;
        expect(t0!.history).toEqual([history[2]]);
        expect(t0!.history[0]!.loss).toBeNaN();
        expect(t0!.diagnostics).toEqual({ ...diagnostics, epochs: [stats(2)] });
        expect({ ...t0!, history: [], diagnostics: null }).toEqual({ ...full[0]!, history: [], diagnostics: null });
        expect(t1!.history).toEqual([]);
        expect(t1!.diagnostics).toEqual({ ...diagnostics, epochs: [] });
        expect(t2).toEqual(full[2]);
        // Running: its curve so far, whole.
        expect(t3!.status).toBe('running');
        expect(t3!.history).toEqual([epoch(1), epoch(2)]);
      });
    });

    describe('tell, heartbeat, staleness and retries', () => {
      it('hands a trial whose heartbeat is older than the grace period out again, same number and params, before the oracle decides', async () => {
        const clock = manualClock();
        const store = await open({ now: clock.now, staleAfterMs: 60_000, owner: 'host-a:1' });
        const { id } = await store.createStudy(newStudy());
        await store.ask(id, run({ lr: 0.1 }));
        await store.ask(id, run({ lr: 0.2 }));
        clock.advance(50_000);
        await store.heartbeat(id, 1); // trial 1 is alive; trial 0 lost its worker
        clock.advance(20_000);
        let decided = false;
        const again = await store.ask(id, () => {
          decided = true;
          return { kind: 'wait' };
        });
        expect(decided).toBe(false);
        expect(again).toMatchObject({ kind: 'run', rerun: 'stale', trial: { number: 0, params: { lr: 0.1 }, status: 'running', attempt: 2, retries: 0 } });
        expect((await store.trials(id)).map((t) => [t.number, t.status])).toEqual([
          [0, 'running'],
          [1, 'running'],
        ]);
        // The lost attempt stays on record.
        expect(await store.attempts(id)).toMatchObject([{ number: 0, attempt: 1, status: 'stale', owner: 'host-a:1' }]);
        // Nothing else is lost now: the oracle decides the next ask.
        expect(await store.ask(id, () => ({ kind: 'wait' }))).toEqual({ kind: 'wait' });
        // The lost first attempt may still report late: discarded, the re-run's result counts.
        expect(await store.tell(id, 0, { ...completed, score: 0.5, attempt: 1 })).toBe(false);
        expect((await store.trial(id, 0))!.status).toBe('running');
        expect(await store.tell(id, 0, { ...completed, score: 0.6, attempt: 2 })).toBe(true);
        expect(await store.trial(id, 0)).toMatchObject({ status: 'completed', score: 0.6 });
      });

      it('re-runs at once a trial whose process on this machine is gone, without waiting for the grace period', async () => {
        const alive = new Set(['host-a:1']);
        const opts = (owner: string) => ({ owner, staleAfterMs: 60_000, ownerAlive: (o: string) => alive.has(o) });
        const a = await open(opts('host-a:1'));
        const { id } = await a.createStudy(newStudy());
        await a.ask(id, run({ lr: 0.1 }));
        const b = await open(opts('host-a:2'));
        // Process 1 is alive: its trial is not taken from it.
        expect(await b.ask(id, run({ lr: 0.2 }))).toMatchObject({ kind: 'run', trial: { number: 1, owner: 'host-a:2' } });
        alive.delete('host-a:1');
        expect(await b.ask(id, run({ lr: 0.3 }))).toMatchObject({ kind: 'run', rerun: 'stale', trial: { number: 0, params: { lr: 0.1 }, owner: 'host-a:2' } });
      });

      it('re-runs a failed trial while it has retries left (--max-retries), keeping each attempt on record', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy());
        await store.ask(id, run({ lr: 0.1 }));
        const failed: TrialOutcomeUpdate = { status: 'failed', score: null, bestEpoch: null, epochsRun: 0, history: [], backend: 'cpu', durationMs: 1, error: 'boom' };
        await store.tell(id, 0, failed);
        expect(await store.ask(id, run({ lr: 0.2 }), { maxRetries: 1 })).toMatchObject({ kind: 'run', rerun: 'retry', trial: { number: 0, params: { lr: 0.1 }, retries: 1, attempt: 2 } });
        await store.tell(id, 0, { ...failed, error: 'boom again', attempt: 2 });
        // Retries used up: the oracle decides, and the failure stays on record.
        expect(await store.ask(id, run({ lr: 0.2 }), { maxRetries: 1 })).toMatchObject({ kind: 'run', trial: { number: 1 } });
        expect(await store.trial(id, 0)).toMatchObject({ status: 'failed', error: 'boom again', retries: 1 });
        expect(await store.attempts(id)).toMatchObject([{ number: 0, attempt: 1, status: 'failed', error: 'boom' }]);
        // Without --max-retries a failed trial is never re-run.
        await store.tell(id, 1, failed);
        expect(await store.ask(id, run({ lr: 0.3 }))).toMatchObject({ kind: 'run', trial: { number: 2 } });
      });

      it('release gives an interrupted trial back: the next ask re-runs it', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy());
        await store.ask(id, run({ lr: 0.1 }));
        await store.release(id, 0, 1);
        expect((await store.trial(id, 0))!.status).toBe('stale');
        expect(await store.ask(id, run({ lr: 0.2 }))).toMatchObject({ kind: 'run', rerun: 'stale', trial: { number: 0, params: { lr: 0.1 } } });
      });

      it('stores what the oracle decided beyond params: parent, epochs and schedule slot', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy());
        await store.ask(id, run({ lr: 0.1 }));
        const asked = await store.ask(id, () => ({ kind: 'run', params: { lr: 0.1 }, parent: 0, fromEpoch: 3, toEpoch: 9, slot: { iteration: 0, bracket: 2, round: 1 } }));
        expect(asked.kind === 'run' && asked.trial).toMatchObject({ number: 1, parent: 0, fromEpoch: 3, toEpoch: 9, slot: { iteration: 0, bracket: 2, round: 1 } });
        expect((await store.trials(id))[0]).toMatchObject({ parent: null, fromEpoch: null, toEpoch: null, slot: null });
      });

      it('stores the trial a repair repairs, and a rejected trial\'s remedies in its summary (--repair)', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy());
        await store.ask(id, run({ act: 'sigmoid' }));
        const remedies = [{ cure: 'ReLU-family activation', changes: [{ param: 'act', from: 'sigmoid', to: 'relu' }], drops: [], sideEffects: [] }];
        await store.tell(id, 0, { status: 'rejected', score: null, bestEpoch: null, epochsRun: 1, history: [], backend: 'cpu', durationMs: 1, remedies });
        const asked = await store.ask(id, () => ({ kind: 'run', params: { act: 'relu' }, repairOf: 0 }));
        expect(asked.kind === 'run' && asked.trial).toMatchObject({ number: 1, repairOf: 0, remedies: null });
        const [rejected, repair] = await store.summaries(id);
        expect(rejected).toMatchObject({ repairOf: null, remedies });
        expect(repair).toMatchObject({ repairOf: 0, remedies: null });
        // Only a rejected trial keeps remedies: they are what --repair tries next.
        await store.tell(id, 1, { status: 'completed', score: 0.9, bestEpoch: 1, epochsRun: 1, history: [], backend: 'cpu', durationMs: 1, remedies });
        expect((await store.trial(id, 1))!.remedies).toBeNull();
      });

      it('round-trips params, history and diagnostics, keeping NaN and Infinity', async () => {
        const clock = manualClock();
        const store = await open({ now: clock.now, owner: 'me:1' });
        const { id } = await store.createStudy(newStudy());
        const params = { lr: 0.003, units: 64, act: 'NaN', bn: false };
        await store.ask(id, run(params));
        const history = [epoch(1, { accuracy: 0.5, val_accuracy: 0.55 }), epoch(2, { loss: Infinity, val_loss: NaN, val_accuracy: -Infinity })];
        const diagnostics: TrialDiagnostics = {
          verdict: { kind: 'exploding', evidence: { statistic: 'loss', layer: null, value: NaN, threshold: null, epoch: 2, step: 7, preflight: false } },
          checks: 9,
          epochs: [{ epoch: 1, globalGrad: Infinity, layers: [{ layer: 'dense_1', kernelGrad: 0.5, biasGrad: null, weight: 3, updateRatio: 1e-3, dead: 0.25 }] }],
          settings: resolveDiagnostics(),
        };
        clock.advance(5000);
        await store.tell(id, 0, { status: 'rejected', score: 0.55, bestEpoch: 1, epochsRun: 2, history, backend: 'cpu', durationMs: 4999, error: 'exploding gradients', diagnostics, plannedEpochs: 10 });
        await store.close();

        const [trial] = await (await open()).trials(id);
        expect(trial).toEqual({
          studyId: id,
          number: 0,
          status: 'rejected',
          params,
          score: 0.55,
          bestEpoch: 1,
          epochsRun: 2,
          history,
          backend: 'cpu',
          startedAt: '2024-05-01T12:00:00.000Z',
          finishedAt: '2024-05-01T12:00:05.000Z',
          durationMs: 4999,
          heartbeatAt: '2024-05-01T12:00:00.000Z',
          error: 'exploding gradients',
          diagnostics,
          plannedEpochs: 10,
          parent: null,
          fromEpoch: null,
          toEpoch: null,
          slot: null,
          owner: 'me:1',
          attempt: 1,
          retries: 0,
          seed: workSeed(newStudy().seed, params, undefined, undefined),
          // The validation loss of the best epoch (1): the tie-break between equal scores.
          bestValLoss: 1.5,
          scoreStd: null,
          runs: null,
          hasCheckpoint: false,
          pruned: null,
          repairOf: null,
          remedies: null,
        });
        expect(Number.isNaN(trial.diagnostics!.verdict.evidence!.value)).toBe(true);
        expect(Number.isNaN(trial.history[1].val_loss)).toBe(true);
        expect(trial.history[1].loss).toBe(Infinity);
        expect(trial.history[1].val_accuracy).toBe(-Infinity);
        expect(trial.params.act).toBe('NaN'); // a string parameter stays a string
      });

      it('refuses to tell a finished or missing trial, but accepts a stale one', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy());
        await store.ask(id, run());
        await store.ask(id, run());
        await store.tell(id, 0, completed);
        await expect(store.tell(id, 0, completed)).rejects.toThrow(/already finished as completed/);
        await expect(store.tell(id, 7, completed)).rejects.toThrow(/does not exist/);
        // A trial given back (interrupted) may still report: its result is real.
        await store.release(id, 1, 1);
        await store.tell(id, 1, { ...completed, score: 0.8 });
        expect((await store.trials(id))[1]).toMatchObject({ status: 'completed', score: 0.8 });
      });

      it('stores a non-finite score as null', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy({ objective: { metric: 'val_loss', direction: 'min' } }));
        await store.ask(id, run());
        await store.tell(id, 0, { status: 'completed', score: -Infinity, bestEpoch: null, epochsRun: 1, history: [], backend: null, durationMs: 1 });
        expect((await store.trial(id, 0))!.score).toBeNull();
      });

      it('heartbeat moves heartbeat_at of a running trial only', async () => {
        const clock = manualClock();
        const store = await open(clock);
        const { id } = await store.createStudy(newStudy());
        await store.ask(id, run());
        clock.advance(30_000);
        await store.heartbeat(id, 0);
        expect((await store.trial(id, 0))!.heartbeatAt).toBe('2024-05-01T12:00:30.000Z');
        await store.tell(id, 0, { status: 'failed', score: null, bestEpoch: null, epochsRun: 0, history: [], backend: 'cpu', durationMs: 5, error: 'boom' });
        clock.advance(30_000);
        await store.heartbeat(id, 0); // a late timer after tell: harmless
        expect((await store.trial(id, 0))!.heartbeatAt).toBe('2024-05-01T12:00:30.000Z');
      });

      it('a study deleted by another connection ends this one with one line', async () => {
        const a = await open();
        const b = await open();
        const { id } = await a.createStudy(newStudy());
        await a.ask(id, run());
        await b.deleteStudy('iris-random');
        await expectGradtuneRejection(a.ask(id, run()), /no longer exists.*deleted it/);
        await expectGradtuneRejection(a.tell(id, 0, completed), /no longer exists/);
      });
    });

    describe('checkpoints and the queue', () => {
      it('keeps checkpoints, lists them, and drops in one transaction what the callback does not keep', async () => {
        const store = await open();
        const study = await store.createStudy(newStudy({ name: 's', maxEpochs: 3 }));
        for (let i = 0; i < 4; i++) {
          const asked = await store.ask(study.id, run({ i }));
          if (asked.kind !== 'run') throw new Error('expected a trial');
          await store.tell(study.id, asked.trial.number, { ...completed, status: i === 2 ? 'failed' : 'completed', score: i === 2 ? null : i / 10, checkpoint: i === 2 ? null : new Uint8Array([i, 1, 2]) });
        }
        expect(await store.checkpointNumbers(study.id)).toEqual([0, 1, 3]);
        let seen: number[] = [];
        const dropped = await store.dropCheckpoints(study.id, (s, trials) => {
          seen = trials.map((t) => t.number);
          expect(s.name).toBe('s');
          return new Set([3]);
        });
        expect(seen).toEqual([0, 1, 2, 3]);
        expect(dropped).toEqual([0, 1]);
        expect(await store.checkpointNumbers(study.id)).toEqual([3]);
        expect(Array.from((await store.checkpoint(study.id, 3))!)).toEqual([3, 1, 2]);
        expect(await store.checkpoint(study.id, 0)).toBeNull();
        expect((await store.trials(study.id)).map((t) => [t.status, t.score])).toEqual([
          ['completed', 0],
          ['completed', 0.1],
          ['failed', null],
          ['completed', 0.3],
        ]);
      });

      it('queues configurations, hands them to decide, and marks one taken when a decision runs it', async () => {
        const a = await open();
        const b = await open();
        const { id } = await a.createStudy(newStudy());
        const first = await a.enqueue(id, { lr: 0.5 });
        await b.enqueue(id, { lr: 0.7, units: 8 });
        expect((await a.queued(id)).map((q) => q.params)).toEqual([{ lr: 0.5 }, { lr: 0.7, units: 8 }]);
        const asked = await a.ask(id, (_s, _t, queued) => ({ kind: 'run', params: queued[0].params, queued: queued[0].id }));
        expect(asked).toMatchObject({ kind: 'run', trial: { number: 0, params: { lr: 0.5 } } });
        expect((await b.queued(id)).map((q) => q.id)).not.toContain(first);
        expect((await b.queued(id)).map((q) => q.params)).toEqual([{ lr: 0.7, units: 8 }]);
      });
    });

    describe('per-epoch reports and pruned trials', () => {
      const report = (number: number, e: number, value: number | null, extra: { attempt?: number; run?: number } = {}) => ({
        number,
        attempt: extra.attempt ?? 1,
        run: extra.run ?? 0,
        epoch: e,
        value,
        record: epoch(e, { val_accuracy: value ?? NaN }),
      });

      it("stores each epoch of a running trial: the running trial's history so far, and every row since a cursor", async () => {
        const a = await open();
        const b = await open();
        const { id } = await a.createStudy(newStudy());
        await a.ask(id, run({ lr: 0.1 }));
        await a.ask(id, run({ lr: 0.2 }));
        const seqBefore = (await b.summaries(id)).length;
        await a.reportEpoch(id, report(0, 1, 0.5));
        await a.reportEpoch(id, report(1, 1, 0.4));
        await a.reportEpoch(id, report(0, 2, 0.6));
        // The same epoch twice (a retried write) keeps the first.
        await a.reportEpoch(id, report(0, 2, 0.9));
        // Another process sees the curves of running trials.
        const running = await b.trials(id);
        expect(running.map((t) => [t.number, t.status, t.epochsRun, t.history.map((h) => h.val_accuracy)])).toEqual([
          [0, 'running', 2, [0.5, 0.6]],
          [1, 'running', 1, [0.4]],
        ]);
        expect((await b.trial(id, 1))!.history).toEqual([epoch(1, { val_accuracy: 0.4 })]);
        expect((await b.summaries(id)).length).toBe(seqBefore);

        const first = await b.epochsSince(id, 0);
        expect(first.epochs.map((e) => [e.number, e.epoch, e.value])).toEqual([
          [0, 1, 0.5],
          [1, 1, 0.4],
          [0, 2, 0.6],
        ]);
        expect(first.epochs[2].record).toEqual(epoch(2, { val_accuracy: 0.6 }));
        expect(first.cursor).toBe(first.epochs[2].id);
        // Nothing new: the same cursor back, no rows.
        expect(await b.epochsSince(id, first.cursor)).toEqual({ epochs: [], cursor: first.cursor });
        await a.reportEpoch(id, report(1, 2, null));
        const next = await b.epochsSince(id, first.cursor);
        expect(next.epochs.map((e) => [e.number, e.epoch, e.value])).toEqual([[1, 2, null]]);
        // Non-finite values are kept in the record.
        expect(Number.isNaN(next.epochs[0].record.val_accuracy)).toBe(true);
        expect(next.cursor).toBeGreaterThan(first.cursor);
        // A limit pages through.
        const paged = await b.epochsSince(id, 0, 2);
        expect(paged.epochs).toHaveLength(2);
        expect((await b.epochsSince(id, paged.cursor, 2)).epochs.map((e) => e.epoch)).toEqual([2, 2]);

        // Finished: the history is the one told, not the reported rows.
        await a.tell(id, 0, { ...completed, history: [epoch(1), epoch(2)], epochsRun: 2 });
        expect((await b.trial(id, 0))!.history).toEqual([epoch(1), epoch(2)]);
      });

      it("keeps a re-run attempt's epochs apart from the earlier attempt's, and ignores epochs from an attempt that was handed out again", async () => {
        const clock = manualClock();
        const store = await open({ now: clock.now, staleAfterMs: 60_000 });
        const { id } = await store.createStudy(newStudy());
        await store.ask(id, run({ lr: 0.1 }));
        await store.reportEpoch(id, report(0, 1, 0.3));
        await store.reportEpoch(id, report(0, 2, 0.35));
        clock.advance(70_000);
        expect(await store.ask(id, run({ lr: 0.2 }))).toMatchObject({ kind: 'run', rerun: 'stale', trial: { number: 0, attempt: 2 } });
        expect((await store.trial(id, 0))!.history).toEqual([]);
        await store.reportEpoch(id, report(0, 1, 0.8, { attempt: 2 }));
        // The lost first attempt, still alive somewhere, reports late: not stored.
        await store.reportEpoch(id, report(0, 3, 0.4, { attempt: 1 }));
        expect((await store.trial(id, 0))!.history.map((h) => h.val_accuracy)).toEqual([0.8]);
        const all = (await store.epochsSince(id, 0)).epochs;
        expect(all.map((e) => [e.attempt, e.epoch, e.value])).toEqual([
          [1, 1, 0.3],
          [1, 2, 0.35],
          [2, 1, 0.8],
        ]);
        const values = await store.epochValues(id);
        expect([...values.trial(0)]).toEqual([[1, 0.8]]);
        expect(values.reached(1)).toEqual([0.8]);
        expect(values.reached(2)).toEqual([]);
      });

      it('shows the latest run of a trial that trains several, and gives pruners its first run', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy());
        await store.ask(id, run());
        await store.reportEpoch(id, report(0, 1, 0.5, { run: 0 }));
        await store.reportEpoch(id, report(0, 2, 0.6, { run: 0 }));
        await store.reportEpoch(id, report(0, 1, 0.7, { run: 1 }));
        expect((await store.trial(id, 0))!.history.map((h) => h.val_accuracy)).toEqual([0.7]);
        expect([...(await store.epochValues(id)).trial(0)]).toEqual([
          [1, 0.5],
          [2, 0.6],
        ]);
      });

      it('keeps per-epoch values for pruners up to date incrementally: every trial that reached an epoch, and the completed ones', async () => {
        const a = await open();
        const b = await open();
        const { id } = await a.createStudy(newStudy());
        for (let i = 0; i < 3; i++) await a.ask(id, run({ i }));
        const view = await b.epochValues(id);
        expect(view.completedTrials).toBe(0);
        expect(view.reached(1)).toEqual([]);
        await a.reportEpoch(id, report(0, 1, 0.9));
        await a.reportEpoch(id, report(1, 1, 0.2));
        await a.reportEpoch(id, report(2, 1, null));
        await a.reportEpoch(id, report(0, 2, 0.95));
        await a.tell(id, 0, completed);
        // Live: the same object, brought up to date by the next call.
        expect(await b.epochValues(id)).toBe(view);
        expect(view.reached(1)).toEqual([0.2, 0.9]);
        expect(view.completedTrials).toBe(1);
        expect(view.completed(1)).toEqual({ values: [0.9], reported: 1 });
        expect(view.completed(2)).toEqual({ values: [0.95], reported: 1 });
        expect(Number.isNaN(view.trial(2).get(1))).toBe(true);
        await a.tell(id, 2, { ...completed, score: null });
        await a.tell(id, 1, { ...completed, status: 'pruned', score: 0.2, pruned: { epoch: 1, rule: 'median' } });
        await b.epochValues(id);
        // A pruned trial is not completed; a completed one with a NaN value is counted as reported.
        expect(view.completedTrials).toBe(2);
        expect(view.completed(1)).toEqual({ values: [0.9], reported: 2 });
        // A second process's view, built from scratch, agrees.
        const fresh = await (await open()).epochValues(id);
        expect([fresh.completedTrials, fresh.reached(1), fresh.completed(1), fresh.completed(2)]).toEqual([2, [0.2, 0.9], { values: [0.9], reported: 2 }, { values: [0.95], reported: 1 }]);
      });

      it('records where and why a pruned trial stopped, keeps its checkpoint, and clears it when a trial runs again', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy());
        await store.ask(id, run());
        await store.tell(id, 0, { ...completed, status: 'pruned', score: 0.4, bestEpoch: 2, epochsRun: 3, checkpoint: new Uint8Array([7]), pruned: { epoch: 3, rule: 'median: 0.4 < 0.8' } });
        expect(await store.trial(id, 0)).toMatchObject({ status: 'pruned', score: 0.4, epochsRun: 3, hasCheckpoint: true, pruned: { epoch: 3, rule: 'median: 0.4 < 0.8' } });
        expect((await store.summaries(id))[0].pruned).toEqual({ epoch: 3, rule: 'median: 0.4 < 0.8' });
        expect(Array.from((await store.checkpoint(id, 0))!)).toEqual([7]);
        await store.ask(id, run({ lr: 0.5 }));
        await store.tell(id, 1, completed);
        expect((await store.trial(id, 1))!.pruned).toBeNull();
      });

      it('deletes the epochs with the study', async () => {
        const store = await open();
        const { id } = await store.createStudy(newStudy());
        await store.ask(id, run());
        await store.reportEpoch(id, report(0, 1, 0.5));
        await store.deleteStudy('iris-random');
        const again = await store.createStudy(newStudy());
        expect((await store.epochsSince(again.id, 0)).epochs).toEqual([]);
        expect((await store.epochsSince(id, 0)).epochs).toEqual([]);
      });
    });

    describe('sharing', () => {
      it('connections asking concurrently never duplicate a number, and each sees the others', async () => {
        const stores = await Promise.all([open(), open(), open()]);
        const { id } = await stores[0].createStudy(newStudy());
        const results = await Promise.all(
          stores.flatMap((store, k) =>
            Array.from({ length: 10 }, (_, i) => store.ask(id, async (_s, trials) => ({ kind: 'run', params: { by: k, i, seen: trials.length } }))),
          ),
        );
        const numbers = results.map((r) => (r.kind === 'run' ? r.trial.number : -1)).sort((x, y) => x - y);
        expect(numbers).toEqual([...Array(30).keys()]);
        // Each decision saw every trial inserted before it: `seen` equals the number given.
        for (const r of results) if (r.kind === 'run') expect(r.trial.params.seen).toBe(r.trial.number);
      });

      it('keeps everything after close and reopen', async () => {
        const first = await open();
        const { id } = await first.createStudy(newStudy());
        await first.ask(id, run({ lr: 0.1 }));
        await first.tell(id, 0, { status: 'completed', score: 0.7, bestEpoch: 2, epochsRun: 2, history: [epoch(1), epoch(2)], backend: 'wasm', durationMs: 12 });
        await first.ask(id, run({ lr: 0.2 }));
        const before = { study: await first.getStudy('iris-random'), trials: await first.trials(id), list: await first.listStudies() };
        await first.close();
        const second = await open();
        expect({ study: await second.getStudy('iris-random'), trials: await second.trials(id), list: await second.listStudies() }).toEqual(before);
      });
    });
  });
}
