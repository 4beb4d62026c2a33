import type { BackendName, Direction } from '../train/types.js';
import type { DataSource } from '../data/types.js';
import type { Params } from '../space/types.js';
import type { StudyRecord, TrialRecord, TrialStatus } from './store.js';
import { decodeLenient, decodeStrict } from './codec.js';
import type { TrialDiagnostics } from '../train/diagnostics-types.js';
import type { ScheduleSlot } from '../oracle/oracle.js';

/** A `studies` row exactly as SQLite returns it. */
export interface StudyRow {
  id: number;
  name: string;
  space: string;
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
}

/** A `trials` row as SQLite returns it, without the columns reserved for Hyperband. */
export interface TrialRow {
  study_id: number;
  number: number;
  status: TrialStatus;
  params_json: string;
  score: number | null;
  best_epoch: number | null;
  epochs_run: number;
  history_json: string;
  backend: BackendName | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  heartbeat_at: string | null;
  error: string | null;
  diagnostics_json: string | null;
  planned_epochs: number | null;
  parent: number | null;
  from_epoch: number | null;
  to_epoch: number | null;
  slot_json: string | null;
  owner: string | null;
  attempt: number;
  retries: number;
  repair_of: number | null;
}

/** Named explicitly so that the reserved BLOB column is never read by accident. */
export const TRIAL_COLUMNS = `study_id, number, status, params_json, score, best_epoch, epochs_run,
  history_json, backend, started_at, finished_at, duration_ms, heartbeat_at, error, diagnostics_json, planned_epochs,
  parent, from_epoch, to_epoch, slot_json, owner, attempt, retries, repair_of`;

export function toStudy(row: StudyRow): StudyRecord {
  return {
    id: row.id,
    name: row.name,
    space: row.space,
    datasetName: row.dataset_name,
    datasetFingerprint: row.dataset_fingerprint,
    data: decodeStrict<DataSource>(row.data_json),
    objective: { metric: row.objective_metric, direction: row.objective_direction },
    algorithm: row.algorithm,
    settings: decodeLenient<Record<string, unknown>>(row.settings_json),
    seed: row.seed,
    maxEpochs: row.max_epochs,
    createdAt: row.created_at,
  };
}

export function toTrial(row: TrialRow): TrialRecord {
  return {
    studyId: row.study_id,
    number: row.number,
    status: row.status,
    params: decodeStrict<Params>(row.params_json),
    score: row.score,
    bestEpoch: row.best_epoch,
    epochsRun: row.epochs_run,
    history: decodeLenient(row.history_json),
    backend: row.backend,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
    heartbeatAt: row.heartbeat_at,
    error: row.error,
    diagnostics: row.diagnostics_json === null ? null : decodeLenient<TrialDiagnostics>(row.diagnostics_json),
    plannedEpochs: row.planned_epochs,
    parent: row.parent,
    fromEpoch: row.from_epoch,
    toEpoch: row.to_epoch,
    slot: row.slot_json === null ? null : decodeStrict<ScheduleSlot>(row.slot_json),
    owner: row.owner,
    attempt: row.attempt,
    retries: row.retries,
    repairOf: row.repair_of,
  };
}
