import type Database from 'better-sqlite3';
import { GradtuneError } from '../errors.js';
import type { Decision, RunDecision } from '../oracle/oracle.js';
import type {
  AskResult,
  NewStudy,
  Store,
  StudyRecord,
  StudySummary,
  TrialOutcomeUpdate,
  TrialRecord,
  TrialStatus,
} from './store.js';
import { encodeLenient, encodeStrict } from './codec.js';
import { validateStudyName } from './names.js';
import { openDatabase } from './open.js';
import { TRIAL_COLUMNS, toStudy, toTrial, type StudyRow, type TrialRow } from './rows.js';

export interface SqliteStoreOptions {
  /** Clock for created_at/started_at/heartbeat_at/finished_at; tests pin it. */
  now?: () => Date;
  /**
   * A running trial whose heartbeat is older than this lost its worker (a killed process):
   * the next ask marks it stale, so the oracle can hand its slot out again. Default 60 s;
   * the Tuner beats every 10 s.
   */
  staleAfterMs?: number;
}

export const DEFAULT_STALE_AFTER_MS = 60_000;

/**
 * Opens the store at `path` (`:memory:` for a throwaway one), creating the file and its
 * schema when it does not exist. Throws GradtuneError, touching nothing, when the path is
 * a directory, its directory is missing, the file is not a SQLite database, or it was
 * written by a newer gradtune.
 */
export function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(path, openDatabase(path), opts.now ?? (() => new Date()), opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
}

/** The embedded store: one SQLite file that several processes on one machine share. */
export class SqliteStore implements Store {
  /** @internal use openSqliteStore */
  constructor(
    readonly path: string,
    private readonly db: Database.Database,
    private readonly now: () => Date,
    private readonly staleAfterMs: number = DEFAULT_STALE_AFTER_MS,
  ) {}

  createStudy(study: NewStudy): StudyRecord {
    validateStudyName(study.name);
    let id: number;
    try {
      const info = this.db
        .prepare(
          `INSERT INTO studies (name, space, dataset_name, dataset_fingerprint, data_json, objective_metric,
             objective_direction, algorithm, settings_json, seed, max_epochs, created_at)
           VALUES (@name, @space, @datasetName, @datasetFingerprint, @data, @metric,
             @direction, @algorithm, @settings, @seed, @maxEpochs, @createdAt)`,
        )
        .run({
          name: study.name,
          space: study.space,
          datasetName: study.datasetName,
          datasetFingerprint: study.datasetFingerprint,
          data: encodeStrict(study.data, 'data options'),
          metric: study.objective.metric,
          direction: study.objective.direction,
          algorithm: study.algorithm,
          settings: encodeLenient(study.settings),
          seed: study.seed,
          maxEpochs: study.maxEpochs,
          createdAt: this.timestamp(),
        });
      id = Number(info.lastInsertRowid);
    } catch (err) {
      // The UNIQUE constraint, not a prior SELECT, decides: two processes may race here.
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new GradtuneError(
          `a study named ${study.name} already exists in ${this.path}; choose another name or delete that study first`,
        );
      }
      throw err;
    }
    return this.studyById(id)!;
  }

  getStudy(name: string): StudyRecord | undefined {
    const row = this.db.prepare<[string], StudyRow>('SELECT * FROM studies WHERE name = ?').get(name);
    return row && toStudy(row);
  }

  deleteStudy(name: string): void {
    this.db.transaction(() => {
      const study = this.getStudy(name);
      if (!study) throw this.unknownStudy(`named ${name}`);
      // Trials first, explicitly: correct even on a connection where foreign keys are off.
      this.db.prepare('DELETE FROM trials WHERE study_id = ?').run(study.id);
      this.db.prepare('DELETE FROM studies WHERE id = ?').run(study.id);
    }).immediate();
  }

  listStudies(): StudySummary[] {
    const rows = this.db
      .prepare<[], StudyRow & { best: number | null }>(
        `SELECT s.*,
           (SELECT CASE s.objective_direction WHEN 'max' THEN max(t.score) ELSE min(t.score) END
              FROM trials t WHERE t.study_id = s.id AND t.status = 'completed') AS best
         FROM studies s ORDER BY s.id`,
      )
      .all();
    const counts = new Map<number, Partial<Record<TrialStatus, number>>>();
    const countRows = this.db
      .prepare<[], { study_id: number; status: TrialStatus; n: number }>(
        'SELECT study_id, status, count(*) AS n FROM trials GROUP BY study_id, status',
      )
      .all();
    for (const { study_id, status, n } of countRows) {
      const c = counts.get(study_id) ?? {};
      c[status] = n;
      counts.set(study_id, c);
    }
    return rows.map((row) => ({
      name: row.name,
      space: row.space,
      datasetName: row.dataset_name,
      algorithm: row.algorithm,
      objective: { metric: row.objective_metric, direction: row.objective_direction },
      createdAt: row.created_at,
      counts: counts.get(row.id) ?? {},
      best: row.best,
    }));
  }

  trials(studyId: number): TrialRecord[] {
    return this.db
      .prepare<[number], TrialRow>(`SELECT ${TRIAL_COLUMNS} FROM trials WHERE study_id = ? ORDER BY number`)
      .all(studyId)
      .map(toTrial);
  }

  countTrials(studyId: number): Partial<Record<TrialStatus, number>> {
    const counts: Partial<Record<TrialStatus, number>> = {};
    const rows = this.db
      .prepare<[number], { status: TrialStatus; n: number }>(
        'SELECT status, count(*) AS n FROM trials WHERE study_id = ? GROUP BY status',
      )
      .all(studyId);
    for (const { status, n } of rows) counts[status] = n;
    return counts;
  }

  /**
   * IMMEDIATE takes the write lock before reading, so the history the oracle sees is still
   * the history when the new trial is inserted: no two processes get the same number.
   */
  ask(studyId: number, decide: (study: StudyRecord, trials: readonly TrialRecord[]) => Decision): AskResult {
    return this.db
      .transaction((): AskResult => {
        const study = this.studyById(studyId);
        if (!study) throw this.unknownStudy(`with id ${studyId}`);
        // Inside the same transaction as the decision: no two processes re-queue one trial.
        const cutoff = new Date(this.now().getTime() - this.staleAfterMs).toISOString();
        this.db
          .prepare(`UPDATE trials SET status = 'stale' WHERE study_id = ? AND status = 'running' AND heartbeat_at < ?`)
          .run(studyId, cutoff);
        const decision = decide(study, this.trials(studyId));
        switch (decision.kind) {
          case 'wait':
            return { kind: 'wait' };
          case 'done':
            return { kind: 'done', reason: decision.reason };
          case 'run':
            return { kind: 'run', trial: this.insertTrial(studyId, decision) };
          default:
            // e.g. an async decide: its Promise has no `kind`, and the transaction cannot await.
            throw new Error(`decide returned ${String(decision)}; expected a Decision (run, wait or done), synchronously`);
        }
      })
      .immediate();
  }

  tell(studyId: number, trialNumber: number, outcome: TrialOutcomeUpdate): void {
    const info = this.db
      .prepare(
        `UPDATE trials SET status = @status, score = @score, best_epoch = @bestEpoch, epochs_run = @epochsRun,
           history_json = @history, backend = @backend, duration_ms = @durationMs, error = @error,
           diagnostics_json = @diagnostics, planned_epochs = @plannedEpochs, checkpoint = @checkpoint,
           finished_at = @finishedAt
         WHERE study_id = @studyId AND number = @number AND status IN ('running', 'stale')`,
      )
      .run({
        studyId,
        number: trialNumber,
        status: outcome.status,
        // The contract is "null when no epoch was finite"; SQLite would store NaN as NULL
        // anyway, and an Infinity would win every min/max comparison for best.
        score: outcome.score !== null && Number.isFinite(outcome.score) ? outcome.score : null,
        bestEpoch: outcome.bestEpoch,
        epochsRun: outcome.epochsRun,
        history: encodeLenient(outcome.history),
        backend: outcome.backend,
        durationMs: outcome.durationMs,
        error: outcome.error ?? null,
        diagnostics: outcome.diagnostics ? encodeLenient(outcome.diagnostics) : null,
        plannedEpochs: outcome.plannedEpochs ?? null,
        checkpoint: outcome.checkpoint ? Buffer.from(outcome.checkpoint.buffer, outcome.checkpoint.byteOffset, outcome.checkpoint.byteLength) : null,
        finishedAt: this.timestamp(),
      });
    // A stale trial may still report (its worker was slow, not dead) and its result is
    // real; a finished one must not be overwritten, and a missing one means a bug upstream.
    if (info.changes === 0) {
      const row = this.db
        .prepare<[number, number], { status: TrialStatus }>('SELECT status FROM trials WHERE study_id = ? AND number = ?')
        .get(studyId, trialNumber);
      throw new Error(
        row
          ? `trial ${trialNumber} of study ${studyId} already finished as ${row.status}; it cannot be told twice`
          : `trial ${trialNumber} of study ${studyId} does not exist`,
      );
    }
  }

  checkpoint(studyId: number, trialNumber: number): Uint8Array | null {
    const row = this.db
      .prepare<[number, number], { checkpoint: Buffer | null }>('SELECT checkpoint FROM trials WHERE study_id = ? AND number = ?')
      .get(studyId, trialNumber);
    return row?.checkpoint ? new Uint8Array(row.checkpoint.buffer, row.checkpoint.byteOffset, row.checkpoint.byteLength) : null;
  }

  heartbeat(studyId: number, trialNumber: number): void {
    // Only running trials: a heartbeat timer firing just after tell is a normal race, and
    // must neither fail nor touch the finished row.
    this.db
      .prepare(`UPDATE trials SET heartbeat_at = ? WHERE study_id = ? AND number = ? AND status = 'running'`)
      .run(this.timestamp(), studyId, trialNumber);
  }

  close(): void {
    this.db.close();
  }

  private insertTrial(studyId: number, decision: RunDecision): TrialRecord {
    const { next } = this.db
      .prepare<[number], { next: number }>('SELECT coalesce(max(number) + 1, 0) AS next FROM trials WHERE study_id = ?')
      .get(studyId)!;
    const now = this.timestamp();
    this.db
      .prepare(
        `INSERT INTO trials (study_id, number, status, params_json, started_at, heartbeat_at, parent, from_epoch, to_epoch, slot_json)
         VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        studyId,
        next,
        encodeStrict(decision.params, 'trial parameters'),
        now,
        now,
        decision.parent ?? null,
        decision.fromEpoch ?? null,
        decision.toEpoch ?? null,
        decision.slot ? encodeStrict(decision.slot, 'schedule slot') : null,
      );
    return this.trialByNumber(studyId, next)!;
  }

  private studyById(id: number): StudyRecord | undefined {
    const row = this.db.prepare<[number], StudyRow>('SELECT * FROM studies WHERE id = ?').get(id);
    return row && toStudy(row);
  }

  private trialByNumber(studyId: number, number: number): TrialRecord | undefined {
    const row = this.db
      .prepare<[number, number], TrialRow>(`SELECT ${TRIAL_COLUMNS} FROM trials WHERE study_id = ? AND number = ?`)
      .get(studyId, number);
    return row && toTrial(row);
  }

  /** `which` is "named x" or "with id 3". */
  private unknownStudy(which: string): GradtuneError {
    return new GradtuneError(`no study ${which} in ${this.path}; check the name against the list of studies`);
  }

  private timestamp(): string {
    return this.now().toISOString();
  }
}
