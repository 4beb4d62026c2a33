import { Command, Option } from 'commander';
import { DEFAULTS, OBJECTIVE_METRICS } from '../tuner-options.js';
import { formatLeaderboard } from '../report/leaderboard.js';
import { progressReporter } from './progress.js';
import { intFlag, listFlag, numberFlag } from './flags.js';
import { GradtuneError } from '../errors.js';
import { DEFAULT_DIAGNOSTICS } from '../train/diagnostics-settings.js';
import { FINDING_KINDS } from '../train/diagnostics-types.js';
import { DEFAULT_MAX_REPAIRS } from '../oracle/repair.js';
import { describeRejection } from '../report/rejection.js';
import { ExitCode, INTERRUPTED_EXIT } from './exit-code.js';

export function searchCommand(): Command {
  return new Command('search')
    .description('run a hyperparameter search (continues the study if it exists)')
    .option('--space <name|path>', 'built-in space (mlp, quick, deep-sigmoid) or a space module', DEFAULTS.space)
    .option('--dataset <name>', 'built-in dataset: digits, iris, breast-cancer (default: digits)')
    .option('--data <file.csv>', 'your own CSV file (header row; .gz allowed)')
    .option('--target <column>', 'target column of --data (default: the last column)')
    .addOption(new Option('--task <task>', 'override the inferred task').choices(['classification', 'regression']))
    .option('--val-split <fraction>', 'fraction of rows held out for validation (default: 0.2)', numberFlag('--val-split'))
    .addOption(new Option('--algo <algorithm>', 'search algorithm').choices(['random', 'grid', 'hyperband']).default('hyperband'))
    // No commander default: for grid, leaving --max-trials out means the whole grid.
    .option('--max-trials <n>', `total trials in the study (default: ${DEFAULTS.maxTrials}; grid: the whole grid)`, intFlag('--max-trials'))
    .option('--grid-points <n>', 'grid: points a float without a step is tried at (min and max included)', intFlag('--grid-points'))
    .option('--factor <n>', 'hyperband: reduction factor between rounds (default: 3)', intFlag('--factor'))
    .option('--hyperband-iterations <n>', 'hyperband: sweeps over the brackets (default: 1)', intFlag('--hyperband-iterations'))
    .option('--max-epochs <n>', "cap on each trial's epochs (default: 30; hyperband: its max_epochs, default 27)", intFlag('--max-epochs'))
    .option('--workers <n>', 'trials run in parallel (default: number of cores)', intFlag('--workers'))
    .option('--seed <n>', 'seed for configurations, split, weights and batches (default: 42)', intFlag('--seed'))
    .option('--objective <metric>', `metric to optimise: ${OBJECTIVE_METRICS.join(', ')}`)
    .addOption(new Option('--direction <dir>', 'optimisation direction').choices(['min', 'max']))
    .option('--study <name>', 'study name (default: <space>-<dataset>)')
    .option('--storage <path>', 'SQLite file holding the studies', DEFAULTS.storage)
    .option('--overwrite', 'delete the study first and start afresh')
    .option('--keep-checkpoints <n>', 'keep the best-epoch weights of only the n best completed trials, for export (default: all)', intFlag('--keep-checkpoints'))
    .addOption(new Option('--backend <backend>', 'tfjs backend').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
    // Gradient diagnostics: defaults (and why) in src/train/diagnostics-settings.ts and the README.
    .option('--diag-every <steps>', `gradient statistics every n training steps (default: ${DEFAULT_DIAGNOSTICS.diagEvery})`, intFlag('--diag-every'))
    .option('--preflight-steps <steps>', `steps of the preflight probe, 0 for none (default: ${DEFAULT_DIAGNOSTICS.preflightSteps})`, intFlag('--preflight-steps'))
    .option('--no-reject', 'keep the gradient verdicts but let every trial finish')
    .option('--vanishing-floor <norm>', `first layer's gradient norm below this is vanishing (default: ${DEFAULT_DIAGNOSTICS.vanishingFloor})`, numberFlag('--vanishing-floor'))
    .option('--vanishing-ratio <ratio>', `first/output layer gradient norm ratio below this is vanishing (default: ${DEFAULT_DIAGNOSTICS.vanishingRatio})`, numberFlag('--vanishing-ratio'))
    .option('--update-ratio-floor <ratio>', `first layer's lr*|g|/|w| below this is vanishing (default: ${DEFAULT_DIAGNOSTICS.updateRatioFloor})`, numberFlag('--update-ratio-floor'))
    .option('--exploding-ceiling <norm>', `a layer's gradient norm above this is exploding (default: ${DEFAULT_DIAGNOSTICS.explodingCeiling})`, numberFlag('--exploding-ceiling'))
    .option('--divergence-factor <factor>', `validation loss above chance and this many times its lowest is exploding, under SGD (default: ${DEFAULT_DIAGNOSTICS.divergenceFactor})`, numberFlag('--divergence-factor'))
    .option('--divergence-epochs <n>', `...at this many epochs in a row (default: ${DEFAULT_DIAGNOSTICS.divergenceEpochs})`, intFlag('--divergence-epochs'))
    .option('--above-chance <factor>', `validation loss this many times the chance loss, --divergence-epochs in a row, is exploding, under SGD (default: ${DEFAULT_DIAGNOSTICS.aboveChance})`, numberFlag('--above-chance'))
    .option('--plateau-epochs <n>', `vanishing when the loss sits at the chance loss this many epochs... (default: ${DEFAULT_DIAGNOSTICS.plateauEpochs})`, intFlag('--plateau-epochs'))
    .option('--plateau-loss <fraction>', `...within this factor of it... (default: ${DEFAULT_DIAGNOSTICS.plateauLoss})`, numberFlag('--plateau-loss'))
    .option('--plateau-ratio <ratio>', `...and the first/output layer gradient norm ratio is below this (default: ${DEFAULT_DIAGNOSTICS.plateauRatio})`, numberFlag('--plateau-ratio'))
    .option('--learned-loss <fraction>', `a trial whose loss fell below this share of the chance loss has learned: a later verdict stops it, keeping its best epoch, instead of rejecting it (default: ${DEFAULT_DIAGNOSTICS.learnedLoss})`, numberFlag('--learned-loss'))
    .option('--growth-factor <factor>', `gradient norm growth per check that, sustained, is exploding (default: ${DEFAULT_DIAGNOSTICS.growthFactor})`, numberFlag('--growth-factor'))
    // Failures, timeouts and lost processes (README: "Interruptions, failures and several processes").
    .option('--max-retries <n>', 'runs of a failed trial again, same params, before it stays failed (default: 0)', intFlag('--max-retries'))
    .option('--max-consecutive-failures <n>', `stop the search after this many trials in a row fail (default: ${DEFAULTS.maxConsecutiveFailures})`, intFlag('--max-consecutive-failures'))
    .option('--trial-timeout <seconds>', 'end a trial that runs longer as failed and replace its worker (default: no limit)', numberFlag('--trial-timeout'))
    .option('--heartbeat-interval <seconds>', `how often a running trial says it is alive (default: ${DEFAULTS.heartbeatInterval})`, numberFlag('--heartbeat-interval'))
    .option('--stale-after <seconds>', `a running trial silent this long lost its process and is run again (default: ${DEFAULTS.staleAfter})`, numberFlag('--stale-after'))
    .option('--sustain-checks <n>', `consecutive checks a vanishing or growth reading must hold (default: ${DEFAULT_DIAGNOSTICS.sustain})`, intFlag('--sustain-checks'))
    // Findings beyond the gradients, and --repair (README: "Gradient diagnostics").
    .option('--reject-on <findings>', `also reject on these findings, comma-separated: ${FINDING_KINDS.filter((k) => k !== 'vanishing' && k !== 'exploding').join(', ')}`, listFlag)
    .option('--slow-progress <fraction>', `slow-training: still falling, less than this share of the way from the chance loss to 0 (default: ${DEFAULT_DIAGNOSTICS.slowProgress})`, numberFlag('--slow-progress'))
    .option('--overfit-rise <fraction>', `overfitting: validation loss this far above its minimum... (default: ${DEFAULT_DIAGNOSTICS.overfitRise})`, numberFlag('--overfit-rise'))
    .option('--overfit-epochs <n>', `...at least this many epochs after it (default: ${DEFAULT_DIAGNOSTICS.overfitEpochs})`, intFlag('--overfit-epochs'))
    .option('--dead-units <fraction>', `dead-units: share of a ReLU layer's units never active on the probe batch (default: ${DEFAULT_DIAGNOSTICS.deadUnits})`, numberFlag('--dead-units'))
    .option('--saturation <fraction>', `saturation: share of a sigmoid/tanh layer's activations at their bounds (default: ${DEFAULT_DIAGNOSTICS.saturation})`, numberFlag('--saturation'))
    .option('--repair', 'after a rejection, try the same configuration with the first remedy its space allows')
    .option('--max-repairs <n>', `--repair: repairs in a row from one trial (default: ${DEFAULT_MAX_REPAIRS})`, intFlag('--max-repairs'))
    .action(async (opts) => {
      if (opts.dataset !== undefined && opts.data !== undefined) {
        throw new GradtuneError('give --dataset <built-in> or --data <file.csv>, not both');
      }
      if (opts.target !== undefined && opts.data === undefined) {
        throw new GradtuneError('--target applies to --data <file.csv>; built-in datasets have their target set');
      }
      // Loaded here, not at startup: it brings tfjs, which the other commands do not need.
      const { Tuner } = await import('../tuner.js');
      const progress = progressReporter();
      const tuner = new Tuner(
        {
          space: opts.space,
          data: opts.data ?? opts.dataset,
          target: opts.target,
          task: opts.task,
          valSplit: opts.valSplit,
          algorithm: opts.algo,
          factor: opts.factor,
          hyperbandIterations: opts.hyperbandIterations,
          maxTrials: opts.maxTrials,
          gridPoints: opts.gridPoints,
          maxEpochs: opts.maxEpochs,
          workers: opts.workers,
          seed: opts.seed,
          objective: opts.objective,
          direction: opts.direction,
          study: opts.study,
          storage: opts.storage,
          overwrite: Boolean(opts.overwrite),
          keepCheckpoints: opts.keepCheckpoints,
          backend: opts.backend,
          maxRetries: opts.maxRetries,
          maxConsecutiveFailures: opts.maxConsecutiveFailures,
          trialTimeout: opts.trialTimeout,
          heartbeatInterval: opts.heartbeatInterval,
          staleAfter: opts.staleAfter,
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
            divergenceFactor: opts.divergenceFactor,
            divergenceEpochs: opts.divergenceEpochs,
            aboveChance: opts.aboveChance,
            plateauEpochs: opts.plateauEpochs,
            plateauLoss: opts.plateauLoss,
            plateauRatio: opts.plateauRatio,
            learnedLoss: opts.learnedLoss,
            sustain: opts.sustainChecks,
            rejectOn: opts.rejectOn,
            slowProgress: opts.slowProgress,
            overfitRise: opts.overfitRise,
            overfitEpochs: opts.overfitEpochs,
            deadUnits: opts.deadUnits,
            saturation: opts.saturation,
          },
          repair: Boolean(opts.repair),
          maxRepairs: opts.maxRepairs,
        },
        progress,
      );
      // Ctrl-C: stop the running trials, give them back to the store (a resume re-runs
      // them), print what we have and exit 130. A second Ctrl-C exits at once; a resume
      // still works, since a trial whose process is gone is re-run.
      const onInterrupt = () => {
        progress.stop();
        process.stderr.write('\ninterrupted: stopping the running trials (Ctrl-C again to exit at once)\n');
        process.once('SIGINT', () => process.exit(INTERRUPTED_EXIT));
        tuner.interrupt();
      };
      process.once('SIGINT', onInterrupt);
      let results;
      try {
        results = await tuner.search();
      } finally {
        process.removeListener('SIGINT', onInterrupt);
        progress.stop();
      }
      const out = process.stdout;
      out.write(`\n${results.stopReason}\n`);
      const rejection = describeRejection(results.rejection);
      out.write(rejection ? `gradient diagnostics ${rejection}\n\n` : '\n');
      out.write(formatLeaderboard(results.study, results.trials, { format: 'table', top: 10 }) + '\n\n');
      const storageFlag = results.storage === DEFAULTS.storage ? '' : ` --storage ${results.storage}`;
      out.write(`study "${results.study.name}" is stored in ${results.storage}. Look at it with:\n`);
      out.write(`  npx gradtune report --study ${results.study.name}${storageFlag}\n`);
      out.write(`  npx gradtune best --study ${results.study.name}${storageFlag}\n`);
      if (results.best) out.write(`  npx gradtune export --study ${results.study.name}${storageFlag} --out models   # the best model, for gradtune predict\n`);
      if (results.interrupted) throw new ExitCode(INTERRUPTED_EXIT);
    });
}
