import type { BackendName, Direction, TrialRun } from '../train/types.js';
import type { DataSource } from '../data/types.js';
import type { Params } from '../space/types.js';
import type { QueuedParams, StoredEpoch, StudyRecord, TrialAttempt, TrialRecord, TrialStatus, TrialSummary } from './store.js';
import type { EpochValueRow } from './epoch-values.js';
import type { EpochRecord } from '../train/types.js';
import { decodeLenient, decodeStrict } from './codec.js';
import type { Remedy, TrialDiagnostics } from '../train/diagnostics-types.js';
import type { ScheduleSlot } from '../oracle/oracle.js';

/** A `studies` row as the database returns it. */
export interface StudyRow {
  id: number;
  name: string;
  space: string;
  space_fingerprint: string;
  dataset_name: string;
  dataset_fingerprint: string;
  data_json: string;
  objective_metric: string;
  objective_direction: Direction;
  algorithm: string;
  settings_json: string;
  seed: number;
  max_epochs: number;
  created_at: string;
  seq: number;
}

export const STUDY_COLUMNS = `id, name, space, space_fingerprint, dataset_name, dataset_fingerprint, data_json, objective_metric,
  objective_direction, algorithm, settings_json, seed, max_epochs, created_at, seq`;

/** The light columns of a `trials` row: what a summary holds. */
export interface SummaryRow {
  study_id: number;
  number: number;
  status: TrialStatus;
  params_json: string;
  score: number | null;
  best_epoch: number | null;
  epochs_run: number;
  backend: BackendName | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  heartbeat_at: string | null;
  planned_epochs: number | null;
  parent: number | null;
  from_epoch: number | null;
  to_epoch: number | null;
  slot_json: string | null;
  owner: string | null;
  attempt: number;
  retries: number;
  seed: number | null;
  best_val_loss: number | null;
  score_std: number | null;
  has_checkpoint: number | boolean;
  pruned_epoch: number | null;
  pruned_rule: string | null;
  seq: number;
  repair_of: number | null;
  remedies_json: string | null;
}

/** A whole `trials` row but the checkpoint BLOB. */
export interface TrialRow extends SummaryRow {
  history_json: string;
  runs_json: string | null;
  error: string | null;
  diagnostics_json: string | null;
}

/** Named explicitly so that the checkpoint BLOB is never read by accident. */
export const SUMMARY_COLUMNS = `study_id, number, status, params_json, score, best_epoch, epochs_run, backend, started_at,
  finished_at, duration_ms, heartbeat_at, planned_epochs, parent, from_epoch, to_epoch, slot_json, owner, attempt, retries,
  seed, best_val_loss, score_std, (checkpoint IS NOT NULL) AS has_checkpoint, pruned_epoch, pruned_rule, seq, repair_of, remedies_json`;

export const TRIAL_COLUMNS = `${SUMMARY_COLUMNS}, history_json, error, diagnostics_json, runs_json`;

/**
 * TRIAL_COLUMNS without what only a finished trial's own charts draw (see
 * Store.changedTrials' `light`): the last epoch of its history, and of its diagnostics'
 * per-epoch statistics (so that whether it has any still shows). Running trials' columns
 * are whole.
 */
export function lightTrialColumns(dialect: 'sqlite' | 'postgres'): string {
  const lastEpoch = dialect === 'sqlite' ? "history_json -> '$[#-1]'" : '(history_json::jsonb -> -1)::text';
  const lastStats =
    dialect === 'sqlite'
      ? `CASE WHEN json_array_length(diagnostics_json, '$.epochs') > 0 THEN json_set(diagnostics_json, '$.epochs', json_array(json(diagnostics_json -> '$.epochs[#-1]'))) ELSE diagnostics_json END`
      : `CASE WHEN jsonb_array_length(diagnostics_json::jsonb -> 'epochs') > 0 THEN jsonb_set(diagnostics_json::jsonb, '{epochs}', jsonb_build_array(diagnostics_json::jsonb -> 'epochs' -> -1))::text ELSE diagnostics_json END`;
  return [
    SUMMARY_COLUMNS,
    `CASE WHEN status = 'running' THEN history_json ELSE '[' || coalesce(${lastEpoch}, '') || ']' END AS history_json`,
    'error',
    `CASE WHEN status = 'running' OR diagnostics_json IS NULL THEN diagnostics_json ELSE ${lastStats} END AS diagnostics_json`,
    'runs_json',
  ].join(', ');
}

/** PostgreSQL returns BIGINT and NUMERIC as strings; every number column is read through here. */
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

export function toStudy(row: StudyRow): StudyRecord {
  return {
    id: num(row.id),
    name: row.name,
    space: row.space,
    spaceFingerprint: row.space_fingerprint,
    datasetName: row.dataset_name,
    datasetFingerprint: row.dataset_fingerprint,
    data: decodeStrict<DataSource>(row.data_json),
    objective: { metric: row.objective_metric, direction: row.objective_direction },
    algorithm: row.algorithm,
    settings: decodeLenient<Record<string, unknown>>(row.settings_json),
    seed: num(row.seed),
    maxEpochs: num(row.max_epochs),
    createdAt: row.created_at,
  };
}

export function toSummary(row: SummaryRow): TrialSummary {
  return {
    studyId: num(row.study_id),
    number: num(row.number),
    status: row.status,
    params: decodeStrict<Params>(row.params_json),
    score: numOrNull(row.score),
    bestEpoch: numOrNull(row.best_epoch),
    epochsRun: num(row.epochs_run),
    backend: row.backend,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: numOrNull(row.duration_ms),
    heartbeatAt: row.heartbeat_at,
    plannedEpochs: numOrNull(row.planned_epochs),
    parent: numOrNull(row.parent),
    fromEpoch: numOrNull(row.from_epoch),
    toEpoch: numOrNull(row.to_epoch),
    slot: row.slot_json === null ? null : decodeStrict<ScheduleSlot>(row.slot_json),
    owner: row.owner,
    attempt: num(row.attempt),
    retries: num(row.retries),
    seed: numOrNull(row.seed),
    bestValLoss: numOrNull(row.best_val_loss),
    scoreStd: numOrNull(row.score_std),
    hasCheckpoint: Boolean(num(row.has_checkpoint)),
    pruned: row.pruned_epoch === null || row.pruned_epoch === undefined ? null : { epoch: num(row.pruned_epoch), rule: row.pruned_rule ?? '' },
    repairOf: numOrNull(row.repair_of),
    remedies: row.remedies_json === null || row.remedies_json === undefined ? null : decodeStrict<Remedy[]>(row.remedies_json),
  };
}

export function toTrial(row: TrialRow): TrialRecord {
  return {
    ...toSummary(row),
    history: decodeLenient(row.history_json),
    error: row.error,
    diagnostics: row.diagnostics_json === null ? null : decodeLenient<TrialDiagnostics>(row.diagnostics_json),
    runs: row.runs_json === null ? null : decodeLenient<TrialRun[]>(row.runs_json),
  };
}

export interface AttemptRow {
  number: number;
  attempt: number;
  status: TrialStatus;
  owner: string | null;
  started_at: string;
  finished_at: string | null;
  score: number | null;
  epochs_run: number;
  error: string | null;
}

export function toAttempt(row: AttemptRow): TrialAttempt {
  return {
    number: num(row.number),
    attempt: num(row.attempt),
    status: row.status,
    owner: row.owner,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    score: numOrNull(row.score),
    epochsRun: num(row.epochs_run),
    error: row.error,
  };
}

export function toQueued(row: { id: number; params_json: string }): QueuedParams {
  return { id: num(row.id), params: decodeStrict<Params>(row.params_json) };
}

/** A `trial_epochs` row. */
export interface EpochRow {
  id: number;
  number: number;
  attempt: number;
  run: number;
  epoch: number;
  value: number | null;
  record_json: string;
}

export const EPOCH_COLUMNS = 'id, number, attempt, run, epoch, value';

export function toEpochValue(row: Omit<EpochRow, 'record_json'>): EpochValueRow {
  return { id: num(row.id), number: num(row.number), attempt: num(row.attempt), run: num(row.run), epoch: num(row.epoch), value: numOrNull(row.value) };
}

export function toStoredEpoch(row: EpochRow): StoredEpoch {
  return { ...toEpochValue(row), record: decodeLenient<EpochRecord>(row.record_json) };
}
