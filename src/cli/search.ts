import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { OBJECTIVE_METRICS, type TunerOptions } from '../tuner-options.js';
import { formatLeaderboard } from '../report/leaderboard.js';
import { progressReporter } from './progress.js';
import { durationFlag, intFlag, listFlag, numberFlag, STORAGE_HELP } from './flags.js';
import { GradtuneError } from '../errors.js';
import { DEFAULT_DIAGNOSTICS } from '../train/diagnostics-settings.js';
import { FINDING_KINDS } from '../train/diagnostics-types.js';
import { DEFAULT_MAX_REPAIRS } from '../oracle/repair.js';
import { describeRejection } from '../report/rejection.js';
import { storageFromEnv } from '../store/open-store.js';
import { SAMPLER_NAMES } from '../sampler/by-name.js';
import { ExitCode, STOP_EXIT, type StopCause } from './exit-code.js';
import { onOutputClosed, streamClosed, terminalColumns, writeStderr, writeStdout } from './output.js';
import type { SearchResults, Tuner, TunerConfig } from '../tuner.js';
import { StudyWatch } from './study-watch.js';

/** The flags a search and a worker share: how this process runs. */
function addRunFlags(cmd: Command): Command {
  return cmd
    .option('--workers <n>', 'trials run in parallel (default: number of cores)', intFlag('--workers'))
    .option('--storage <path|url>', STORAGE_HELP)
    .addOption(new Option('--backend <backend>', 'tfjs backend (default: auto)').choices(['auto', 'tensorflow', 'wasm', 'cpu']))
    .option('--max-consecutive-failures <n>', `stop after this many trials in a row fail (default: ${3})`, intFlag('--max-consecutive-failures'))
    .option('--trial-timeout <seconds>', 'end a trial that runs longer as failed and replace its worker (default: no limit)', numberFlag('--trial-timeout'))
    .option('--heartbeat-interval <seconds>', 'how often a running trial says it is alive (default: 10)', numberFlag('--heartbeat-interval'))
    .option('--stale-after <seconds>', 'a running trial silent this long lost its process and is run again (default: 60)', numberFlag('--stale-after'))
    .option('--timeout <duration>', 'start no new trial after this long (90s, 15m, 2h); running trials finish', durationFlag('--timeout'))
    .option('--timeout-grace <duration>', 'after --timeout, give trials still running back to the store after this long', durationFlag('--timeout-grace'));
}

export function searchCommand(): Command {
  const cmd = new Command('search')
    .description('run a hyperparameter search (continues the study if it exists; `--study NAME` alone continues it as stored)')
    .option('--space <name|path>', 'built-in space (mlp, quick, deep-sigmoid) or a space module (default: mlp)')
    .option('--dataset <name>', 'built-in dataset: digits, iris, breast-cancer (default: digits)')
    .option('--data <file.csv>', 'your own CSV file (header row; .gz allowed)')
    .option('--target <column>', 'target column of --data (default: the last column)')
    .addOption(new Option('--task <task>', 'override the inferred task').choices(['classification', 'regression']))
    .option('--val-split <fraction>', 'fraction of rows held out for validation (default: 0.2)', numberFlag('--val-split'))
    .addOption(new Option('--algo <algorithm>', 'search algorithm (default: hyperband)').choices(['random', 'grid', 'hyperband', 'asha']))
    .addOption(new Option('--sampler <name>', 'how new configurations are drawn, for random, hyperband and asha (default: random)').choices([...SAMPLER_NAMES]))
    // No default: for grid and Hyperband, leaving --max-trials out means the whole grid or schedule.
    .option('--max-trials <n>', 'total trials in the study (default: random 20; grid and hyperband: all of it)', intFlag('--max-trials'))
    .option('--grid-points <n>', 'grid: points a float without a step is tried at (min and max included)', intFlag('--grid-points'))
    .option('--factor <n>', 'hyperband, asha and --pruner asha: reduction factor between rounds or rungs (default: 3)', intFlag('--factor'))
    .option('--hyperband-iterations <n>', 'hyperband: sweeps over the brackets (default: 1)', intFlag('--hyperband-iterations'))
    .option('--min-epochs <n>', 'asha: epochs of the first rung; rungs at min-epochs * factor^k up to --max-epochs (default: 1)', intFlag('--min-epochs'))
    // Pruning (README: "Pruning and ASHA"); options named after Optuna's.
    .addOption(new Option('--pruner <pruner>', 'stop running trials that do worse than others at the same epoch (random and grid; default: none)').choices(['none', 'median', 'asha']))
    .option('--pruner-startup-trials <n>', 'median: no pruning until n trials have completed (default: 5)', intFlag('--pruner-startup-trials'))
    .option('--pruner-warmup-epochs <n>', 'median: no pruning before epoch n (default: 0)', intFlag('--pruner-warmup-epochs'))
    .option('--pruner-interval-epochs <n>', 'median: epochs between checks after the warm-up (default: 1)', intFlag('--pruner-interval-epochs'))
    .option('--pruner-min-trials <n>', 'median: completed trials that must have reached an epoch to judge it (default: 1)', intFlag('--pruner-min-trials'))
    .option('--pruner-min-epochs <n>', 'asha pruner: epochs of the first rung; rungs at n * factor^k (default: 1)', intFlag('--pruner-min-epochs'))
    .option('--pruner-min-early-stopping-rate <n>', 'asha pruner: the first rung at min-epochs * factor^n (default: 0)', intFlag('--pruner-min-early-stopping-rate'))
    .option('--pruner-bootstrap-count <n>', 'asha pruner: prune while no more than n trials reached a rung (default: 0)', intFlag('--pruner-bootstrap-count'))
    .option('--max-epochs <n>', "cap on each trial's epochs (default: 30; hyperband: its max_epochs, default 27)", intFlag('--max-epochs'))
    .option('--seed <n>', 'seed for configurations, split, weights and batches (default: 42)', intFlag('--seed'))
    .option('--objective <metric>', `metric to optimise: ${OBJECTIVE_METRICS.join(', ')}`)
    .addOption(new Option('--direction <dir>', 'optimisation direction').choices(['min', 'max']))
    .option('--study <name>', 'study name (default: <space>-<dataset>)')
    .option('--overwrite', 'delete the study first and start afresh')
    .option('--keep-checkpoints <n>', 'keep the best-epoch weights of only the n best completed trials, for export (default: all)', intFlag('--keep-checkpoints'))
    // Gradient diagnostics: defaults (and why) in src/train/diagnostics-settings.ts and the README.
    .option('--diag-every <steps>', `gradient statistics every n training steps (default: ${DEFAULT_DIAGNOSTICS.diagEvery})`, intFlag('--diag-every'))
    .option('--preflight-steps <steps>', `steps of the preflight probe, 0 for none (default: ${DEFAULT_DIAGNOSTICS.preflightSteps})`, intFlag('--preflight-steps'))
    .option('--no-reject', 'keep the gradient verdicts but let every trial finish')
    .option('--vanishing-floor <norm>', `first layer's gradient norm below this is vanishing (default: ${DEFAULT_DIAGNOSTICS.vanishingFloor})`, numberFlag('--vanishing-floor'))
    .option('--vanishing-ratio <ratio>', `first/output layer gradient norm ratio below this is vanishing (default: ${DEFAULT_DIAGNOSTICS.vanishingRatio})`, numberFlag('--vanishing-ratio'))
    .option('--update-ratio-floor <ratio>', `first layer's lr*|g|/|w| below this is vanishing (default: ${DEFAULT_DIAGNOSTICS.updateRatioFloor})`, numberFlag('--update-ratio-floor'))
    .option('--exploding-ceiling <norm>', `a layer's gradient norm above this is exploding (default: ${DEFAULT_DIAGNOSTICS.explodingCeiling})`, numberFlag('--exploding-ceiling'))
    .option('--growth-factor <factor>', `gradient norm growth per check that, sustained, is exploding (default: ${DEFAULT_DIAGNOSTICS.growthFactor})`, numberFlag('--growth-factor'))
    .option('--sustain-checks <n>', `consecutive checks a vanishing or growth reading must hold (default: ${DEFAULT_DIAGNOSTICS.sustain})`, intFlag('--sustain-checks'))
    .option('--divergence-factor <factor>', `validation loss above chance and this many times its lowest is exploding, under SGD (default: ${DEFAULT_DIAGNOSTICS.divergenceFactor})`, numberFlag('--divergence-factor'))
    .option('--divergence-epochs <n>', `...at this many epochs in a row (default: ${DEFAULT_DIAGNOSTICS.divergenceEpochs})`, intFlag('--divergence-epochs'))
    .option('--above-chance <factor>', `validation loss this many times the chance loss, --divergence-epochs in a row, is exploding, under SGD (default: ${DEFAULT_DIAGNOSTICS.aboveChance})`, numberFlag('--above-chance'))
    .option('--plateau-epochs <n>', `vanishing when the loss sits at the chance loss this many epochs... (default: ${DEFAULT_DIAGNOSTICS.plateauEpochs})`, intFlag('--plateau-epochs'))
    .option('--plateau-loss <fraction>', `...within this factor of it... (default: ${DEFAULT_DIAGNOSTICS.plateauLoss})`, numberFlag('--plateau-loss'))
    .option('--plateau-ratio <ratio>', `...and the first/output layer gradient norm ratio is below this (default: ${DEFAULT_DIAGNOSTICS.plateauRatio})`, numberFlag('--plateau-ratio'))
    .option('--learned-loss <fraction>', `a trial whose loss fell below this share of the chance loss has learned: a later verdict stops it, keeping its best epoch, instead of rejecting it (default: ${DEFAULT_DIAGNOSTICS.learnedLoss})`, numberFlag('--learned-loss'))
    // Findings beyond the gradients, and --repair (README: "Gradient diagnostics").
    .option('--reject-on <findings>', `also reject on these findings, comma-separated: ${FINDING_KINDS.filter((k) => k !== 'vanishing' && k !== 'exploding').join(', ')}`, listFlag)
    .option('--slow-progress <fraction>', `slow-training: still falling, less than this share of the way from the chance loss to 0 (default: ${DEFAULT_DIAGNOSTICS.slowProgress})`, numberFlag('--slow-progress'))
    .option('--overfit-rise <fraction>', `overfitting: validation loss this far above its minimum... (default: ${DEFAULT_DIAGNOSTICS.overfitRise})`, numberFlag('--overfit-rise'))
    .option('--overfit-epochs <n>', `...at least this many epochs after it (default: ${DEFAULT_DIAGNOSTICS.overfitEpochs})`, intFlag('--overfit-epochs'))
    .option('--dead-units <fraction>', `dead-units: share of a ReLU layer's units never active on the probe batch (default: ${DEFAULT_DIAGNOSTICS.deadUnits})`, numberFlag('--dead-units'))
    .option('--saturation <fraction>', `saturation: share of a sigmoid/tanh layer's activations at their bounds (default: ${DEFAULT_DIAGNOSTICS.saturation})`, numberFlag('--saturation'))
    .option('--repair', 'after a rejection, try the same configuration with the first remedy its space allows')
    .option('--max-repairs <n>', `--repair: repairs in a row from one trial (default: ${DEFAULT_MAX_REPAIRS})`, intFlag('--max-repairs'))
    // Failures, timeouts and lost processes (README: "Interruptions, failures and several processes").
    .option('--max-retries <n>', 'runs of a failed trial again, same params, before it stays failed (default: 0)', intFlag('--max-retries'))
    .option('--executions-per-trial <n>', 'train each configuration n times with different seeds and score the mean (default: 1)', intFlag('--executions-per-trial'))
    .option('--folds <k>', 'k-fold cross-validation on the training rows: score each configuration by the mean over k folds', intFlag('--folds'))
    .option('--sample-timeout <seconds>', "how long the space's build(hp) may take to draw one configuration (default: 60)", numberFlag('--sample-timeout'))
    // Columns, encoding and missing values of the data (README "Your own data").
    .option('--features <columns>', 'only these comma-separated columns are features (default: all but the target, --id and --passthrough)', columnList)
    .option('--ignore <columns>', 'comma-separated columns that are never features', columnList)
    .option('--id <column>', 'a row identifier: never a feature, copied into the output of gradtune predict')
    .option('--passthrough <columns>', 'comma-separated columns copied into the output of gradtune predict, never features', columnList)
    .option('--categorical <columns>', 'comma-separated columns read as categories (one-hot) even when they hold numbers', columnList)
    .option('--max-categories <n>', 'most frequent categories a text column keeps; the rest share an "other" feature (default: 20)', intFlag('--max-categories'))
    .addOption(new Option('--missing <policy>', 'missing feature values: impute (median / most frequent, plus a missing indicator) or error (default: impute)').choices(['impute', 'error']))
    .addOption(new Option('--encoding <encoding>', "the CSV's text encoding (default: utf8; invalid UTF-8 is an error naming the line)").choices(['utf8', 'latin1', 'windows-1252']));
  return addRunFlags(cmd).action(async (opts) => {
    if (opts.dataset !== undefined && opts.data !== undefined) {
      throw new GradtuneError('give --dataset <built-in> or --data <file.csv>, not both');
    }
    if (opts.target !== undefined && opts.data === undefined) {
      throw new GradtuneError('--target applies to --data <file.csv>; built-in datasets have their target set');
    }
    await runSearch(searchOptions(opts), { defaults: { algorithm: 'hyperband' } });
  });
}

export function workerCommand(): Command {
  const cmd = new Command('worker')
    .description("join an existing study and run its trials until its algorithm says done (on this or another machine)")
    .requiredOption('--study <name>', 'the study to work on')
    .option('--space <name|path>', "the space module, when it is not at the study's recorded path")
    .option('--data <file.csv>', "the data file, when it is not at the study's recorded path");
  return addRunFlags(cmd).action(async (opts) => {
    await runSearch({ ...runOptions(opts), study: opts.study, space: opts.space, data: opts.data }, { join: true });
  });
}

/** What this process runs with: free to differ between the processes of one study. */
function runOptions(opts: Record<string, any>): TunerOptions {
  return {
    workers: opts.workers,
    storage: opts.storage,
    backend: opts.backend,
    maxConsecutiveFailures: opts.maxConsecutiveFailures,
    trialTimeout: opts.trialTimeout,
    heartbeatInterval: opts.heartbeatInterval,
    staleAfter: opts.staleAfter,
    timeout: opts.timeout,
    timeoutGrace: opts.timeoutGrace,
  };
}

/** Only what the user typed: a continued study keeps its own settings for the rest. */
function searchOptions(opts: Record<string, any>): TunerOptions {
  return {
    ...runOptions(opts),
    space: opts.space,
    data: opts.data ?? opts.dataset,
    target: opts.target,
    task: opts.task,
    valSplit: opts.valSplit,
    algorithm: opts.algo,
    sampler: opts.sampler,
    factor: opts.factor,
    hyperbandIterations: opts.hyperbandIterations,
    minEpochs: opts.minEpochs,
    pruner: opts.pruner,
    prunerStartupTrials: opts.prunerStartupTrials,
    prunerWarmupEpochs: opts.prunerWarmupEpochs,
    prunerIntervalEpochs: opts.prunerIntervalEpochs,
    prunerMinTrials: opts.prunerMinTrials,
    prunerMinEpochs: opts.prunerMinEpochs,
    prunerMinEarlyStoppingRate: opts.prunerMinEarlyStoppingRate,
    prunerBootstrapCount: opts.prunerBootstrapCount,
    maxTrials: opts.maxTrials,
    gridPoints: opts.gridPoints,
    maxEpochs: opts.maxEpochs,
    seed: opts.seed,
    objective: opts.objective,
    direction: opts.direction,
    study: opts.study,
    overwrite: opts.overwrite ? true : undefined,
    keepCheckpoints: opts.keepCheckpoints,
    maxRetries: opts.maxRetries,
    sampleTimeout: opts.sampleTimeout,
    executionsPerTrial: opts.executionsPerTrial,
    folds: opts.folds,
    features: opts.features,
    ignore: opts.ignore,
    id: opts.id,
    passthrough: opts.passthrough,
    categorical: opts.categorical,
    maxCategories: opts.maxCategories,
    missing: opts.missing,
    encoding: opts.encoding,
    diagnostics: {
      diagEvery: opts.diagEvery,
      preflightSteps: opts.preflightSteps,
      // commander sets reject=true unless --no-reject is given; only an explicit "no" overrides a space's setting.
      reject: opts.reject === false ? false : undefined,
      vanishingFloor: opts.vanishingFloor,
      vanishingRatio: opts.vanishingRatio,
      updateRatioFloor: opts.updateRatioFloor,
      explodingCeiling: opts.explodingCeiling,
      growthFactor: opts.growthFactor,
      sustain: opts.sustainChecks,
      divergenceFactor: opts.divergenceFactor,
      divergenceEpochs: opts.divergenceEpochs,
      aboveChance: opts.aboveChance,
      plateauEpochs: opts.plateauEpochs,
      plateauLoss: opts.plateauLoss,
      plateauRatio: opts.plateauRatio,
      learnedLoss: opts.learnedLoss,
      rejectOn: opts.rejectOn,
      slowProgress: opts.slowProgress,
      overfitRise: opts.overfitRise,
      overfitEpochs: opts.overfitEpochs,
      deadUnits: opts.deadUnits,
      saturation: opts.saturation,
    },
    repair: opts.repair ? true : undefined,
    maxRepairs: opts.maxRepairs,
  };
}

async function runSearch(options: TunerOptions, config: TunerConfig): Promise<void> {
  const workers = capWorkers(options.workers);
  // Loaded here, not at startup: it brings tfjs, which the other commands do not need.
  const { Tuner } = await import('../tuner.js');
  const reporter = progressReporter();
  // The study deleted under this search (--overwrite or gradtune delete elsewhere) ends it with one line.
  let tuner: Tuner | undefined;
  const watch = new StudyWatch(storageFromEnv(options.storage), () => {
    reporter.stop();
    tuner?.interrupt();
  });
  const progress: typeof reporter = {
    ...reporter,
    onStart(info) {
      // The data's warnings (src/data/warnings.ts), one line each on stderr, before the first trial.
      for (const warning of info.dataset.warnings ?? []) writeStderr(`gradtune: warning: ${warning}\n`);
      watch.started(info.study);
      reporter.onStart?.(info);
    },
  };
  tuner = new Tuner({ ...options, workers }, progress, config);
  const stopper = stopOnSignalOrClosedOutput(tuner, progress);
  let results;
  try {
    results = await tuner.search();
  } catch (err) {
    // The store refused a write for a study that is gone: say what happened, not how.
    if (!(err instanceof ExitCode) && (await watch.check())) throw watch.error();
    throw err;
  } finally {
    stopper.dispose();
    await watch.dispose();
    progress.stop();
  }
  if (watch.deleted()) throw watch.error();
  // After the reader of stdout left, nothing is printed: no one is there to read it.
  writeStdout(searchSummary(results));
  // Ctrl-C while the space's build(hp) ran reached the time limit's sandbox (which breaks
  // the loop), not our handler: the tuner says it was interrupted.
  const cause = stopper.cause() ?? (results.interrupted ? 'SIGINT' : undefined);
  if (cause) throw new ExitCode(STOP_EXIT[cause]);
}

/** What `search` prints at its end: why it stopped, the top 10, where the study is and what to run next. */
function searchSummary(results: SearchResults): string {
  const lines: string[] = [`\n${results.stopReason}`];
  const rejection = describeRejection(results.rejection);
  lines.push(rejection ? `gradient diagnostics ${rejection}\n` : '');
  lines.push(formatLeaderboard(results.study, results.trials, { format: 'table', top: 10, width: terminalColumns() }) + '\n');
  const storageFlag = results.storage === storageFromEnv(undefined) ? '' : ` --storage ${results.storage}`;
  lines.push(`study "${results.study.name}" is stored in ${results.storage}. Look at it with:`);
  lines.push(`  npx gradtune report --study ${results.study.name}${storageFlag}`);
  lines.push(`  npx gradtune best --study ${results.study.name}${storageFlag}`);
  if (results.best) lines.push(`  npx gradtune export --study ${results.study.name}${storageFlag} --out models   # the best model, for gradtune predict`);
  return lines.join('\n') + '\n';
}

/** "a, b,c" -> ["a", "b", "c"]; an empty name is kept, for loadDataset to refuse with the flag's name. */
function columnList(value: string): string[] {
  return value.split(',').map((name) => name.trim());
}

/** What `search` prints at its end: why it stopped, the top 10, where the study is and what to run next. */

/**
 * Ctrl-C, SIGTERM (kill, systemd, Docker, CI) and a closed stdout (`| head -3`) all end a
 * search the same way: the running trials are stopped and given back to the store (a
 * resume re-runs them first), the leaderboard so far is printed (when stdout is still
 * open) and the exit code says what stopped it (130, 143, 141). A second signal exits at
 * once; a resume still works, since a trial whose process is gone is re-run.
 */
function stopOnSignalOrClosedOutput(tuner: Tuner, progress: { stop(): void }): { cause(): StopCause | undefined; dispose(): void } {
  let cause: StopCause | undefined;
  const stop = (why: StopCause) => {
    if (cause) return;
    cause = why;
    progress.stop();
    // A second signal (either) exits at once, with its own code.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.removeListener(signal, handlers[signal]);
      process.once(signal, () => process.exit(STOP_EXIT[signal]));
    }
    const what = why === 'output closed' ? 'the output was closed' : `${why === 'SIGINT' ? 'interrupted' : 'terminated'}`;
    const again = why === 'output closed' ? '' : ` (${why === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to exit at once)`;
    writeStderr(`\n${what}: stopping the running trials; they run again when the same command is run${again}\n`);
    tuner.interrupt();
  };
  const handlers = { SIGINT: () => stop('SIGINT'), SIGTERM: () => stop('SIGTERM') };
  process.once('SIGINT', handlers.SIGINT);
  process.once('SIGTERM', handlers.SIGTERM);
  // stdout only: the leaderboard and the progress go there. A stderr whose reader left
  // costs nothing but the warnings. A full disk under stdout stops it too; main names it.
  if (streamClosed('stdout')) stop('output closed');
  const unwatch = onOutputClosed((why) => {
    if (why.stream === 'stdout') stop('output closed');
  });
  return {
    cause: () => cause,
    dispose() {
      process.removeListener('SIGINT', handlers.SIGINT);
      process.removeListener('SIGTERM', handlers.SIGTERM);
      unwatch();
    },
  };
}

/**
 * `--workers` above the number of cores is capped at it, with a warning. Each worker is a
 * thread with its own tfjs, backend and copy of the data (64 of them on 2 cores: minutes
 * of start-up and gigabytes), and training is bound by the CPU, so threads beyond the
 * cores only share the same cores. Results do not depend on the number of workers.
 * Anything else (not a whole number >= 1) is left to the Tuner's check.
 */
function capWorkers(requested: number | undefined): number | undefined {
  const cores = availableParallelism();
  if (requested === undefined || !Number.isInteger(requested) || requested <= cores) return requested;
  writeStderr(
    `gradtune: warning: --workers ${requested} is more than the ${cores} core${cores === 1 ? '' : 's'} of this machine; using ${cores} ` +
      '(each worker holds its own tfjs and copy of the data, and more threads than cores only share the same cores)\n',
  );
  return cores;
}

