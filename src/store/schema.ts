/**
 * The store's schema as an ordered list of migrations. Migration i (0-based) takes a
 * database from `PRAGMA user_version = i` to `i + 1`; released migrations are never edited,
 * only appended to, so every existing store can be brought forward step by step.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: studies and trials.
  `
  CREATE TABLE studies (
    -- AUTOINCREMENT: a deleted study's id is never reused, so a process still holding it
    -- cannot write into a newer study by accident.
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT    NOT NULL UNIQUE,
    space               TEXT    NOT NULL,
    dataset_name        TEXT    NOT NULL,
    dataset_fingerprint TEXT    NOT NULL,
    data_json           TEXT    NOT NULL,
    objective_metric    TEXT    NOT NULL,
    objective_direction TEXT    NOT NULL CHECK (objective_direction IN ('min', 'max')),
    algorithm           TEXT    NOT NULL,
    settings_json       TEXT    NOT NULL,
    seed                INTEGER NOT NULL,
    max_epochs          INTEGER NOT NULL,
    created_at          TEXT    NOT NULL
  );

  CREATE TABLE trials (
    study_id     INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    number       INTEGER NOT NULL CHECK (number >= 0),
    status       TEXT    NOT NULL
                 CHECK (status IN ('running', 'completed', 'rejected', 'pruned', 'failed', 'stale')),
    params_json  TEXT    NOT NULL,
    score        REAL,
    best_epoch   INTEGER,
    epochs_run   INTEGER NOT NULL DEFAULT 0,
    history_json TEXT    NOT NULL DEFAULT '[]',
    backend      TEXT,
    started_at   TEXT    NOT NULL,
    finished_at  TEXT,
    duration_ms  REAL,
    heartbeat_at TEXT,
    error        TEXT,
    -- Reserved for Hyperband: the trial this one continues, and its starting weights.
    parent       INTEGER,
    checkpoint   BLOB,
    PRIMARY KEY (study_id, number)
  );

  -- Counting trials by status and finding running ones (heartbeats, stale detection).
  CREATE INDEX trials_by_status ON trials (study_id, status);
  `,
  // 2: gradient diagnostics (verdict, evidence, per-epoch statistics) and the epochs a
  // trial planned, so a report can say how much budget rejection saved.
  `
  ALTER TABLE trials ADD COLUMN diagnostics_json TEXT;
  ALTER TABLE trials ADD COLUMN planned_epochs INTEGER;
  `,
  // 3: what the oracle decided beyond the params: the epochs a trial trains (a Hyperband
  // promotion continues its parent from from_epoch) and its place in the schedule.
  `
  ALTER TABLE trials ADD COLUMN from_epoch INTEGER;
  ALTER TABLE trials ADD COLUMN to_epoch INTEGER;
  ALTER TABLE trials ADD COLUMN slot_json TEXT;
  `,
  // 4: who runs a trial (host:pid, so a resume on the same machine sees at once that the
  // process died), how many times it was handed out, and how many of those were retries
  // after a failure (--max-retries).
  `
  ALTER TABLE trials ADD COLUMN owner TEXT;
  ALTER TABLE trials ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE trials ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
  `,
  // 5: stores that scale and studies that own their settings.
  // - seq: a per-study change counter. Every change that matters to a decision (a trial
  //   inserted, told, handed out again, given back, marked stale, its checkpoint dropped;
  //   a configuration queued) takes the next value and stamps the trial with it, so a
  //   process reads only the trials changed since its last read, and an ask can tell that
  //   nothing changed between its decision and its insert.
  // - space_fingerprint: every process joining the study must load the same space.
  // - seed: a trial's weights and batch order, from what identifies its work.
  // - trial_attempts: earlier runs of a trial handed out again, kept on record.
  // - queue: configurations enqueued by the user, run before new ones are drawn.
  // - pruned_epoch, pruned_rule: the epoch a pruned trial stopped at and the rule that
  //   stopped it (a pruner, src/pruner/).
  // - trial_epochs: every epoch of every trial as it is reported (per-epoch reports), under
  //   the attempt that trained it, so a re-run's epochs never mix with an earlier run's.
  //   `value` is the objective's (NULL when not finite), `run` the run of a trial that
  //   trains several (executions, folds; 0 otherwise). `id` is a "changed since" cursor:
  //   rows of one study are inserted under the study's lock, so ids grow in commit order.
  // - repair_of: a trial that repairs a rejected one (--repair): the same configuration
  //   with a remedy applied, linked to the trial it repairs. remedies_json: a rejected
  //   trial's remedies in the order --repair tries them, light enough for every ask.
  `
  ALTER TABLE studies ADD COLUMN space_fingerprint TEXT NOT NULL DEFAULT '';
  ALTER TABLE studies ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE trials ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE trials ADD COLUMN seed INTEGER;
  ALTER TABLE trials ADD COLUMN best_val_loss REAL;
  ALTER TABLE trials ADD COLUMN score_std REAL;
  ALTER TABLE trials ADD COLUMN runs_json TEXT;
  CREATE INDEX trials_by_seq ON trials (study_id, seq);

  CREATE TABLE trial_attempts (
    study_id     INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    attempt      INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    owner        TEXT,
    started_at   TEXT    NOT NULL,
    finished_at  TEXT,
    score        REAL,
    epochs_run   INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    PRIMARY KEY (study_id, number, attempt)
  );

  CREATE TABLE queue (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id    INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    params_json TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    -- The trial that ran this configuration; NULL while it waits.
    trial       INTEGER
  );
  CREATE INDEX queue_waiting ON queue (study_id, trial);

  ALTER TABLE trials ADD COLUMN pruned_epoch INTEGER;
  ALTER TABLE trials ADD COLUMN pruned_rule TEXT;

  CREATE TABLE trial_epochs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id    INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    run         INTEGER NOT NULL DEFAULT 0,
    epoch       INTEGER NOT NULL,
    value       REAL,
    record_json TEXT    NOT NULL,
    UNIQUE (study_id, number, attempt, run, epoch)
  );
  CREATE INDEX trial_epochs_since ON trial_epochs (study_id, id);

  ALTER TABLE trials ADD COLUMN repair_of INTEGER;
  ALTER TABLE trials ADD COLUMN remedies_json TEXT;
  `,
];

/** The schema version this code writes; a store with a higher user_version is from a newer gradtune. */
export const SCHEMA_VERSION = MIGRATIONS.length;
