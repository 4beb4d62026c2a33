import type Database from 'better-sqlite3';
import { hostname } from 'node:os';
import { GradtuneError } from '../errors.js';
import type { Decision, RunDecision } from '../oracle/oracle.js';
import type {
  AskOptions,
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
  /** This process, as written in a trial's owner column. Default host:pid. */
  owner?: string;
  /**
   * Whether the process that owns a running trial is still alive; undefined when this
   * process cannot tell (another machine). Default: a signal-0 probe of a pid on this host.
   */
  ownerAlive?: (owner: string) => boolean | undefined;
  /** Reports only: a store whose file is read-only opens read-only instead of being an error. */
  readOnly?: boolean;
}

export const DEFAULT_STALE_AFTER_MS = 60_000;

/** This process as a trial owner: the host lets a process on the same machine check the pid. */
export function processOwner(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * A process on this host that owned a running trial and no longer exists lost that trial
 * for certain (kill -9, a crash, a second Ctrl-C): it need not wait out the grace period.
 */
export function localOwnerAlive(owner: string): boolean | undefined {
  const at = owner.lastIndexOf(':');
  const pid = Number(owner.slice(at + 1));
  if (at < 0 || owner.slice(0, at) !== hostname() || !Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the pid exists but belongs to another user; only ESRCH means it is gone.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Opens the store at `path` (`:memory:` for a throwaway one), creating the file and its
 * schema when it does not exist. Throws GradtuneError, touching nothing, when the path is
 * a directory, its directory is missing, the file is not a SQLite database, or it was
 * written by a newer gradtune.
 */
export function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(path, openDatabase(path, { readOnly: opts.readOnly }), {
    now: opts.now ?? (() => new Date()),
    staleAfterMs: opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS,
    owner: opts.owner ?? processOwner(),
    ownerAlive: opts.ownerAlive ?? localOwnerAlive,
  });
}

/** The embedded store: one SQLite file that several processes on one machine share. */
export class SqliteStore implements Store {
  private readonly now: () => Date;
  private readonly staleAfterMs: number;
  private readonly owner: string;
  private readonly ownerAlive: (owner: string) => boolean | undefined;

  /** @internal use openSqliteStore */
  constructor(
    readonly path: string,
    private readonly db: Database.Database,
    opts: Required<Omit<SqliteStoreOptions, 'readOnly'>>,
  ) {
    this.now = opts.now;
    this.staleAfterMs = opts.staleAfterMs;
    this.owner = opts.owner;
    this.ownerAlive = opts.ownerAlive;
  }

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
   * Trials that lost their process are handed out again before anything new, under their
   * own number and params, so a resumed search reaches exactly its target.
   */
  ask(studyId: number, decide: (study: StudyRecord, trials: readonly TrialRecord[]) => Decision, opts: AskOptions = {}): AskResult {
    const maxRetries = opts.maxRetries ?? 0;
    return this.db
      .transaction((): AskResult => {
        const study = this.studyById(studyId);
        if (!study) throw this.unknownStudy(`with id ${studyId}`);
        // Inside the same transaction as the decision: no two processes re-queue one trial.
        this.markLost(studyId);
        const again = this.db
          .prepare<[number, number], { number: number; status: TrialStatus }>(
            `SELECT number, status FROM trials WHERE study_id = ?
               AND (status = 'stale' OR (status = 'failed' AND retries < ?)) ORDER BY number LIMIT 1`,
          )
          .get(studyId, maxRetries);
        if (again) return { kind: 'run', trial: this.handOutAgain(studyId, again.number, again.status === 'failed'), rerun: again.status === 'failed' ? 'retry' : 'stale' };
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

  release(studyId: number, trialNumber: number, attempt: number): void {
    this.db
      .prepare(`UPDATE trials SET status = 'stale' WHERE study_id = ? AND number = ? AND attempt = ? AND status = 'running'`)
      .run(studyId, trialNumber, attempt);
  }

  /** Running trials whose heartbeat is older than the grace period, or whose process is gone, become stale. */
  private markLost(studyId: number): void {
    const cutoff = new Date(this.now().getTime() - this.staleAfterMs).toISOString();
    this.db
      .prepare(`UPDATE trials SET status = 'stale' WHERE study_id = ? AND status = 'running' AND heartbeat_at < ?`)
      .run(studyId, cutoff);
    const running = this.db
      .prepare<[number, string], { number: number; owner: string }>(
        `SELECT number, owner FROM trials WHERE study_id = ? AND status = 'running' AND owner IS NOT NULL AND owner != ?`,
      )
      .all(studyId, this.owner);
    const markStale = this.db.prepare(`UPDATE trials SET status = 'stale' WHERE study_id = ? AND number = ? AND status = 'running'`);
    for (const { number, owner } of running) {
      if (this.ownerAlive(owner) === false) markStale.run(studyId, number);
    }
  }

  /** The same trial, number and params, from the start: the first attempt's results are cleared. */
  private handOutAgain(studyId: number, trialNumber: number, retry: boolean): TrialRecord {
    const now = this.timestamp();
    this.db
      .prepare(
        `UPDATE trials SET status = 'running', owner = ?, attempt = attempt + 1, retries = retries + ?,
           started_at = ?, heartbeat_at = ?, finished_at = NULL, score = NULL, best_epoch = NULL, epochs_run = 0,
           history_json = '[]', duration_ms = NULL, diagnostics_json = NULL, planned_epochs = NULL, checkpoint = NULL
         WHERE study_id = ? AND number = ?`,
      )
      .run(this.owner, retry ? 1 : 0, now, now, studyId, trialNumber);
    return this.trialByNumber(studyId, trialNumber)!;
  }

  tell(studyId: number, trialNumber: number, outcome: TrialOutcomeUpdate): boolean {
    if (outcome.attempt !== undefined) {
      const row = this.db
        .prepare<[number, number], { attempt: number }>('SELECT attempt FROM trials WHERE study_id = ? AND number = ?')
        .get(studyId, trialNumber);
      // Handed out again meanwhile (this attempt went stale): the newer run's result will count.
      if (row && row.attempt !== outcome.attempt) return false;
    }
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
    return true;
  }

  checkpoint(studyId: number, trialNumber: number): Uint8Array | null {
    const row = this.db
      .prepare<[number, number], { checkpoint: Buffer | null }>('SELECT checkpoint FROM trials WHERE study_id = ? AND number = ?')
      .get(studyId, trialNumber);
    return row?.checkpoint ? new Uint8Array(row.checkpoint.buffer, row.checkpoint.byteOffset, row.checkpoint.byteLength) : null;
  }

  checkpointNumbers(studyId: number): number[] {
    return this.db
      .prepare<[number], { number: number }>('SELECT number FROM trials WHERE study_id = ? AND checkpoint IS NOT NULL ORDER BY number')
      .all(studyId)
      .map((r) => r.number);
  }

  dropCheckpoints(studyId: number, keep: (study: StudyRecord, trials: readonly TrialRecord[]) => ReadonlySet<number>): number[] {
    // IMMEDIATE, as ask: the trials `keep` judges are the trials the UPDATE touches.
    return this.db
      .transaction((): number[] => {
        const study = this.studyById(studyId);
        if (!study) throw this.unknownStudy(`with id ${studyId}`);
        const kept = keep(study, this.trials(studyId));
        const dropped = this.checkpointNumbers(studyId).filter((n) => !kept.has(n));
        const drop = this.db.prepare('UPDATE trials SET checkpoint = NULL WHERE study_id = ? AND number = ?');
        for (const n of dropped) drop.run(studyId, n);
        return dropped;
      })
      .immediate();
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
        `INSERT INTO trials (study_id, number, status, params_json, started_at, heartbeat_at, parent, from_epoch, to_epoch, slot_json, owner, repair_of)
         VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
        this.owner,
        decision.repairOf ?? null,
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
