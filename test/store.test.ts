import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../src/oracle/oracle.js';
import { validateStudyName } from '../src/store/names.js';
import { SCHEMA_VERSION } from '../src/store/schema.js';
import { localOwnerAlive, openSqliteStore, processOwner, type SqliteStore } from '../src/store/sqlite.js';
import type { NewStudy, StudyRecord, TrialOutcomeUpdate, TrialRecord } from '../src/store/store.js';
import type { EpochRecord } from '../src/train/types.js';
import { expectGradtuneError } from './helpers/errors.js';
import { makeNewStudy } from './helpers/records.js';
import { resolveDiagnostics } from '../src/train/diagnostics-settings.js';
import type { TrialDiagnostics } from '../src/train/diagnostics-types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newStudy(overrides: Partial<NewStudy> = {}): NewStudy {
  return makeNewStudy({
    name: 'iris-random',
    space: 'mlp-classifier',
    datasetFingerprint: 'sha256:abc',
    data: { builtin: 'iris', valSplit: 0.2, seed: 7 },
    settings: { maxTrials: 10 },
    maxEpochs: 20,
    ...overrides,
  });
}

/** A clock the test moves by hand, so timestamps can be asserted exactly. */
function manualClock(start = '2024-05-01T12:00:00.000Z') {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

const run = (params: Record<string, number | string | boolean> = { lr: 0.01 }) => (): Decision => ({
  kind: 'run',
  params,
});

function epoch(n: number, extra: Partial<EpochRecord> = {}): EpochRecord {
  return { epoch: n, loss: 1 / n, val_loss: 1.5 / n, learningRate: 0.01, ...extra };
}

let dir: string;
let file: string;
const open: SqliteStore[] = [];
function openStore(p = file, opts?: { now?: () => Date }): SqliteStore {
  const store = openSqliteStore(p, opts);
  open.push(store);
  return store;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradtune-store-'));
  file = path.join(dir, 'study.db');
});

afterEach(() => {
  for (const store of open.splice(0)) {
    try {
      store.close();
    } catch {
      // already closed by the test
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('studies', () => {
  it('creates, gets, lists and deletes a study', () => {
    const clock = manualClock();
    const store = openStore(file, clock);
    const created = store.createStudy(newStudy());
    expect(created).toMatchObject({ ...newStudy(), createdAt: '2024-05-01T12:00:00.000Z' });
    expect(store.getStudy('iris-random')).toEqual(created);
    expect(store.getStudy('nope')).toBeUndefined();

    store.createStudy(newStudy({ name: 'digits', datasetName: 'digits' }));
    expect(store.listStudies().map((s) => s.name)).toEqual(['iris-random', 'digits']);

    store.ask(created.id, run());
    store.deleteStudy('iris-random');
    expect(store.getStudy('iris-random')).toBeUndefined();
    expect(store.trials(created.id)).toEqual([]);
    expect(store.listStudies().map((s) => s.name)).toEqual(['digits']);
  });

  it('round-trips data and settings, including an infinite setting', () => {
    const store = openStore();
    const study = newStudy({
      data: { path: '/data/x.csv.gz', target: 'label', task: 'classification', valSplit: 0.25, seed: 3 },
      settings: { maxTrials: Infinity, nested: { factor: 3, brackets: [1, 2] } },
    });
    const created = store.createStudy(study);
    expect(created.data).toEqual(study.data);
    expect(created.settings).toEqual(study.settings);
    expect(created.settings.maxTrials).toBe(Infinity);
  });

  it('refuses a duplicate name and an invalid name, and deleting an unknown study', () => {
    const store = openStore();
    store.createStudy(newStudy());
    expectGradtuneError(() => store.createStudy(newStudy()), /already exists/);
    expectGradtuneError(() => store.createStudy(newStudy({ name: 'bad name' })), /A-Z a-z 0-9/);
    expectGradtuneError(() => store.deleteStudy('missing'), /no study named missing/);
    expect(store.listStudies()).toHaveLength(1);
  });
});

describe('ask', () => {
  it('inserts running trials numbered 0, 1, 2 and shows decide the history', () => {
    const clock = manualClock();
    const store = openStore(file, clock);
    const { id } = store.createStudy(newStudy());
    const seen: number[][] = [];
    const decide = (study: StudyRecord, trials: readonly TrialRecord[]): Decision => {
      expect(study.id).toBe(id);
      seen.push(trials.map((t) => t.number));
      return { kind: 'run', params: { lr: 0.001 * (trials.length + 1), act: 'relu', bn: true } };
    };
    const numbers: number[] = [];
    for (let i = 0; i < 3; i++) {
      const result = store.ask(id, decide);
      if (result.kind !== 'run') throw new Error('expected run');
      numbers.push(result.trial.number);
      expect(result.trial).toMatchObject({
        studyId: id,
        status: 'running',
        params: { lr: 0.001 * (i + 1), act: 'relu', bn: true },
        score: null,
        epochsRun: 0,
        history: [],
        startedAt: clock.now().toISOString(),
        heartbeatAt: clock.now().toISOString(),
        finishedAt: null,
      });
      clock.advance(1000);
    }
    expect(numbers).toEqual([0, 1, 2]);
    expect(seen).toEqual([[], [0], [0, 1]]);
    expect(store.countTrials(id)).toEqual({ running: 3 });
  });

  it('inserts nothing when decide says wait or done', () => {
    const store = openStore();
    const { id } = store.createStudy(newStudy());
    expect(store.ask(id, () => ({ kind: 'wait' }))).toEqual({ kind: 'wait' });
    expect(store.ask(id, () => ({ kind: 'done', reason: 'maxTrials reached' }))).toEqual({
      kind: 'done',
      reason: 'maxTrials reached',
    });
    expect(store.trials(id)).toEqual([]);
  });

  it('rolls back when decide throws, and refuses an unknown study', () => {
    const store = openStore();
    const { id } = store.createStudy(newStudy());
    expect(() =>
      store.ask(id, () => {
        throw new Error('oracle bug');
      }),
    ).toThrow('oracle bug');
    expect(store.trials(id)).toEqual([]);
    expectGradtuneError(() => store.ask(id + 100, run()), /no study with id/);
  });

  it('refuses non-finite parameters instead of storing null', () => {
    const store = openStore();
    const { id } = store.createStudy(newStudy());
    expect(() => store.ask(id, run({ lr: NaN }))).toThrow(/lr is NaN/);
    expect(store.trials(id)).toEqual([]);
  });
});

describe('tell and heartbeat', () => {
  it('hands a trial whose heartbeat is older than the grace period out again, same number and params, before the oracle decides', () => {
    const clock = manualClock();
    const store = openSqliteStore(file, { now: clock.now, staleAfterMs: 60_000, owner: 'host-a:1' });
    const { id } = store.createStudy(newStudy());
    store.ask(id, run({ lr: 0.1 }));
    store.ask(id, run({ lr: 0.2 }));
    clock.advance(50_000);
    store.heartbeat(id, 1); // trial 1 is alive; trial 0 lost its worker
    clock.advance(20_000);
    let decided = false;
    const again = store.ask(id, () => {
      decided = true;
      return { kind: 'wait' };
    });
    expect(decided).toBe(false);
    expect(again).toMatchObject({ kind: 'run', rerun: 'stale', trial: { number: 0, params: { lr: 0.1 }, status: 'running', attempt: 2, retries: 0 } });
    expect(store.trials(id).map((t) => [t.number, t.status])).toEqual([[0, 'running'], [1, 'running']]);
    // Nothing else is lost now: the oracle decides the next ask.
    expect(store.ask(id, () => ({ kind: 'wait' }))).toEqual({ kind: 'wait' });
    // The lost first attempt may still report late: discarded, the re-run's result counts.
    const outcome: TrialOutcomeUpdate = { status: 'completed', score: 0.5, bestEpoch: 1, epochsRun: 1, history: [], backend: 'cpu', durationMs: 1 };
    expect(store.tell(id, 0, { ...outcome, attempt: 1 })).toBe(false);
    expect(store.trials(id)[0].status).toBe('running');
    expect(store.tell(id, 0, { ...outcome, score: 0.6, attempt: 2 })).toBe(true);
    expect(store.trials(id)[0]).toMatchObject({ status: 'completed', score: 0.6 });
    store.close();
  });

  it('re-runs at once a trial whose process on this machine is gone, without waiting for the grace period', () => {
    const alive = new Set(['host-a:1']);
    const opts = (owner: string) => ({ owner, staleAfterMs: 60_000, ownerAlive: (o: string) => alive.has(o) });
    const a = openSqliteStore(file, opts('host-a:1'));
    open.push(a);
    const { id } = a.createStudy(newStudy());
    a.ask(id, run({ lr: 0.1 }));
    const b = openSqliteStore(file, opts('host-a:2'));
    open.push(b);
    // Process 1 is alive: its trial is not taken from it.
    expect(b.ask(id, run({ lr: 0.2 }))).toMatchObject({ kind: 'run', trial: { number: 1, owner: 'host-a:2' } });
    alive.delete('host-a:1');
    expect(b.ask(id, run({ lr: 0.3 }))).toMatchObject({ kind: 'run', rerun: 'stale', trial: { number: 0, params: { lr: 0.1 }, owner: 'host-a:2' } });
  });

  it('finds a local process gone by its pid', () => {
    expect(localOwnerAlive(processOwner())).toBe(true);
    expect(localOwnerAlive(`${os.hostname()}:2147483646`)).toBe(false);
    expect(localOwnerAlive('some-other-machine:1')).toBeUndefined();
  });

  it('re-runs a failed trial while it has retries left (--max-retries), then leaves it failed', () => {
    const store = openStore();
    const { id } = store.createStudy(newStudy());
    store.ask(id, run({ lr: 0.1 }));
    const failed: TrialOutcomeUpdate = { status: 'failed', score: null, bestEpoch: null, epochsRun: 0, history: [], backend: 'cpu', durationMs: 1, error: 'boom' };
    store.tell(id, 0, failed);
    expect(store.ask(id, run({ lr: 0.2 }), { maxRetries: 1 })).toMatchObject({ kind: 'run', rerun: 'retry', trial: { number: 0, params: { lr: 0.1 }, retries: 1, attempt: 2 } });
    store.tell(id, 0, { ...failed, attempt: 2 });
    // Retries used up: the oracle decides, and the failure stays on record.
    expect(store.ask(id, run({ lr: 0.2 }), { maxRetries: 1 })).toMatchObject({ kind: 'run', trial: { number: 1 } });
    expect(store.trials(id)[0]).toMatchObject({ status: 'failed', error: 'boom', retries: 1 });
    // Without --max-retries a failed trial is never re-run.
    store.tell(id, 1, failed);
    expect(store.ask(id, run({ lr: 0.3 }))).toMatchObject({ kind: 'run', trial: { number: 2 } });
  });

  it('release gives an interrupted trial back: the next ask re-runs it', () => {
    const store = openStore();
    const { id } = store.createStudy(newStudy());
    store.ask(id, run({ lr: 0.1 }));
    store.release(id, 0, 1);
    expect(store.trials(id)[0].status).toBe('stale');
    expect(store.ask(id, run({ lr: 0.2 }))).toMatchObject({ kind: 'run', rerun: 'stale', trial: { number: 0, params: { lr: 0.1 } } });
  });

  it("stores what the oracle decided beyond params: parent, epochs and schedule slot", () => {
    const store = openStore();
    const { id } = store.createStudy(newStudy());
    store.ask(id, run({ lr: 0.1 }));
    const asked = store.ask(id, () => ({ kind: 'run', params: { lr: 0.1 }, parent: 0, fromEpoch: 3, toEpoch: 9, slot: { iteration: 0, bracket: 2, round: 1 } }));
    expect(asked.kind === 'run' && asked.trial).toMatchObject({ number: 1, parent: 0, fromEpoch: 3, toEpoch: 9, slot: { iteration: 0, bracket: 2, round: 1 } });
    expect(store.trials(id)[0]).toMatchObject({ parent: null, fromEpoch: null, toEpoch: null, slot: null });
    store.close();
  });

  it('round-trips params, history and diagnostics, keeping NaN and Infinity', () => {
    const clock = manualClock();
    const store = openStore(file, clock);
    const { id } = store.createStudy(newStudy());
    const params = { lr: 0.003, units: 64, act: 'NaN', bn: false };
    store.ask(id, run(params));
    const history = [
      epoch(1, { accuracy: 0.5, val_accuracy: 0.55 }),
      epoch(2, { loss: Infinity, val_loss: NaN, val_accuracy: -Infinity }),
    ];
    const diagnostics: TrialDiagnostics = {
      verdict: { kind: 'exploding', evidence: { statistic: 'loss', layer: null, value: NaN, threshold: null, epoch: 2, step: 7, preflight: false } },
      checks: 9,
      epochs: [{ epoch: 1, globalGrad: Infinity, layers: [{ layer: 'dense_1', kernelGrad: 0.5, biasGrad: null, weight: 3, updateRatio: 1e-3, dead: 0.25 }] }],
      settings: resolveDiagnostics(),
    };
    clock.advance(5000);
    store.tell(id, 0, {
      status: 'rejected',
      score: 0.55,
      bestEpoch: 1,
      epochsRun: 2,
      history,
      backend: 'cpu',
      durationMs: 4999,
      error: 'exploding gradients',
      diagnostics,
      plannedEpochs: 10,
    });
    store.close();

    const [trial] = openStore().trials(id);
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
      owner: processOwner(),
      attempt: 1,
      retries: 0,
      repairOf: null,
    });
    expect(Number.isNaN(trial.diagnostics!.verdict.evidence!.value)).toBe(true);
    expect(Number.isNaN(trial.history[1].val_loss)).toBe(true);
    expect(trial.history[1].loss).toBe(Infinity);
    expect(trial.history[1].val_accuracy).toBe(-Infinity);
    expect(trial.params.act).toBe('NaN'); // a string parameter stays a string
  });

  it('refuses to tell a finished or missing trial, but accepts a stale one', () => {
    const store = openStore();
    const { id } = store.createStudy(newStudy());
    store.ask(id, run());
    store.ask(id, run());
    const outcome: TrialOutcomeUpdate = { status: 'completed', score: 0.9, bestEpoch: 3, epochsRun: 3, history: [], backend: 'cpu', durationMs: 10 };
    store.tell(id, 0, outcome);
    expect(() => store.tell(id, 0, outcome)).toThrow(/already finished as completed/);
    expect(() => store.tell(id, 7, outcome)).toThrow(/does not exist/);

    // A trial given back (interrupted) may still report: its result is real.
    store.release(id, 1, 1);
    store.tell(id, 1, { ...outcome, score: 0.8 });
    expect(store.trials(id)[1]).toMatchObject({ status: 'completed', score: 0.8 });
  });

  it('stores a non-finite score as null', () => {
    const store = openStore();
    const { id } = store.createStudy(newStudy({ objective: { metric: 'val_loss', direction: 'min' } }));
    store.ask(id, run());
    store.tell(id, 0, { status: 'completed', score: -Infinity, bestEpoch: null, epochsRun: 1, history: [], backend: null, durationMs: 1 });
    expect(store.trials(id)[0].score).toBeNull();
  });

  it('heartbeat moves heartbeat_at of a running trial only', () => {
    const clock = manualClock();
    const store = openStore(file, clock);
    const { id } = store.createStudy(newStudy());
    store.ask(id, run());
    clock.advance(30_000);
    store.heartbeat(id, 0);
    expect(store.trials(id)[0].heartbeatAt).toBe('2024-05-01T12:00:30.000Z');

    store.tell(id, 0, { status: 'failed', score: null, bestEpoch: null, epochsRun: 0, history: [], backend: 'cpu', durationMs: 5, error: 'boom' });
    clock.advance(30_000);
    store.heartbeat(id, 0); // a late timer after tell: harmless
    expect(store.trials(id)[0].heartbeatAt).toBe('2024-05-01T12:00:30.000Z');
  });
});

describe('listStudies', () => {
  function fill(store: SqliteStore, name: string, direction: 'min' | 'max'): void {
    const { id } = store.createStudy(newStudy({ name, objective: { metric: 'm', direction } }));
    const finish = (status: 'completed' | 'failed' | 'rejected' | 'pruned', score: number | null) => {
      const asked = store.ask(id, run());
      if (asked.kind !== 'run') throw new Error('expected run');
      store.tell(id, asked.trial.number, { status, score, bestEpoch: 1, epochsRun: 1, history: [], backend: 'cpu', durationMs: 1 });
    };
    finish('completed', 0.5);
    finish('completed', 0.2);
    finish('completed', 0.8);
    finish('completed', null);
    // Only completed trials count for best, whatever their scores.
    finish('rejected', 0.99);
    finish('rejected', 0.01);
    finish('failed', null);
    finish('pruned', 0.3);
    store.ask(id, run());
  }

  it('counts trials by status and picks best by direction', () => {
    const store = openStore();
    fill(store, 'maximise', 'max');
    fill(store, 'minimise', 'min');
    store.createStudy(newStudy({ name: 'empty' }));
    const summaries = store.listStudies();
    const counts = { completed: 4, rejected: 2, failed: 1, pruned: 1, running: 1 };
    expect(summaries.map((s) => [s.name, s.best, s.counts])).toEqual([
      ['maximise', 0.8, counts],
      ['minimise', 0.2, counts],
      ['empty', null, {}],
    ]);
    expect(summaries[0]).toMatchObject({ space: 'mlp-classifier', datasetName: 'iris', algorithm: 'random' });
    expect(store.countTrials(store.getStudy('minimise')!.id)).toEqual(counts);
  });
});

describe('sharing and persistence', () => {
  it('two connections asking alternately never duplicate a number', () => {
    const a = openStore();
    const b = openStore();
    const { id } = a.createStudy(newStudy());
    const numbers: number[] = [];
    for (let i = 0; i < 20; i++) {
      const result = (i % 2 === 0 ? a : b).ask(id, (_s, trials) => ({ kind: 'run', params: { seen: trials.length } }));
      if (result.kind !== 'run') throw new Error('expected run');
      numbers.push(result.trial.number);
      expect(result.trial.params.seen).toBe(i); // each saw the other's inserts
    }
    expect(numbers).toEqual([...Array(20).keys()]);
  });

  it('processes asking at the same time never duplicate a number', async () => {
    const store = openStore();
    const { id } = store.createStudy(newStudy());
    store.close();
    // A script per process; tsx lets it import the TypeScript source directly.
    const script = path.join(dir, 'asker.ts');
    const source = pathToFileURL(path.join(ROOT, 'src/store/sqlite.ts')).href;
    fs.writeFileSync(
      script,
      `import { openSqliteStore } from ${JSON.stringify(source)};
       const store = openSqliteStore(process.argv[2]);
       // Start together, whatever each process's startup time, so the asks really overlap.
       const wait = Math.max(0, Number(process.argv[3]) - Date.now());
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
       // Each trial finishes before the process exits: a running trial of an exited process
       // would (rightly) be handed out again by the others.
       for (let i = 0; i < 100; i++) {
         const asked = store.ask(${id}, () => ({ kind: 'run', params: { pid: process.pid } }));
         if (asked.kind !== 'run') throw new Error('expected run');
         store.tell(${id}, asked.trial.number, { status: 'completed', score: 1, bestEpoch: 1, epochsRun: 1, history: [], backend: 'cpu', durationMs: 1 });
       }
       store.close();`,
    );
    const startAt = String(Date.now() + 3000);
    const procs = [0, 1, 2].map(
      () =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', script, file, startAt], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (d) => (stderr += d));
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`asker exited ${code}: ${firstLines(stderr)}`))));
        }),
    );
    await Promise.all(procs);
    const trials = openStore().trials(id);
    expect(trials.map((t) => t.number)).toEqual([...Array(300).keys()]);
    expect(new Set(trials.map((t) => t.params.pid)).size).toBe(3);
  });

  it('keeps everything after close and reopen', () => {
    const first = openStore();
    const { id } = first.createStudy(newStudy());
    first.ask(id, run({ lr: 0.1 }));
    first.tell(id, 0, { status: 'completed', score: 0.7, bestEpoch: 2, epochsRun: 2, history: [epoch(1), epoch(2)], backend: 'wasm', durationMs: 12 });
    first.ask(id, run({ lr: 0.2 }));
    const before = { study: first.getStudy('iris-random'), trials: first.trials(id), list: first.listStudies() };
    first.close();

    const second = openStore();
    expect({ study: second.getStudy('iris-random'), trials: second.trials(id), list: second.listStudies() }).toEqual(before);
    const next = second.ask(id, run());
    expect(next.kind === 'run' && next.trial.number).toBe(2);
  });

  it('creates a new file with the current schema in WAL mode', () => {
    openStore().close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['studies', 'trials']));
    db.close();
  });
});

describe('opening errors', () => {
  it('refuses a directory', () => {
    expectGradtuneError(() => openStore(dir), /is a directory.*gradtune\.db/);
  });

  it('refuses a text file and leaves its bytes unchanged', () => {
    const text = path.join(dir, 'notes.txt');
    const bytes = Buffer.from('these are my notes, not a database\n'.repeat(200));
    fs.writeFileSync(text, bytes);
    expectGradtuneError(() => openStore(text), /not a gradtune store \(not a SQLite database\)/);
    expect(fs.readFileSync(text).equals(bytes)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
  });

  it('refuses a store from a newer gradtune and leaves it unchanged', () => {
    const db = new Database(file);
    db.exec('CREATE TABLE future (x)');
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const bytes = fs.readFileSync(file);
    expectGradtuneError(() => openStore(), /created by a newer gradtune.*upgrade gradtune/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it("refuses another program's SQLite database", () => {
    const db = new Database(file);
    db.exec('CREATE TABLE contacts (name TEXT)');
    db.close();
    const bytes = fs.readFileSync(file);
    expectGradtuneError(() => openStore(), /SQLite database but not a gradtune store/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('refuses a path whose directory does not exist, creating nothing', () => {
    const missing = path.join(dir, 'no', 'such', 'dir');
    expectGradtuneError(() => openStore(path.join(missing, 'x.db')), /does not exist; create it first/);
    expect(fs.existsSync(path.join(dir, 'no'))).toBe(false);
  });
});

describe('validateStudyName', () => {
  it('accepts 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit', () => {
    for (const name of ['a', '7', 'iris_random-v1.2', 'A'.repeat(64)]) {
      expect(validateStudyName(name)).toBe(name);
    }
  });

  it('refuses anything else, naming the allowed set', () => {
    for (const name of ['', 'A'.repeat(65), '-flag', '.hidden', '_x', 'with space', 'a/b', 'étude', 'x;drop']) {
      expectGradtuneError(() => validateStudyName(name), /1-64 characters from A-Z a-z 0-9 \. _ -/);
    }
  });
});


/**
 * A child's stderr without its stack frames: vitest reads source maps for every path in a
 * failure's stack, and chokes on the native addon's binary file.
 */
function firstLines(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => line.trim() && !line.trimStart().startsWith('at '))
    .slice(0, 5)
    .join(' | ');
}
