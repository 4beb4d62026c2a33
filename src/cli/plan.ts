// `gradtune plan`: the schedule an algorithm will follow, printed before anything runs.
// It needs no store, no data and no tfjs: it only reads the settings.
import { Command, Option } from 'commander';
import Table from 'cli-table3';
import { HYPERBAND_DEFAULTS, hyperbandSchedule, type HyperbandSchedule } from '../oracle/hyperband-schedule.js';
import { numberFlag } from './flags.js';
import { describeSampler, SAMPLER_NAMES } from '../sampler/by-name.js';

interface PlanOptions {
  algo: 'hyperband' | 'random';
  sampler?: string;
  maxTrials?: number;
  maxEpochs: number;
  factor: number;
  hyperbandIterations: number;
  json?: boolean;
}

/** The `--json` shape: rounds without their index, `iteration` only when there are several. */
function planJson(schedule: HyperbandSchedule, iterations: number): object {
  return {
    brackets: schedule.brackets.map((b) => ({
      ...(iterations > 1 ? { iteration: b.iteration } : {}),
      bracket: b.bracket,
      rounds: b.rounds.map((r) => ({ trials: r.trials, fromEpoch: r.fromEpoch, toEpoch: r.toEpoch })),
    })),
    totalTrials: schedule.totalTrials,
    totalEpochs: schedule.totalEpochs,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function planTable(schedule: HyperbandSchedule, o: PlanOptions): string {
  const several = o.hyperbandIterations > 1;
  const head = [...(several ? ['iteration'] : []), 'bracket', 'round', 'trials', 'from epoch', 'to epoch', 'epochs trained'];
  const table = new Table({ head, colAligns: head.map(() => 'right' as const), style: { head: [], border: [], compact: true } });
  for (const b of schedule.brackets) {
    for (const r of b.rounds) {
      table.push([...(several ? [b.iteration] : []), b.bracket, r.round, r.trials, r.fromEpoch, r.toEpoch, r.trials * (r.toEpoch - r.fromEpoch)]);
    }
  }
  const perSweep = schedule.brackets.length / o.hyperbandIterations;
  const configurations = schedule.brackets.reduce((sum, b) => sum + b.rounds[0].trials, 0);
  return [
    `Hyperband, --max-epochs ${o.maxEpochs} --factor ${o.factor}: ` +
      `${several ? `${o.hyperbandIterations} iterations of ` : ''}${plural(perSweep, 'bracket')}, the most exploratory first; ` +
      'a promoted trial continues its parent from "from epoch" to "to epoch"',
    table.toString(),
    `total: ${plural(schedule.totalTrials, 'trial')} (${plural(configurations, 'configuration')}, ` +
      `${plural(schedule.totalTrials - configurations, 'promotion')}), ${plural(schedule.totalEpochs, 'epoch')} trained`,
  ].join('\n');
}

export function planCommand(): Command {
  return new Command('plan')
    .description("print a search algorithm's schedule (Hyperband: trials and epochs per bracket and round) without running anything")
    .addOption(new Option('--algo <algorithm>', 'search algorithm').choices(['hyperband', 'random']).default('hyperband'))
    .addOption(new Option('--sampler <name>', 'how new configurations are drawn: explained after the schedule').choices([...SAMPLER_NAMES]))
    .option('--max-trials <n>', 'random search: trials of the study (default: 20)', numberFlag('--max-trials'))
    .option('--max-epochs <n>', 'epochs of a trial that runs to the end', numberFlag('--max-epochs'), HYPERBAND_DEFAULTS.maxEpochs)
    .option('--factor <n>', 'trials shrink and epochs grow by this factor per round (a whole number >= 2)', numberFlag('--factor'), HYPERBAND_DEFAULTS.factor)
    .option('--hyperband-iterations <n>', 'full sweeps over the brackets', numberFlag('--hyperband-iterations'), HYPERBAND_DEFAULTS.iterations)
    .option('--json', 'machine-readable output')
    .action((opts: PlanOptions) => {
      const sampler = opts.sampler ?? 'random';
      if (opts.algo === 'random') {
        const trials = opts.maxTrials ?? 20;
        const text = `random search: ${plural(trials, 'trial')}, each trained for up to --max-epochs (30 by default; the space's epochs and early stopping may end it sooner), each configuration drawn anew.\n${describeSampler(sampler)}`;
        process.stdout.write((opts.json ? JSON.stringify({ algorithm: 'random', trials, sampler }, null, 2) : text) + '\n');
        return;
      }
      const schedule = hyperbandSchedule({ maxEpochs: opts.maxEpochs, factor: opts.factor, iterations: opts.hyperbandIterations });
      const out = opts.json
        ? JSON.stringify({ ...planJson(schedule, opts.hyperbandIterations), ...(opts.sampler ? { sampler } : {}) }, null, 2)
        : planTable(schedule, opts) + (opts.sampler ? `\nround 0 of each bracket draws its fresh configurations with the ${describeSampler(sampler)} Promotions keep their parent's configuration.` : '');
      process.stdout.write(out + '\n');
    });
}
