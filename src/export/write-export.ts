// `gradtune export` and exportTrials(): one directory per trial holding the tfjs Layers
// model (model.json + weights.bin) and what it takes to use it (preprocessing.json,
// hyperparameters.json, metrics.json). Everything that can go wrong is checked, and
// every model built, before the first file is written; each trial's directory is
// written under a temporary name and renamed into place, so a failure leaves nothing
// half-written.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { GradtuneError } from '../errors.js';
import { requireStudy, withExistingStore } from '../store/existing.js';
import { storageFromEnv } from '../store/open-store.js';
import type { StudyRecord } from '../store/store.js';
import { initBackend, tf } from '../train/backend.js';
import type { BackendPreference } from '../train/types.js';
import { stringifyJson } from '../report/json.js';
import { EXPORT_FILES, exportMetrics, type RetrainedInfo } from './artifacts.js';
import { isDirectory, layersModelFiles } from './io-handlers.js';
import { preprocessingOf, type Preprocessing } from './preprocessing.js';
import { modelFromCheckpoint } from './rebuild.js';
import { withTargetRescale } from './rescale.js';
import { retrainOnAllRows } from './retrain.js';
import { selectTrials, type ExportableTrial, type Selection } from './select.js';
import { loadStudyContext } from './study-context.js';

export interface ExportOptions {
  /** Study name. */
  study: string;
  /** Directory to write into; each trial goes to `<out>/trial-<n>`. */
  out: string;
  /** One trial by number; default: the best trial. */
  trial?: number;
  /** The best `top` completed trials. */
  top?: number;
  /** SQLite file holding the study. Default gradtune.db. */
  storage?: string;
  /** Write into an `out` that is not empty (replacing the trial directories being written). */
  force?: boolean;
  /** Train the configuration again on training + validation rows for its best epoch's count of epochs. */
  retrain?: boolean;
  backend?: BackendPreference;
}

export interface ExportedTrialInfo {
  trial: number;
  /** The trial's leaderboard score, and the objective it measures. */
  score: number;
  metric: string;
  /** The trial's directory, as given under `out`. */
  dir: string;
  retrained: boolean;
}

/** One trial, ready to write: nothing touches the disk until every trial is ready. */
interface Prepared {
  trial: ExportableTrial;
  dir: string;
  files: Record<string, string | Uint8Array>;
}

export async function exportTrials(opts: ExportOptions): Promise<ExportedTrialInfo[]> {
  const selection = checkSelection(opts);
  checkOutDir(opts.out, Boolean(opts.force));
  const storage = storageFromEnv(opts.storage);
  // Read-only, as reports: exporting never changes the store (and works on a store marked read-only).
  const checkpoints = new Map<number, Uint8Array>();
  const { study, chosen } = await withExistingStore(storage, async (store) => {
    const study = await requireStudy(store, opts.study);
    const holding = new Set(await store.checkpointNumbers(study.id));
    const chosen = selectTrials(study, await store.trials(study.id), selection, (n) => holding.has(n));
    for (const t of chosen) checkpoints.set(t.number, (await store.checkpoint(study.id, t.number))!);
    return { study, chosen };
  });

  const ctx = await loadStudyContext(study);
  await initBackend(opts.backend ?? 'auto');
  const prepared: Prepared[] = [];
  for (const trial of chosen) {
    prepared.push(await prepare(study, trial, ctx, checkpoints.get(trial.number)!, Boolean(opts.retrain), opts.out));
  }
  write(opts.out, prepared);
  return prepared.map((p) => ({ trial: p.trial.number, score: p.trial.score, metric: study.objective.metric, dir: p.dir, retrained: Boolean(opts.retrain) }));
}

function checkSelection(opts: ExportOptions): Selection {
  if (opts.trial !== undefined && opts.top !== undefined) {
    throw new GradtuneError('--trial exports one trial and --top the best k: give one of them (neither: the best trial)');
  }
  if (opts.trial !== undefined) {
    if (!Number.isInteger(opts.trial) || opts.trial < 0) throw new GradtuneError(`--trial must be a trial number (a whole number >= 0), got ${opts.trial}`);
    return { kind: 'trial', number: opts.trial };
  }
  if (opts.top !== undefined) {
    if (!Number.isInteger(opts.top) || opts.top < 1) throw new GradtuneError(`--top must be a whole number >= 1, got ${opts.top}`);
    return { kind: 'top', count: opts.top };
  }
  return { kind: 'best' };
}

/** Refuses to write into a file, or into a non-empty directory without --force. */
function checkOutDir(out: string, force: boolean): void {
  if (!existsSync(out)) return;
  if (!isDirectory(out)) throw new GradtuneError(`--out ${out} is a file; give a directory (it is created when missing)`);
  const entries = readdirSync(out);
  if (entries.length > 0 && !force) {
    throw new GradtuneError(`--out ${out} exists and is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); choose another directory, or add --force to write the trial directories into it`);
  }
}

async function prepare(study: StudyRecord, trial: ExportableTrial, ctx: Awaited<ReturnType<typeof loadStudyContext>>, checkpoint: Uint8Array, retrain: boolean, out: string): Promise<Prepared> {
  let model: TF.LayersModel;
  let preprocessing: Preprocessing;
  let retrained: RetrainedInfo | null = null;
  if (retrain) {
    const r = await retrainOnAllRows(ctx, study, trial);
    ({ model, preprocessing } = r);
    retrained = r.info;
  } else {
    model = await modelFromCheckpoint(ctx, study, trial, checkpoint);
    preprocessing = preprocessingOf(ctx.dataset);
  }
  let artifacts: TF.io.ModelArtifacts | undefined;
  try {
    // Regression: the saved model outputs the target's own units (the wrapper shares, and on dispose frees, the model's layers).
    if (preprocessing.targetScaling) model = withTargetRescale(model, preprocessing.targetScaling);
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
      }),
    );
  } finally {
    model.dispose();
  }
  // In memory first, as fileIO's save would write them: nothing is written before every trial is ready.
  const { modelJson, weights } = layersModelFiles(artifacts!);
  const files: Record<string, string | Uint8Array> = { [EXPORT_FILES.model]: modelJson, [EXPORT_FILES.weights]: weights };
  files[EXPORT_FILES.preprocessing] = stringifyJson(preprocessing) + '\n';
  files[EXPORT_FILES.hyperparameters] = stringifyJson(trial.params) + '\n';
  files[EXPORT_FILES.metrics] = stringifyJson(exportMetrics(study, trial, retrained)) + '\n';
  return { trial, dir: join(out, `trial-${trial.number}`), files };
}

function write(out: string, prepared: Prepared[]): void {
  mkdirSync(out, { recursive: true });
  for (const p of prepared) {
    const staging = resolve(out, `.trial-${p.trial.number}.partial-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    try {
      for (const [name, content] of Object.entries(p.files)) writeFileSync(join(staging, name), content);
      // --force replaces this trial's directory, never anything else in --out.
      rmSync(p.dir, { recursive: true, force: true });
      renameSync(staging, p.dir);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
  }
}
