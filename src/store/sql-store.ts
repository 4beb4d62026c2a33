// The store's logic, once, over any SqlDriver (SQLite or PostgreSQL): studies, the ask /
// tell protocol, heartbeats and staleness, retries, checkpoints and the queue.
//
// Two rules make it scale and keep it correct with many processes:
// - Every change that can matter to a decision takes the study's next `seq` and stamps
//   the trial with it. A process keeps the summaries it has read and reads only trials
//   with a newer seq; an ask remembers the seq its decision was made at and inserts only
//   if it is still the study's seq (otherwise it decides again).
// - The oracle (which runs the user's space code) decides outside any write lock, so a
//   slow or looping build never locks other processes out of the store.
import { GradtuneError } from '../errors.js';
import type { Decision, RunDecision } from '../oracle/oracle.js';
import { workSeed } from '../oracle/seed.js';
import type { Params } from '../space/types.js';
import { decodeLenient, encodeLenient, encodeStrict } from './codec.js';
import type { EpochRecord } from '../train/types.js';
import { validateStudyName } from './names.js';
import { EpochValuesIndex, type EpochValues } from './epoch-values.js';
import {
  EPOCH_COLUMNS,
  STUDY_COLUMNS,
  SUMMARY_COLUMNS,
  TRIAL_COLUMNS,
  lightTrialColumns,
  toAttempt,
  toEpochValue,
  toStoredEpoch,
  toQueued,
  toStudy,
  toSummary,
  toTrial,
  type AttemptRow,
  type EpochRow,
  type StudyRow,
  type SummaryRow,
  type TrialRow,
} from './rows.js';
import type { SqlDriver, SqlSession, SqlValue } from './sql-driver.js';
import type {
  AskOptions,
  AskResult,
  Decide,
  NewEpoch,
  NewStudy,
  StoredEpoch,
  QueuedParams,
  Store,
  StudyRecord,
  StudySummary,
  TrialAttempt,
  TrialOutcomeUpdate,
  TrialRecord,
  TrialStatus,
  TrialSummary,
} from './store.js';

export interface SqlStoreOptions {
  /** A running trial whose heartbeat is older than this lost its process and becomes stale. */
  staleAfterMs: number;
  /** This process, as written in a trial's owner column (host:pid). */
  owner: string;
  /** Whether the process that owns a running trial is alive; undefined when this process cannot tell. */
  ownerAlive: (owner: string) => boolean | undefined;
}

interface CachedStudy {
  /** The study's seq when the cache was last brought up to date. */
  seq: number;
  byNumber: Map<number, TrialSummary>;
  /** byNumber's values in trial order; rebuilt after a change. */
  list: TrialSummary[] | undefined;
  /** Per-epoch objective values for pruners, once asked for (epochValues). */
  epochs?: EpochValuesIndex;
}

/** Epochs returned by one epochsSince call when the caller gives no limit. */
const EPOCHS_LIMIT = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Optimistic decisions (outside the lock) an ask tries before it decides holding the lock. */
const LOCKED_DECISION_AFTER = 3;
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v));

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

export class SqlStore implements Store {
  private readonly cache = new Map<number, CachedStudy>();

  constructor(
    private readonly db: SqlDriver,
    private readonly opts: SqlStoreOptions,
  ) {}

  get location(): string {
    return this.db.location;
  }

  async createStudy(study: NewStudy): Promise<StudyRecord> {
    validateStudyName(study.name);
    return this.db.transaction('write', async (s) => {
      const now = (await this.db.now(s)).toISOString();
      let row: { id: number } | undefined;
      try {
        row = await s.get<{ id: number }>(
          `INSERT INTO studies (name, space, space_fingerprint, dataset_name, dataset_fingerprint, data_json, objective_metric,
             objective_direction, algorithm, settings_json, seed, max_epochs, created_at, seq)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id`,
          [
            study.name,
            study.space,
            study.spaceFingerprint ?? '',
            study.datasetName,
            study.datasetFingerprint,
            encodeStrict(study.data, 'data options'),
            study.objective.metric,
            study.objective.direction,
            study.algorithm,
            encodeLenient(study.settings),
            study.seed,
            study.maxEpochs,
            now,
          ],
        );
      } catch (err) {
        // The UNIQUE constraint, not a prior SELECT, decides: two processes may race here.
        if (isUniqueViolation(err)) {
          throw new GradtuneError(`a study named ${study.name} already exists in ${this.location}; choose another name or delete that study first`);
        }
        throw err;
      }
      return (await this.studyById(s, num(row!.id)))!;
    });
  }

  async getStudy(name: string): Promise<StudyRecord | undefined> {
    const row = await this.db.get<StudyRow>(`SELECT ${STUDY_COLUMNS} FROM studies WHERE name = ?`, [name]);
    return row && toStudy(row);
  }

  async updateStudySettings(studyId: number, settings: Record<string, unknown>): Promise<StudyRecord> {
    return this.db.transaction('write', async (s) => {
      await this.db.lockStudy(s, studyId);
      await this.requireStudy(s, studyId);
      // A change of settings (a new --max-trials) can change decisions: it takes a seq.
      await s.run('UPDATE studies SET settings_json = ?, seq = seq + 1 WHERE id = ?', [encodeLenient(settings), studyId]);
      return (await this.studyById(s, studyId))!;
    });
  }

  async deleteStudy(name: string): Promise<void> {
    await this.db.transaction('write', async (s) => {
      const row = await s.get<{ id: number }>('SELECT id FROM studies WHERE name = ?', [name]);
      if (!row) throw this.unknownStudy(`named ${name}`);
      const id = num(row.id);
      await this.db.lockStudy(s, id);
      // Children first, explicitly: correct even on a connection where foreign keys are off.
      for (const table of ['queue', 'trial_epochs', 'trial_attempts', 'trials']) await s.run(`DELETE FROM ${table} WHERE study_id = ?`, [id]);
      await s.run('DELETE FROM studies WHERE id = ?', [id]);
      this.cache.delete(id);
    });
  }

  async listStudies(): Promise<StudySummary[]> {
    return this.db.transaction('read', async (s) => {
      const rows = await s.all<StudyRow & { best: number | null; last_started: string | null; last_finished: string | null }>(
        `SELECT ${STUDY_COLUMNS.replace(/(^|,\s*)(\w+)/g, '$1s.$2')},
           (SELECT CASE s.objective_direction WHEN 'max' THEN max(t.score) ELSE min(t.score) END
              FROM trials t WHERE t.study_id = s.id AND t.status = 'completed') AS best,
           (SELECT max(t.started_at) FROM trials t WHERE t.study_id = s.id) AS last_started,
           (SELECT max(t.finished_at) FROM trials t WHERE t.study_id = s.id) AS last_finished
         FROM studies s ORDER BY s.id`,
      );
      const counts = new Map<number, Partial<Record<TrialStatus, number>>>();
      for (const { study_id, status, n } of await s.all<{ study_id: number; status: TrialStatus; n: number }>(
        'SELECT study_id, status, count(*) AS n FROM trials GROUP BY study_id, status',
      )) {
        const c = counts.get(num(study_id)) ?? {};
        c[status] = num(n);
        counts.set(num(study_id), c);
      }
      return rows.map((row) => {
        const study = toStudy(row);
        const sampler = (study.settings.sampler as { name?: unknown } | undefined)?.name;
        const activity = [row.created_at, row.last_started, row.last_finished].filter((d): d is string => typeof d === 'string').sort();
        return {
          name: study.name,
          space: study.space,
          datasetName: study.datasetName,
          algorithm: study.algorithm,
          ...(typeof sampler === 'string' ? { sampler } : {}),
          objective: study.objective,
          createdAt: study.createdAt,
          counts: counts.get(study.id) ?? {},
          best: row.best === null ? null : num(row.best),
          lastActivity: activity[activity.length - 1],
        };
      });
    });
  }

  async summaries(studyId: number): Promise<TrialSummary[]> {
    return this.db.transaction('read', async (s) => (await this.refresh(s, studyId)).trials);
  }

  async trials(studyId: number, numbers?: readonly number[]): Promise<TrialRecord[]> {
    if (numbers !== undefined && numbers.length === 0) return [];
    const where = numbers === undefined ? '' : ` AND number IN (${numbers.map(() => '?').join(', ')})`;
    return this.db.transaction('read', (s) => this.readTrials(s, studyId, where, numbers ?? []));
  }

  async changedTrials(studyId: number, sinceSeq: number, opts: { light?: boolean } = {}): Promise<{ trials: TrialRecord[]; seq: number }> {
    return this.db.transaction('read', async (s) => {
      const row = await s.get<{ seq: number }>('SELECT seq FROM studies WHERE id = ?', [studyId]);
      if (!row) throw this.studyGone(studyId);
      const seq = num(row.seq);
      // Nothing changed: no read of the trials at all (the common poll of a quiet study).
      if (seq <= sinceSeq) return { trials: [], seq };
      const columns = opts.light ? lightTrialColumns(this.db.dialect) : TRIAL_COLUMNS;
      return { trials: await this.readTrials(s, studyId, ' AND seq > ?', [sinceSeq], columns), seq };
    });
  }

  /** Full trials matching `where` (a condition on the trials table's own columns), with running trials' curves so far. */
  private async readTrials(s: SqlSession, studyId: number, where: string, values: readonly SqlValue[], columns = TRIAL_COLUMNS): Promise<TrialRecord[]> {
    const rows = await s.all<TrialRow>(`SELECT ${columns} FROM trials WHERE study_id = ?${where} ORDER BY number`, [studyId, ...values]);
    const trials = rows.map(toTrial);
    const running = trials.filter((t) => t.status === 'running').map((t) => t.number);
    if (running.length === 0) return trials;
    // A running trial's history so far: the epochs its current attempt has reported.
    const epochs = await s.all<{ number: number; run: number; record_json: string }>(
      `SELECT e.number, e.run, e.record_json FROM trial_epochs e
         JOIN trials t ON t.study_id = e.study_id AND t.number = e.number AND t.attempt = e.attempt
        WHERE e.study_id = ? AND t.status = 'running' AND e.number IN (${running.map(() => '?').join(', ')}) ORDER BY e.number, e.run, e.epoch`,
      [studyId, ...running],
    );
    const histories = new Map<number, { run: number; history: EpochRecord[] }>();
    for (const row of epochs) {
      const number = num(row.number);
      const run = num(row.run);
      const current = histories.get(number);
      // Of a trial that trains several runs, the latest run's curve: the one growing.
      if (!current || run > current.run) histories.set(number, { run, history: [] });
      histories.get(number)!.history.push(decodeLenient<EpochRecord>(row.record_json));
    }
    for (const t of trials) {
      const h = t.status === 'running' ? histories.get(t.number) : undefined;
      if (!h) continue;
      t.history = h.history;
      t.epochsRun = h.history.length;
    }
    return trials;
  }

  async trial(studyId: number, number: number): Promise<TrialRecord | undefined> {
    return (await this.trials(studyId, [number]))[0];
  }

  async attempts(studyId: number): Promise<TrialAttempt[]> {
    const rows = await this.db.all<AttemptRow>(
      `SELECT number, attempt, status, owner, started_at, finished_at, score, epochs_run, error
         FROM trial_attempts WHERE study_id = ? ORDER BY number, attempt`,
      [studyId],
    );
    return rows.map(toAttempt);
  }

  async countTrials(studyId: number): Promise<Partial<Record<TrialStatus, number>>> {
    const counts: Partial<Record<TrialStatus, number>> = {};
    for (const { status, n } of await this.db.all<{ status: TrialStatus; n: number }>(
      'SELECT status, count(*) AS n FROM trials WHERE study_id = ? GROUP BY status',
      [studyId],
    )) {
      counts[status] = num(n);
    }
    return counts;
  }

  async ask(studyId: number, decide: Decide, opts: AskOptions = {}): Promise<AskResult> {
    const maxRetries = opts.maxRetries ?? 0;
    for (let round = 0; ; round++) {
      // Many processes asking back to back keep changing the history under each other's
      // decisions: after a few tries, decide holding the study's lock, so each ask ends.
      if (round >= LOCKED_DECISION_AFTER) return this.askLocked(studyId, decide, maxRetries);
      // One locked transaction: trials that lost their process (or failed with retries
      // left) run again first, under their own number and params, so a resumed search
      // reaches exactly its target; otherwise the history the oracle decides from.
      // (Few statements per ask: on a database server each is a round trip.)
      const first = await this.db.transaction('write', async (s) => {
        const { study, seq, waiting } = await this.lockedStudy(s, studyId);
        const again = await this.handOutAgainIfAny(s, studyId, maxRetries);
        if (again) return { again };
        const { trials } = await this.refresh(s, studyId, seq);
        const queued = waiting === 0 ? [] : (await s.all<{ id: number; params_json: string }>('SELECT id, params_json FROM queue WHERE study_id = ? AND trial IS NULL ORDER BY id', [studyId])).map(toQueued);
        return { snapshot: { study, trials, seq, queued } };
      });
      if (first.again) return first.again;
      const snapshot = first.snapshot!;
      const decision = checkDecision(await decide(snapshot.study, snapshot.trials, snapshot.queued));
      // Waiting is never wrong: the caller asks again shortly.
      if (decision.kind === 'wait') return { kind: 'wait' };

      const result = await this.db.transaction('write', async (s): Promise<AskResult | undefined> => {
        if (decision.kind === 'done') {
          const row = await s.get<{ seq: number }>('SELECT seq FROM studies WHERE id = ?', [studyId]);
          if (!row) throw this.studyGone(studyId);
          return num(row.seq) === snapshot.seq ? { kind: 'done', reason: decision.reason } : undefined;
        }
        // Takes the study's lock and the next seq only if nothing changed since the decision.
        const bumped = await s.get<{ seq: number }>('UPDATE studies SET seq = seq + 1 WHERE id = ? AND seq = ? RETURNING seq', [studyId, snapshot.seq]);
        if (!bumped) {
          if (!(await s.get('SELECT id FROM studies WHERE id = ?', [studyId]))) throw this.studyGone(studyId);
          // Another process changed the study since the decision: decide again on the new history.
          return undefined;
        }
        return { kind: 'run', trial: await this.insertTrial(s, snapshot.study, decision, num(bumped.seq)) };
      });
      if (result) return result;
      // Two processes deciding at once: back off a little, at random, so one gets through.
      await sleep(Math.random() * Math.min(200, 5 * 2 ** Math.min(round, 6)));
    }
  }

  /** An ask decided inside one transaction that holds the study's lock throughout. */
  private async askLocked(studyId: number, decide: Decide, maxRetries: number): Promise<AskResult> {
    return this.db.transaction('write', async (s): Promise<AskResult> => {
      const { study, seq, waiting } = await this.lockedStudy(s, studyId);
      const again = await this.handOutAgainIfAny(s, studyId, maxRetries);
      if (again) return again;
      const { trials } = await this.refresh(s, studyId, seq);
      const queued = waiting === 0 ? [] : (await s.all<{ id: number; params_json: string }>('SELECT id, params_json FROM queue WHERE study_id = ? AND trial IS NULL ORDER BY id', [studyId])).map(toQueued);
      const decision = checkDecision(await decide(study, trials, queued));
      if (decision.kind !== 'run') return decision.kind === 'wait' ? { kind: 'wait' } : { kind: 'done', reason: decision.reason };
      return { kind: 'run', trial: await this.insertTrial(s, study, decision, await this.bump(s, studyId)) };
    });
  }

  async tell(studyId: number, trialNumber: number, outcome: TrialOutcomeUpdate): Promise<boolean> {
    try {
      return await this.db.transaction('write', async (s) => {
        // The study's lock and the seq of this change in one statement.
        const seq = await this.bump(s, studyId);
        const now = (await this.db.now(s)).toISOString();
        // Written only if the trial still runs this attempt (or went stale: its worker was
        // slow, not dead, and its result is real); a finished trial is never overwritten.
        const told = await s.get<{ number: number }>(
          `UPDATE trials SET status = ?, score = ?, best_epoch = ?, epochs_run = ?, history_json = ?, backend = ?, duration_ms = ?,
             error = ?, diagnostics_json = ?, planned_epochs = ?, checkpoint = ?, finished_at = ?, best_val_loss = ?,
             runs_json = ?, score_std = ?, pruned_epoch = ?, pruned_rule = ?, remedies_json = ?, seq = ?
           WHERE study_id = ? AND number = ? AND status IN ('running', 'stale')${outcome.attempt === undefined ? '' : ' AND attempt = ?'}
           RETURNING number`,
          [
            outcome.status,
            // "null when no epoch was finite": an Infinity would win every comparison for best.
            outcome.score !== null && Number.isFinite(outcome.score) ? outcome.score : null,
            outcome.bestEpoch,
            outcome.epochsRun,
            encodeLenient(outcome.history),
            outcome.backend,
            outcome.durationMs,
            outcome.error ?? null,
            outcome.diagnostics ? encodeLenient(outcome.diagnostics) : null,
            outcome.plannedEpochs ?? null,
            outcome.checkpoint ?? null,
            now,
            bestValLoss(outcome),
            outcome.runs ? encodeLenient(outcome.runs) : null,
            outcome.scoreStd !== undefined && outcome.scoreStd !== null && Number.isFinite(outcome.scoreStd) ? outcome.scoreStd : null,
            outcome.status === 'pruned' && outcome.pruned ? outcome.pruned.epoch : null,
            outcome.status === 'pruned' && outcome.pruned ? outcome.pruned.rule : null,
            // What --repair tries next: a rejected trial's remedies, read from the light summaries.
            outcome.status === 'rejected' && outcome.remedies ? encodeStrict(outcome.remedies, 'remedies') : null,
            seq,
            studyId,
            trialNumber,
            ...(outcome.attempt === undefined ? [] : [outcome.attempt]),
          ],
        );
        if (told) return true;
        // Not written: say why (the seq taken above rolls back with the transaction).
        const row = await s.get<{ attempt: number; status: TrialStatus }>('SELECT attempt, status FROM trials WHERE study_id = ? AND number = ?', [studyId, trialNumber]);
        if (!row) throw new Error(`trial ${trialNumber} of study ${studyId} does not exist`);
        // Handed out again meanwhile (this attempt went stale): the newer run's result will count.
        if (outcome.attempt !== undefined && num(row.attempt) !== outcome.attempt) throw new Unchanged(false);
        // The same attempt told twice: a tell whose commit was not acknowledged (the
        // connection dropped while committing) and that the driver ran again. It counts once.
        if (outcome.attempt !== undefined) throw new Unchanged(true);
        throw new Error(`trial ${trialNumber} of study ${studyId} already finished as ${row.status}; it cannot be told twice`);
      });
    } catch (err) {
      // Nothing written (the transaction rolled back, seq included): the answer stands.
      if (err instanceof Unchanged) return err.told;
      throw err;
    }
  }

  async release(studyId: number, trialNumber: number, attempt: number): Promise<void> {
    await this.db.transaction('write', async (s) => {
      await this.db.lockStudy(s, studyId);
      const row = await s.get<{ n: number }>(`SELECT number AS n FROM trials WHERE study_id = ? AND number = ? AND attempt = ? AND status = 'running'`, [studyId, trialNumber, attempt]);
      if (!row) return;
      const seq = await this.bump(s, studyId);
      await s.run(`UPDATE trials SET status = 'stale', seq = ? WHERE study_id = ? AND number = ?`, [seq, studyId, trialNumber]);
    });
  }

  async heartbeat(studyId: number, trialNumber: number): Promise<void> {
    // Only running trials: a heartbeat timer firing just after tell is a normal race.
    // No seq: a heartbeat changes no decision, and it comes every few seconds.
    const now = (await this.db.now(this.db)).toISOString();
    await this.db.run(`UPDATE trials SET heartbeat_at = ? WHERE study_id = ? AND number = ? AND status = 'running'`, [now, studyId, trialNumber]);
  }

  async reportEpoch(studyId: number, epoch: NewEpoch): Promise<void> {
    const value = epoch.value !== null && Number.isFinite(epoch.value) ? epoch.value : null;
    await this.db.transaction('write', async (s) => {
      // Under the study's lock, so that ids grow in commit order within a study (on
      // PostgreSQL a sequence alone does not): a reader's "since" cursor never skips a row.
      await this.db.lockStudy(s, studyId);
      // Only for the attempt that is running: an earlier attempt's worker, still alive
      // after its trial was handed out again, does not write into the new run's curve (the
      // attempt only changes under the same lock). Nor into a study deleted meanwhile.
      const current = await s.get<{ n: number }>('SELECT number AS n FROM trials WHERE study_id = ? AND number = ? AND attempt = ?', [studyId, epoch.number, epoch.attempt]);
      if (!current) return;
      await s.run(
        `INSERT INTO trial_epochs (study_id, number, attempt, run, epoch, value, record_json) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        [studyId, epoch.number, epoch.attempt, epoch.run, epoch.epoch, value, encodeLenient(epoch.record)],
      );
    });
  }

  async epochsSince(studyId: number, cursor: number, limit = EPOCHS_LIMIT): Promise<{ epochs: StoredEpoch[]; cursor: number }> {
    const rows = await this.db.all<EpochRow>(
      `SELECT ${EPOCH_COLUMNS}, record_json FROM trial_epochs WHERE study_id = ? AND id > ? ORDER BY id LIMIT ?`,
      [studyId, cursor, Math.max(1, Math.floor(limit))],
    );
    const epochs = rows.map(toStoredEpoch);
    return { epochs, cursor: epochs.length > 0 ? epochs[epochs.length - 1].id : cursor };
  }

  async epochValues(studyId: number): Promise<EpochValues> {
    return this.db.transaction('read', async (s) => {
      await this.refresh(s, studyId);
      const entry = this.cache.get(studyId)!;
      if (!entry.epochs) {
        // First use in this process: every trial's status, then every epoch stored so far.
        entry.epochs = new EpochValuesIndex();
        for (const t of entry.byNumber.values()) entry.epochs.updateTrial(t);
      }
      const index = entry.epochs;
      const rows = await s.all<Omit<EpochRow, 'record_json'>>(`SELECT ${EPOCH_COLUMNS} FROM trial_epochs WHERE study_id = ? AND id > ? ORDER BY id`, [studyId, index.cursor]);
      index.addRows(rows.map(toEpochValue));
      return index;
    });
  }

  async checkpoint(studyId: number, trialNumber: number): Promise<Uint8Array | null> {
    const row = await this.db.get<{ checkpoint: Buffer | Uint8Array | null }>('SELECT checkpoint FROM trials WHERE study_id = ? AND number = ?', [studyId, trialNumber]);
    const blob = row?.checkpoint;
    return blob ? new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength) : null;
  }

  async checkpointNumbers(studyId: number): Promise<number[]> {
    const rows = await this.db.all<{ number: number }>('SELECT number FROM trials WHERE study_id = ? AND checkpoint IS NOT NULL ORDER BY number', [studyId]);
    return rows.map((r) => num(r.number));
  }

  async dropCheckpoints(studyId: number, keep: (study: StudyRecord, trials: readonly TrialSummary[]) => ReadonlySet<number>): Promise<number[]> {
    return this.db.transaction('write', async (s) => {
      await this.db.lockStudy(s, studyId);
      const study = await this.requireStudy(s, studyId);
      const { trials } = await this.refresh(s, studyId);
      const kept = keep(study, trials);
      const dropped = trials.filter((t) => t.hasCheckpoint && !kept.has(t.number)).map((t) => t.number);
      for (const n of dropped) {
        const seq = await this.bump(s, studyId);
        await s.run('UPDATE trials SET checkpoint = NULL, seq = ? WHERE study_id = ? AND number = ?', [seq, studyId, n]);
      }
      return dropped;
    });
  }

  async enqueue(studyId: number, params: Params): Promise<number> {
    return this.db.transaction('write', async (s) => {
      await this.db.lockStudy(s, studyId);
      await this.requireStudy(s, studyId);
      // A queued configuration changes what the next ask decides.
      await this.bump(s, studyId);
      const now = (await this.db.now(s)).toISOString();
      const row = await s.get<{ id: number }>('INSERT INTO queue (study_id, params_json, created_at) VALUES (?, ?, ?) RETURNING id', [studyId, encodeStrict(params, 'queued parameters'), now]);
      return num(row!.id);
    });
  }

  async queued(studyId: number): Promise<QueuedParams[]> {
    const rows = await this.db.all<{ id: number; params_json: string }>('SELECT id, params_json FROM queue WHERE study_id = ? AND trial IS NULL ORDER BY id', [studyId]);
    return rows.map(toQueued);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Brings this process's summaries of the study up to date: reads only trials changed since. */
  private async refresh(s: SqlSession, studyId: number, knownSeq?: number): Promise<{ trials: TrialSummary[]; seq: number }> {
    let seq = knownSeq;
    if (seq === undefined) {
      const row = await s.get<{ seq: number }>('SELECT seq FROM studies WHERE id = ?', [studyId]);
      if (!row) {
        this.cache.delete(studyId);
        throw this.studyGone(studyId);
      }
      seq = num(row.seq);
    }
    let entry = this.cache.get(studyId);
    if (!entry) {
      entry = { seq: -1, byNumber: new Map(), list: undefined };
      this.cache.set(studyId, entry);
    }
    if (entry.seq !== seq) {
      const rows = await s.all<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM trials WHERE study_id = ? AND seq > ? ORDER BY number`, [studyId, entry.seq]);
      // A new list (one handed out earlier may still be deciding), made in one copy: a
      // changed trial takes its own place (numbers are dense: place = number), a new one
      // goes at the end. No sort of 10,000 summaries per ask.
      const list = entry.list?.slice();
      let inOrder = list !== undefined;
      for (const r of rows) {
        const summary = toSummary(r);
        const known = entry.byNumber.has(summary.number);
        entry.byNumber.set(summary.number, summary);
        entry.epochs?.updateTrial(summary);
        if (!list) continue;
        if (known) {
          if (list[summary.number]?.number === summary.number) list[summary.number] = summary;
          else inOrder = false; // not where expected: rebuilt from byNumber below
        } else {
          inOrder &&= list.length === summary.number;
          list.push(summary);
        }
      }
      entry.seq = seq;
      entry.list = inOrder ? list : undefined;
    }
    entry.list ??= [...entry.byNumber.values()].sort((a, b) => a.number - b.number);
    return { trials: entry.list, seq };
  }

  /** The study's next seq, taken (and the study row locked) by the calling transaction. */
  private async bump(s: SqlSession, studyId: number): Promise<number> {
    const row = await s.get<{ seq: number }>('UPDATE studies SET seq = seq + 1 WHERE id = ? RETURNING seq', [studyId]);
    if (!row) throw this.studyGone(studyId);
    return num(row.seq);
  }

  /**
   * Running trials whose heartbeat is older than the grace period, or whose process is
   * gone, become stale; then the first stale trial, or failed one with retries left, is
   * handed out again. Undefined when there is none. One query finds them all, through the
   * status index (an OR, or ORDER BY number, would walk every trial of the study).
   */
  private async handOutAgainIfAny(s: SqlSession, studyId: number, maxRetries: number): Promise<AskResult | undefined> {
    const candidates = await s.all<{ number: number; status: TrialStatus; owner: string | null; heartbeat_at: string | null; retries: number }>(
      maxRetries > 0
        ? `SELECT number, status, owner, heartbeat_at, retries FROM trials WHERE study_id = ? AND status IN ('running', 'stale', 'failed') AND (status <> 'failed' OR retries < ?)`
        : `SELECT number, status, owner, heartbeat_at, retries FROM trials WHERE study_id = ? AND status IN ('running', 'stale')`,
      maxRetries > 0 ? [studyId, maxRetries] : [studyId],
    );
    if (candidates.length === 0) return undefined;
    const cutoff = new Date((await this.db.now(s)).getTime() - this.opts.staleAfterMs).toISOString();
    const again: { number: number; retry: boolean }[] = [];
    for (const t of candidates) {
      const number = num(t.number);
      if (t.status === 'running') {
        const silent = t.heartbeat_at === null || t.heartbeat_at < cutoff;
        const gone = t.owner !== null && t.owner !== this.opts.owner && this.opts.ownerAlive(t.owner) === false;
        if (!silent && !gone) continue;
        const seq = await this.bump(s, studyId);
        await s.run(`UPDATE trials SET status = 'stale', seq = ? WHERE study_id = ? AND number = ? AND status = 'running'`, [seq, studyId, number]);
      }
      again.push({ number, retry: t.status === 'failed' });
    }
    if (again.length === 0) return undefined;
    const { number, retry } = again.reduce((a, b) => (b.number < a.number ? b : a));
    // The earlier run stays on record; the trial starts again from nothing.
    await s.run(
      `INSERT INTO trial_attempts (study_id, number, attempt, status, owner, started_at, finished_at, score, epochs_run, error)
       SELECT study_id, number, attempt, status, owner, started_at, finished_at, score, epochs_run, error
         FROM trials WHERE study_id = ? AND number = ?`,
      [studyId, number],
    );
    const seq = await this.bump(s, studyId);
    const now = (await this.db.now(s)).toISOString();
    await s.run(
      `UPDATE trials SET status = 'running', owner = ?, attempt = attempt + 1, retries = retries + ?,
         started_at = ?, heartbeat_at = ?, finished_at = NULL, score = NULL, best_epoch = NULL, epochs_run = 0,
         history_json = '[]', duration_ms = NULL, diagnostics_json = NULL, planned_epochs = NULL, checkpoint = NULL,
         error = NULL, best_val_loss = NULL, runs_json = NULL, score_std = NULL, pruned_epoch = NULL, pruned_rule = NULL, remedies_json = NULL, seq = ?
       WHERE study_id = ? AND number = ?`,
      [this.opts.owner, retry ? 1 : 0, now, now, seq, studyId, number],
    );
    return { kind: 'run', trial: (await this.summaryByNumber(s, studyId, number))!, rerun: retry ? 'retry' : 'stale' };
  }

  /** Inserts the decided trial under the next number; `seq` is the change's, taken by the caller. */
  private async insertTrial(s: SqlSession, study: StudyRecord, decision: RunDecision, seq: number): Promise<TrialSummary> {
    const now = (await this.db.now(s)).toISOString();
    const row = await s.get<SummaryRow>(
      `INSERT INTO trials (study_id, number, status, params_json, started_at, heartbeat_at, parent, from_epoch, to_epoch, slot_json, owner, seed, repair_of, seq)
       VALUES (?, (SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study_id = ?), 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       RETURNING ${SUMMARY_COLUMNS}`,
      [
        study.id,
        study.id,
        encodeStrict(decision.params, 'trial parameters'),
        now,
        now,
        decision.parent ?? null,
        decision.fromEpoch ?? null,
        decision.toEpoch ?? null,
        decision.slot ? encodeStrict(decision.slot, 'schedule slot') : null,
        this.opts.owner,
        workSeed(study.seed, decision.params, decision.fromEpoch, decision.toEpoch),
        decision.repairOf ?? null,
        seq,
      ],
    );
    const trial = toSummary(row!);
    if (decision.queued !== undefined) {
      await s.run('UPDATE queue SET trial = ? WHERE id = ? AND study_id = ? AND trial IS NULL', [trial.number, decision.queued, study.id]);
    }
    return trial;
  }

  private async summaryByNumber(s: SqlSession, studyId: number, number: number): Promise<TrialSummary | undefined> {
    const row = await s.get<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM trials WHERE study_id = ? AND number = ?`, [studyId, number]);
    return row && toSummary(row);
  }

  private async studyById(s: SqlSession, id: number): Promise<StudyRecord | undefined> {
    const row = await s.get<StudyRow>(`SELECT ${STUDY_COLUMNS} FROM studies WHERE id = ?`, [id]);
    return row && toStudy(row);
  }

  /**
   * Inside a write transaction: the study, locked (lockStudy) and read in one statement,
   * with its seq and the number of configurations waiting in its queue.
   */
  private async lockedStudy(s: SqlSession, id: number): Promise<{ study: StudyRecord; seq: number; waiting: number }> {
    const row = await s.get<StudyRow & { waiting: number }>(
      `SELECT ${STUDY_COLUMNS}, (SELECT count(*) FROM queue WHERE queue.study_id = studies.id AND queue.trial IS NULL) AS waiting
         FROM studies WHERE id = ?${this.db.forUpdate}`,
      [id],
    );
    if (!row) throw this.studyGone(id);
    return { study: toStudy(row), seq: num(row.seq), waiting: num(row.waiting) };
  }

  private async requireStudy(s: SqlSession, id: number): Promise<StudyRecord> {
    const study = await this.studyById(s, id);
    if (!study) throw this.studyGone(id);
    return study;
  }

  /** A study this process was working on no longer exists: another process deleted it. */
  private studyGone(id: number): GradtuneError {
    return new GradtuneError(
      `the study (id ${id}) no longer exists in ${this.location}: another process deleted it (gradtune delete, or search --overwrite); start it again with gradtune search`,
    );
  }

  /** `which` is "named x" or "with id 3". */
  private unknownStudy(which: string): GradtuneError {
    return new GradtuneError(`no study ${which} in ${this.location}; check the name against the list of studies (gradtune studies)`);
  }
}

/** The validation loss of the best epoch, when finite: the tie-break between equal scores. */
function bestValLoss(outcome: TrialOutcomeUpdate): number | null {
  const value = outcome.history.find((h) => h.epoch === outcome.bestEpoch)?.val_loss;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Ends a transaction without writing anything (it rolls back), with the answer to give. */
class Unchanged {
  constructor(readonly told: boolean) {}
}

/** A decide that returns something else (a forgotten return, a wrong object) is a bug upstream. */
function checkDecision(decision: Decision): Decision {
  if (decision && (decision.kind === 'run' || decision.kind === 'wait' || decision.kind === 'done')) return decision;
  throw new Error(`the oracle returned ${JSON.stringify(decision)}; expected a Decision (run, wait or done)`);
}
